# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: estate_replication
version_added: 0.1.0
short_description: The replication rules of one registry of the estate
description:
  - From C(ecr_registries) (a list of C({name, account_id, region, repository_defaults, repositories, replication})),
    the C(replication) rules of the registry of this account and region (or of the registry named O(name)), as
    M(dockyard.ecr.ecr_replication) takes them in O(dockyard.ecr.ecr_replication#module:rules).
  - V(null) when that registry has no C(replication) key (or the estate has no such registry), so a play can leave
    the registry's replication configuration alone.
author:
  - dockyard.ecr developers (@dockyard)
options:
  _input:
    description: C(ecr_registries).
    type: list
    elements: dict
    required: true
  account_id:
    description: The registry's account ID.
    type: str
  region:
    description: The registry's region.
    type: str
  name:
    description: The registry's name, instead of O(account_id) and O(region).
    type: str
"""

EXAMPLES = r"""
- name: Converge this registry's replication configuration
  dockyard.ecr.ecr_replication:
    rules: "{{ ecr_registries | dockyard.ecr.estate_replication(account_id=aws_account_id, region=aws_region) }}"
"""

RETURN = r"""
_value:
  description: The rules, or V(null).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

# The model is imported when the filter runs, not when the file is loaded: ansible-core loads every filter file
# of the collection, in every worker process, until it finds the one a template asks for (docs/performance.md).


def estate_replication(data, account_id=None, region=None, name=None):
    from ansible_collections.dockyard.ecr.plugins.module_utils._models import estate

    try:
        return estate.registry_replication(data, account_id, region, name)
    except estate.EstateError as e:
        raise AnsibleFilterError(e.message) from e


class FilterModule:
    def filters(self):
        return {"estate_replication": estate_replication}
