# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: replication_policy
version_added: 0.1.0
short_description: The registry policy statements that let the estate's registries replicate into this registry
description:
  - From C(ecr_registries) (entries with C(account_id), C(region) and C(replication) rules), the registry policy
    document a destination registry (O(account_id) in O(region)) needs for every registry that replicates into it
    from another account; V(null) when none does.
  - One statement per source registry, with the stable Sid C(DockyardReplicationFrom<ACCOUNT><Region>), granting
    C(ecr:CreateRepository) and C(ecr:ReplicateImage) on the repositories the rules replicate there, by the same
    function as the RV(dockyard.ecr.ecr_replication#module:destination_policies) of M(dockyard.ecr.ecr_replication),
    so both sides cannot drift.
  - For M(dockyard.ecr.ecr_policy) with O(dockyard.ecr.ecr_policy#module:scope=registry) and
    O(dockyard.ecr.ecr_policy#module:purge_statements=false), which keeps the registry policy's other statements.
author:
  - dockyard.ecr developers (@dockyard)
options:
  _input:
    description: C(ecr_registries), or any list of C({account_id, region, replication}).
    type: list
    elements: dict
    required: true
  account_id:
    description: The destination registry's account ID.
    type: str
    required: true
  region:
    description: The destination registry's region.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Let the estate's registries replicate into this account's registry
  dockyard.ecr.ecr_policy:
    scope: registry
    policy: "{{ __policy }}"
    purge_statements: false
  vars:
    __policy: "{{ ecr_registries | dockyard.ecr.replication_policy(account_id=aws_account_id, region=aws_region) }}"
  when: __policy is not none
"""

RETURN = r"""
_value:
  description: The policy document, or V(null).
  type: dict
"""

from ansible.errors import AnsibleFilterError

# The model is imported when the filter runs, not when the file is loaded: ansible-core loads every filter file
# of the collection, in every worker process, until it finds the one a template asks for (docs/performance.md).


def replication_policy(data, account_id=None, region=None):
    from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
    from ansible_collections.dockyard.ecr.plugins.module_utils._models.replication import registry_replication_policy

    if not account_id or not region:
        raise AnsibleFilterError("replication_policy: give account_id and region of the destination registry")
    try:
        return registry_replication_policy(data, str(account_id), region)
    except ECRError as e:
        raise AnsibleFilterError(e.message) from e


class FilterModule:
    def filters(self):
        return {"replication_policy": replication_policy}
