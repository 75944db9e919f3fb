#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_replication
version_added: 0.1.0
short_description: Manage the replication configuration of an Amazon ECR private registry
description:
  - Set the rules by which Amazon ECR copies images pushed to this registry (the account of the credentials, in
    O(region)) to other regions of the account (cross-region) and to other accounts (cross-account).
  - Each rule names destinations (a region and, for another account, its ID) and, optionally, repository
    filters (name prefixes); a rule without filters replicates every repository.
  - A cross-account destination must allow this account C(ecr:ReplicateImage) and C(ecr:CreateRepository) in
    its own registry policy. The module returns that policy per destination in RV(destination_policies),
    derived from the same rules, for M(dockyard.ecr.ecr_policy) to merge there (O(dockyard.ecr.ecr_policy#module:scope=registry),
    O(dockyard.ecr.ecr_policy#module:purge_statements=false)), in the destination account and region.
  - Everything is validated before any AWS call (ECR's limits, region names, account IDs, prefixes); what needs
    the registry's own account (a destination equal to the source registry) is checked after the one read, before
    any write.
author:
  - dockyard.ecr developers (@dockyard)
options:
  rules:
    description:
      - The replication rules.
      - Required with O(state=present). With O(state=absent), the rules to remove; leave it out to remove them all.
      - ECR allows at most 25 rules and 25 distinct destinations across all rules.
    type: list
    elements: dict
    suboptions:
      destinations:
        description:
          - Where to replicate to.
        type: list
        elements: dict
        required: true
        suboptions:
          region:
            description:
              - The destination region, for example V(eu-west-1), in the partition of the source registry.
              - The source region itself only with another account's O(rules[].destinations[].registry_id).
            type: str
            required: true
          registry_id:
            description:
              - The AWS account ID (12 digits) of the destination registry.
              - If not set, this registry's own account (cross-region replication).
            type: str
      repository_filters:
        description:
          - Which repositories the rule replicates; leave it out to replicate every repository.
          - At most 100 filters per rule.
        type: list
        elements: dict
        suboptions:
          filter:
            description:
              - A repository name prefix, 2 to 256 characters, for example V(team/) or V(prod).
            type: str
            required: true
            aliases: [prefix]
          filter_type:
            description:
              - How O(rules[].repository_filters[].filter) matches; ECR supports V(PREFIX_MATCH) only.
            type: str
            choices: [PREFIX_MATCH]
            default: PREFIX_MATCH
      delete_replication:
        description:
          - Whether ECR also replicates image deletions and tag removals to the destinations of the rule.
          - V(true) needs a botocore release that knows C(deleteReplication).
        type: bool
        default: false
  state:
    description:
      - V(present) makes the replication configuration hold O(rules) (with O(purge_rules=false), at least them).
      - V(absent) removes the rules in O(rules), or every rule when O(rules) is not given.
    type: str
    choices: [present, absent]
    default: present
  purge_rules:
    description:
      - With O(state=present), V(true) makes O(rules) the whole configuration; V(false) adds the rules that are
        missing and keeps the others.
    type: bool
    default: true
  registry_id:
    description:
      - The AWS account ID (12 digits) of the registry. ECR manages only the credentials' own replication
        configuration, so when set it must be that account (checked against C(DescribeRegistry) before any write).
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the rules before and after, normalised (rules, destinations and filters sorted).
  idempotent:
    support: full
notes:
  - Only images pushed after a rule exists are replicated; ECR creates missing destination repositories (with the
    settings of a matching repository creation template, or its defaults).
  - The replication configuration is per region. Run the module in each source region.
  - Permissions used are C(ecr:DescribeRegistry) and C(ecr:PutReplicationConfiguration) (and, on the first call,
    C(iam:CreateServiceLinkedRole) for ECR's replication role).
  - Against the local emulator (C(tools/localaws)) the emulator copies pushed images to the destinations,
    honouring the filters and the destination's registry policy (see its README).
seealso:
  - module: dockyard.ecr.ecr_policy
    description: Applies RV(destination_policies) to the destination registries.
  - name: Private image replication in Amazon ECR
    description: What replication does and its considerations.
    link: https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html
  - name: Private registry permissions
    description: The destination's registry policy for cross-account replication.
    link: https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry-permissions-create-replication.html
extends_documentation_fragment:
  - dockyard.ecr.attributes
  - dockyard.ecr.attributes.actiongroup_ecr
  - dockyard.ecr.assume_role
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Replicate every repository to a second region, and team/ repositories to another account
  dockyard.ecr.ecr_replication:
    region: us-east-1
    rules:
      - destinations:
          - region: us-west-2
      - destinations:
          - region: eu-west-1
            registry_id: "111122223333"
        repository_filters:
          - filter: team/
  register: replication

- name: Let this account replicate into the other account's registry (run with that account's credentials)
  dockyard.ecr.ecr_policy:
    scope: registry
    region: "{{ item.region }}"
    policy: "{{ item.policy }}"
    purge_statements: false
  loop: "{{ replication.destination_policies }}"
  loop_control:
    label: "{{ item.registry_id }} {{ item.region }}"

- name: Add a rule, keep the others
  dockyard.ecr.ecr_replication:
    rules:
      - destinations:
          - region: ap-southeast-2
        repository_filters:
          - prefix: prod
    purge_rules: false

- name: Remove the replication configuration
  dockyard.ecr.ecr_replication:
    state: absent
"""

RETURN = r"""
replication_configuration:
  description: The replication configuration after the run (in check mode, the one that would be written).
  returned: always
  type: dict
  contains:
    rules:
      description: The rules; an empty list when there are none.
      type: list
      elements: dict
      returned: always
      sample:
        - destinations:
            - region: us-west-2
              registry_id: "123456789012"
          repository_filters:
            - filter: team/
              filter_type: PREFIX_MATCH
          delete_replication: false
registry_id:
  description: The AWS account ID of the registry.
  returned: always
  type: str
  sample: "123456789012"
region:
  description: The region of the registry.
  returned: always
  type: str
  sample: us-east-1
destination_policies:
  description:
    - Per cross-account destination (after the run), the registry policy document that lets this registry
      replicate there, for M(dockyard.ecr.ecr_policy) with O(dockyard.ecr.ecr_policy#module:scope=registry) and
      O(dockyard.ecr.ecr_policy#module:purge_statements=false) in that account and region.
    - One statement with a stable Sid per source registry (C(DockyardReplicationFrom<ACCOUNT><Region>)), granting
      C(ecr:CreateRepository) and C(ecr:ReplicateImage) on the repositories the rules replicate there.
    - Empty when no rule has a cross-account destination.
  returned: always
  type: list
  elements: dict
  contains:
    registry_id:
      description: The destination account.
      type: str
      returned: always
    region:
      description: The destination region (where the registry policy lives).
      type: str
      returned: always
    sid:
      description: The Sid of the statement.
      type: str
      returned: always
    policy:
      description: The policy document holding the statement.
      type: dict
      returned: always
  sample:
    - registry_id: "111122223333"
      region: eu-west-1
      sid: DockyardReplicationFrom123456789012UsEast1
      policy:
        Version: "2012-10-17"
        Statement:
          - Sid: DockyardReplicationFrom123456789012UsEast1
            Effect: Allow
            Principal:
              AWS: arn:aws:iam::123456789012:root
            Action:
              - ecr:CreateRepository
              - ecr:ReplicateImage
            Resource:
              - arn:aws:ecr:eu-west-1:111122223333:repository/team/*
diff:
  description: The rules before and after, normalised.
  returned: always
  type: dict
  contains:
    before:
      description: The rules before the run.
      returned: always
      type: dict
    after:
      description: The rules after the run (predicted in check mode).
      returned: always
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dockyard.ecr.plugins.module_utils._common.assume_role import ASSUME_ROLE_OPTIONS, act_as_role
from ansible_collections.dockyard.ecr.plugins.module_utils._common.clients import ecr_client
from ansible_collections.dockyard.ecr.plugins.module_utils._common.credentials import honour_security_token
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.options import REPLICATION_RULE_OPTIONS, STATES
from ansible_collections.dockyard.ecr.plugins.module_utils._converge.replication import run
from ansible_collections.dockyard.ecr.plugins.module_utils._models.replication import validate_params


def main():
    honour_security_token()
    argument_spec = dict(
        rules=dict(type="list", elements="dict", options=REPLICATION_RULE_OPTIONS),
        state=dict(type="str", choices=list(STATES), default="present"),
        purge_rules=dict(type="bool", default=True),
        registry_id=dict(type="str"),
        **ASSUME_ROLE_OPTIONS,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        request = validate_params(dict(module.params, region=module.region))
        act_as_role(module)
        result = run(ecr_client(module), request, module.region, check_mode=module.check_mode)
    except ECRError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
