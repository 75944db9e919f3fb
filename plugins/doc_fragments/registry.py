# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # The registry host override, shared by the modules that return repository URIs or log in.
    DOCUMENTATION = r"""
options:
  registry_host:
    description:
      - The registry host (C(HOST) or C(HOST:PORT)) to put in place of
        C(ACCOUNT.dkr.ecr.REGION.amazonaws.com) in the repository URIs the module returns.
      - For registries reached through a VPC endpoint host name or a proxy, and for a local
        emulator whose registry listens on C(127.0.0.1:PORT).
      - A scheme (C(https://)) and trailing slashes are dropped.
      - If not set, URIs are returned as ECR reports them.
    type: str
    required: false
"""

    # The registry (account) a module acts on, shared by the modules that take registry_id.
    REGISTRY_ID = r"""
options:
  registry_id:
    description:
      - The AWS account ID (12 digits) of the registry, the account that owns the repositories.
      - If not set, the registry of the account the credentials belong to.
    type: str
"""
