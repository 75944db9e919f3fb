# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: estate_registry
version_added: 0.1.0
short_description: The registry-level settings of one registry of the estate, as module parameters
description:
  - From C(ecr_registries), the C(registry) block of the registry of this account and region (or of the registry
    named O(name)), that is its account settings, scanning configuration, pull through cache rules and repository
    creation templates. Replication is the entry's own C(replication) key (C(estate_replication)).
  - Each part is checked with the validation of the module that applies it (M(dockyard.ecr.ecr_account_setting),
    M(dockyard.ecr.ecr_registry_scanning), M(dockyard.ecr.ecr_pull_through_cache),
    M(dockyard.ecr.ecr_creation_template)); a message names the part, for example
    C(ecr_registries[0].registry.pull_through_cache[1].credential_arn).
  - Fails when the estate has no such registry. A registry without a C(registry) block has nothing to do.
  - With a dict as input (a C(registry) block itself, as the C(repositories) role takes it), the plan of that block.
  - With O(plan=false), the entry's C(registry) block as written (checked), for the C(repositories) role's
    C(repositories_registry).
author:
  - dockyard.ecr developers (@dockyard)
options:
  _input:
    description: C(ecr_registries), or one C(registry) block.
    type: raw
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
  plan:
    description: Return the plan (V(true)) or the entry's block as written (V(false)).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Set the registry's scanning configuration from the estate
  vars:
    registry: "{{ ecr_registries | dockyard.ecr.estate_registry(account_id=aws_account_id, region=aws_region) }}"
  dockyard.ecr.ecr_registry_scanning:
    scan_type: "{{ registry.scanning.scan_type }}"
    rules: "{{ registry.scanning.rules }}"
  when: registry.scanning is not none
"""

RETURN = r"""
_value:
  description: The registry's settings as module parameters.
  type: dict
  contains:
    account_settings:
      description: The account settings, C({name, value}) each, sorted by name.
      type: list
      elements: dict
    scanning:
      description: C({scan_type, rules}), or V(null) to leave scanning alone.
      type: dict
    pull_through_cache:
      description: The pull through cache rules, each with every option of M(dockyard.ecr.ecr_pull_through_cache).
      type: list
      elements: dict
    creation_templates:
      description: The templates, each with every option of M(dockyard.ecr.ecr_creation_template).
      type: list
      elements: dict
"""

from ansible.errors import AnsibleFilterError

# The model is imported when the filter runs, not when the file is loaded: ansible-core loads every filter file
# of the collection, in every worker process, until it finds the one a template asks for (docs/performance.md).


def estate_registry(data, account_id=None, region=None, name=None, plan=True):
    from ansible_collections.dockyard.ecr.plugins.module_utils._models import estate

    try:
        if isinstance(data, dict) or data is None:
            return estate.registry_block_plan(data, region)
        return estate.registry_settings(data, account_id, region, name, plan=plan)
    except estate.EstateError as e:
        raise AnsibleFilterError(e.message) from e


class FilterModule:
    def filters(self):
        return {"estate_registry": estate_registry}
