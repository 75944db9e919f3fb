#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_remote_access
version_added: 0.1.0
short_description: Give the IAM roles of a consumer account the ECR permissions the registries grant it, in one call
description:
  - Converges the IAM side of cross-account access to Amazon ECR for one consumer account. For every IAM role
    of O(roles), one inline policy (or a few customer managed policies) allowing C(ecr:GetAuthorizationToken)
    and the pull actions (or pull and push actions) on the repositories the registries grant it, and nothing
    else.
  - The grants are derived from O(registries), the same data the registry side (M(dockyard.ecr.ecr_repositories))
    writes into repository policies, with the same function, so the two halves cannot drift apart. A grant to
    an account (C(111122223333) or its root ARN) reaches every role of O(roles); a grant to a role ARN
    (C(arn:aws:iam::111122223333:role/etl-runner)) reaches that role only.
  - Every policy's size is computed the way IAM counts it (JSON without whitespace) before anything is
    written. Inline, one policy per role, at most 10,240 characters with the role's other inline policies.
    Managed, policies of at most 6,144 characters each, split as needed, at most O(managed_policies_per_role)
    attached per role with its other policies. When the exact repository list does not fit, repository-prefix
    wildcards (C(team/*)) are used for prefixes whose every declared repository is granted; when it still does
    not fit, the module fails before writing anything, naming the role and the sizes.
  - When O(registries) is empty (the registry data is not visible to this host), nothing is read or changed
    and a warning says so.
  - Roles of the account that still hold this module's policy but are no longer in O(roles) are named in a
    warning, or lose the policy with O(purge=true).
author:
  - dockyard.ecr developers (@dockyard)
options:
  account_id:
    description:
      - The consumer account's ID (12 digits), the account of the credentials.
      - If not set, read with C(sts:GetCallerIdentity).
    type: str
  roles:
    description:
      - The IAM roles of the account that use the repositories. The roles must exist; the module creates none.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - The IAM role's name (not its ARN).
        type: str
        required: true
      access:
        description:
          - V(push) gives the push actions on the repositories whose registry grants push; elsewhere pull.
        type: str
        choices: [pull, push]
        default: pull
      repositories:
        description:
          - The names of the repositories this role uses; if not set, all granted ones.
        type: list
        elements: str
      state:
        description:
          - V(absent) removes the role's policy.
        type: str
        choices: [present, absent]
        default: present
  registries:
    description:
      - The registries and their repositories, as C(ecr_registries) in the inventory, each with C(name),
        C(account_id), C(region), C(repository_defaults) and C(repositories) (entries as
        M(dockyard.ecr.ecr_repositories) takes them; their C(pull) and C(push) grants matter here).
      - Mutually exclusive with O(repositories).
    type: list
    elements: dict
  repositories:
    description:
      - Instead of O(registries), the repositories this account may use, each with C(name), C(registry_id),
        C(region) and C(access) (V(pull) or V(push), what the registry grants this account), the older form of
        the C(remote_access) role.
    type: list
    elements: dict
  configure_registries:
    description:
      - The names of the registries of O(registries) this account uses; if not set, all of them.
      - An unknown name fails before any AWS call.
    type: list
    elements: str
  policy_type:
    description:
      - V(inline) puts an inline policy named O(policy_name) on each role.
      - V(managed) creates customer managed policies named C(NAME-ROLE), C(NAME-ROLE-2), ... under
        O(managed_policy_path) and attaches them. Switching removes the policies of the other kind.
      - A role whose policies would take the name of another role's own policy (role C(app) needing two, and a
        role C(app-2) in the account, whose policy is C(NAME-app-2)) fails the run before any write.
    type: str
    choices: [inline, managed]
    default: inline
  policy_name:
    description:
      - The inline policy's name, or the managed policies' name prefix.
    type: str
    default: dockyard-ecr
  managed_policy_path:
    description:
      - The IAM path of the managed policies.
    type: str
    default: /
  managed_policies_per_role:
    description:
      - How many managed policies IAM lets a role have attached (10 unless the quota was raised).
    type: int
    default: 10
  state:
    description:
      - V(absent) removes the policies of every role of O(roles).
    type: str
    choices: [present, absent]
    default: present
  purge:
    description:
      - Remove this module's policies from roles of the account that are no longer in O(roles).
      - If V(false), such roles are named in a warning and keep their policies.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details:
      - Check mode makes the same reads as a real run and no write.
  diff_mode:
    support: full
    details:
      - RV(diff) holds one before/after pair per changed role, with its policies' documents by name.
  idempotent:
    support: full
notes:
  - 'Reads on every run: C(ListRoles), C(ListPolicies) (path scope), and per listed role
    C(ListRolePolicies), C(ListAttachedRolePolicies) and one read per policy of this module; per other role
    one C(ListRolePolicies).'
  - 'Writes: C(PutRolePolicy), C(DeleteRolePolicy), C(CreatePolicy), C(CreatePolicyVersion),
    C(DeletePolicyVersion), C(AttachRolePolicy), C(DetachRolePolicy), C(DeletePolicy), only where something
    differs.'
  - The C(remote_access) role and C(playbooks/configure.yml) call this module once per consumer account.
seealso:
  - module: dockyard.ecr.ecr_repositories
  - module: amazon.aws.iam_policy
  - module: amazon.aws.iam_managed_policy
extends_documentation_fragment:
  - dockyard.ecr.attributes
  - dockyard.ecr.attributes.actiongroup_ecr
  - dockyard.ecr.assume_role
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Give the roles of this account what the registries grant it
  dockyard.ecr.ecr_remote_access:
    account_id: "111111111111"
    roles:
      - name: ecsTaskExecutionRole
      - name: codebuild-ci
        access: push
    registries:
      - name: main
        account_id: "123456789012"
        region: us-east-1
        repositories:
          - name: team/api
            pull: ["111111111111"]
            push: ["arn:aws:iam::111111111111:role/codebuild-ci"]

- name: Managed policies, and remove them from roles no longer listed
  dockyard.ecr.ecr_remote_access:
    roles: "{{ remote_access_roles }}"
    registries: "{{ ecr_registries }}"
    policy_type: managed
    purge: true
"""

RETURN = r"""
roles:
  description: One entry per role of O(roles) (and per purged role).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The role's name.
      type: str
      returned: always
    state:
      description: V(present) when the role has a grant, V(absent) when it has none.
      type: str
      returned: always
    changed:
      description: Whether its policies changed (would change, in check mode).
      type: bool
      returned: always
    pull:
      description: The repository ARNs it may pull from.
      type: list
      elements: str
      returned: always
    push:
      description: The repository ARNs it may push to.
      type: list
      elements: str
      returned: always
    policies:
      description: The names of its policies after the run.
      type: list
      elements: str
      returned: always
    sizes:
      description: The size of each policy, as IAM counts it.
      type: dict
      returned: always
    added:
      description: The grants added, as C(LEVEL ARN).
      type: list
      elements: str
      returned: always
    removed:
      description: The grants removed, as C(LEVEL ARN).
      type: list
      elements: str
      returned: always
unlisted:
  description: Roles of the account that hold this module's policy but are not in O(roles).
  returned: always
  type: list
  elements: str
purged:
  description: Whether the unlisted roles' policies were removed (O(purge=true)).
  returned: always
  type: bool
notes:
  description: What the plan left alone, and why (registry data not visible, grants to unlisted roles).
  returned: always
  type: list
  elements: str
summary:
  description: The plan (check mode) or what was done, as lines a person reads.
  returned: always
  type: list
  elements: str
diff:
  description: One before/after pair per changed role.
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dockyard.ecr.plugins.module_utils._common.assume_role import ASSUME_ROLE_OPTIONS, act_as_role
from ansible_collections.dockyard.ecr.plugins.module_utils._common.caller import caller_account
from ansible_collections.dockyard.ecr.plugins.module_utils._common.clients import ecr_client
from ansible_collections.dockyard.ecr.plugins.module_utils._common.credentials import honour_security_token
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import ACCOUNT_ID_RE
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import remote_access
from ansible_collections.dockyard.ecr.plugins.module_utils._models import estate

ROLE_OPTIONS = dict(
    name=dict(type="str", required=True),
    access=dict(type="str", choices=["pull", "push"], default="pull"),
    repositories=dict(type="list", elements="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)


def main():
    honour_security_token()
    argument_spec = dict(
        account_id=dict(type="str"),
        roles=dict(type="list", elements="dict", default=[], options=ROLE_OPTIONS),
        registries=dict(type="list", elements="dict"),
        repositories=dict(type="list", elements="dict"),
        configure_registries=dict(type="list", elements="str"),
        policy_type=dict(type="str", choices=list(estate.POLICY_TYPES), default="inline"),
        policy_name=dict(type="str", default=estate.DEFAULT_POLICY_NAME),
        managed_policy_path=dict(type="str", default="/"),
        managed_policies_per_role=dict(type="int", default=estate.MANAGED_PER_ROLE_DEFAULT),
        state=dict(type="str", choices=list(estate.STATES), default="present"),
        purge=dict(type="bool", default=False),
        **ASSUME_ROLE_OPTIONS,
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("registries", "repositories")],
    )
    params = module.params
    try:
        account_id = params["account_id"]
        if account_id is not None and not ACCOUNT_ID_RE.fullmatch(str(account_id)):
            raise ECRError(
                message=f"account_id: {account_id!r} is not a 12-digit AWS account ID",
                option="account_id",
            )
        region = module.region

        def plan_for(account):
            registries = params["registries"] or []
            if params["repositories"] is not None:
                registries = estate.registries_from_repositories(params["repositories"], account) or [
                    # No repository at all is a visible answer: every role loses its grant.
                    {
                        "name": "repositories",
                        "account_id": account,
                        "region": region,
                        "repositories": [],
                    }
                ]
            plan = estate.account_plan(
                account,
                params["roles"],
                registries,
                params["configure_registries"],
                region,
                params["policy_type"],
                params["policy_name"],
                params["state"],
                params["managed_policies_per_role"],
            )
            return registries, plan

        # Everything is checked (the data, every role's sizes) before the first AWS call (role_arn's AssumeRole).
        planned = plan_for(account_id if account_id is not None else "000000000000")
        act_as_role(module)
        if account_id is None:
            account_id = caller_account(module, hint="; give account_id instead")
            planned = plan_for(account_id)
        registries, plan = planned
        client = ecr_client(module, "iam") if plan["visible"] else None
        result = remote_access.converge(
            client,
            plan,
            account_id,
            region,
            check_mode=module.check_mode,
            policy_type=params["policy_type"],
            policy_name=params["policy_name"],
            path=params["managed_policy_path"],
            managed_per_role=params["managed_policies_per_role"],
            purge=params["purge"],
            universe=estate.declared_names(registries),
        )
    except ECRError as e:
        module.fail_json_aws_error(e)

    for note in result["notes"]:
        module.warn(note)
    if result["unlisted"] and not result["purged"]:
        module.warn(
            f"IAM roles {', '.join(result['unlisted'])} of account {account_id} still hold the {params['policy_name']} "
            "policy but are not in roles; set purge=true (remote_access_purge: true) to remove it"
        )
    result["summary"] = estate.consumer_summary(result, module.check_mode)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
