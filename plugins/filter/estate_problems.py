# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: estate_problems
version_added: 0.1.0
short_description: What is wrong with one host's part of the estate, before anything is written
description:
  - Checks one inventory host of C(playbooks/configure.yml) (an AWS account and region) without calling AWS, and
    returns the problems as messages naming the variable and the fix; an empty list when it can go on.
  - Checks the account ID, region and role ARN, C(ecr_registries), and, for a host of the group C(registries),
    that C(ecr_registries) has its registry; for a host of the group C(consumers), its C(remote_access_roles) and
    that every name of C(configure_registries) is a registry of C(ecr_registries).
  - It reads only the host's own variables and the inventory-level C(ecr_registries), never another host's.
author:
  - dockyard.ecr developers (@dockyard)
options:
  _input:
    description: The host's name (C(inventory_hostname)).
    type: str
    required: true
  groups:
    description: The host's groups (C(group_names)).
    type: list
    elements: str
    required: true
  account_id:
    description: C(aws_account_id).
    type: str
  region:
    description: C(aws_region).
    type: str
  role_arn:
    description: C(aws_role_arn).
    type: str
  registries:
    description: C(ecr_registries).
    type: list
    elements: dict
  configure_registries:
    description: C(configure_registries).
    type: list
    elements: str
  roles:
    description: C(remote_access_roles).
    type: list
    elements: dict
  legacy_repositories:
    description: C(ecr_repositories), to point a host still using the older layout to the new one.
    type: list
    elements: dict
  registry:
    description: C(ecr_registry), the name of this host's registry when it is not found by account and region.
    type: str
"""

EXAMPLES = r"""
- name: Check this account's data
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join('; ') }}"
  vars:
    __problems: >-
      {{ inventory_hostname | dockyard.ecr.estate_problems(group_names, account_id=aws_account_id,
         region=aws_region, registries=ecr_registries | default([])) }}
"""

RETURN = r"""
_value:
  description: The problems, one message each.
  type: list
  elements: str
"""

# The model is imported when the filter runs, not when the file is loaded: ansible-core loads every filter file
# of the collection, in every worker process, until it finds the one a template asks for (docs/performance.md).


def estate_problems(host, groups, **kwargs):
    from ansible_collections.dockyard.ecr.plugins.module_utils._models.estate import host_problems

    return host_problems(host, groups, **kwargs)


class FilterModule:
    def filters(self):
        return {"estate_problems": estate_problems}
