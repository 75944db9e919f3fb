#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_policy
version_added: 0.1.0
short_description: Manage the resource policy of an Amazon ECR repository or registry
description:
  - Set or remove the policy that lets other accounts, AWS services and whole organisations pull
    from or push to an Amazon ECR private repository (O(scope=repository), the default), or the
    registry policy used for cross-account replication and pull through cache
    (O(scope=registry)).
  - Give either a whole document in O(policy), or grants (O(pull), O(push), O(services),
    O(organizations)) that the module turns into statements with stable Sids.
  - Documents are compared semantically. Statement order, list order, a single value against a
    one-item list, an account ID against the C(arn:aws:iam::ID:root) form ECR stores it in, and
    C(Version) make no difference, so a second run reports no change even where AWS rewrites the
    document.
  - Everything is validated before any AWS call. An error names the option (or the element of the
    document, such as C(policy.Statement[1].Effect)) and how to fix it.
author:
  - dockyard.ecr developers (@dockyard)
options:
  repository:
    description:
      - The name of the repository whose policy to manage, for example C(team/app).
      - Required with O(scope=repository). Not allowed with O(scope=registry).
      - The repository must exist (M(dockyard.ecr.ecr_repo) creates it), except with O(state=absent),
        where a missing repository counts as having no policy.
    type: str
  scope:
    description:
      - V(repository) manages a repository's policy (C(SetRepositoryPolicy)).
      - V(registry) manages the registry policy of the account the credentials belong to
        (C(PutRegistryPolicy)), which only grants C(ecr:ReplicateImage), C(ecr:CreateRepository)
        and C(ecr:BatchImportUpstreamImage). It takes a whole document in O(policy); grants are
        repository permissions and are refused with this scope.
    type: str
    choices: [repository, registry]
    default: repository
  registry_id:
    description:
      - The AWS account ID (12 digits) of the registry that holds the repository.
      - If not set, the registry of the account the credentials belong to.
      - With O(scope=registry), ECR only manages the caller's own registry policy, so when set it
        must be the credentials' account (checked with C(sts:GetCallerIdentity)).
    type: str
  state:
    description:
      - V(present) makes the policy grant what O(policy) or the grants say.
      - V(absent) with O(purge_statements=true) deletes the whole policy.
      - V(absent) with O(purge_statements=false) removes only the statements this task owns (the
        grants' Sids, or the Sids of the statements in O(policy)) and keeps the others; the policy
        is deleted when nothing remains.
    type: str
    choices: [present, absent]
    default: present
  policy:
    description:
      - A whole policy document, as a dict or a JSON string.
      - Validated with jsonschema before any AWS call. C(Statement) (an object or a non-empty list) is
        required, C(Version) is V(2012-10-17) or V(2008-10-17) (V(2012-10-17) is added when
        missing), every statement needs C(Effect) V(Allow) or V(Deny), exactly one of
        C(Principal)/C(NotPrincipal) and exactly one of C(Action)/C(NotAction).
      - Mutually exclusive with O(pull), O(push), O(services) and O(organizations).
    type: json
  pull:
    description:
      - Principals that may pull images, as 12-digit account IDs (quote them in YAML so leading
        zeros are kept), account root ARNs (C(arn:aws:iam::ID:root)) or IAM role or user ARNs.
      - Written as one statement with Sid C(DockyardPull) granting C(ecr:BatchGetImage),
        C(ecr:GetDownloadUrlForLayer) and C(ecr:BatchCheckLayerAvailability); account IDs are
        written as account root ARNs, as ECR stores them.
      - A principal also in O(push) is left out here, since push includes pull.
      - V(*) (everyone) is refused unless O(allow_public=true).
      - A grant given as an empty list removes that kind's statement. When every grant given is
        empty the task fails, since the policy would grant nothing; use O(state=absent) instead.
    type: list
    elements: str
  push:
    description:
      - Principals that may push (and pull) images, in the same forms as O(pull).
      - Written as one statement with Sid C(DockyardPush) granting the pull actions and
        C(ecr:PutImage), C(ecr:InitiateLayerUpload), C(ecr:UploadLayerPart) and
        C(ecr:CompleteLayerUpload).
    type: list
    elements: str
  services:
    description:
      - AWS service principals that may pull images, for example V(codebuild.amazonaws.com) or
        V(lambda.amazonaws.com).
      - 'Written as one statement with Sid C(DockyardServicePull) whose C(Principal) is
        C({"Service": [...]}), granting the pull actions, without conditions.'
      - That is what CodeBuild and Lambda need in the repository's own account. To let a service
        pull on behalf of some accounts only, restrict it with C(aws:SourceAccount) or
        C(aws:SourceArn) in a whole O(policy) document instead.
    type: list
    elements: str
  organizations:
    description:
      - AWS Organizations IDs (V(o-...)) whose every principal may pull images.
      - 'Written as one statement with Sid C(DockyardOrgPull) whose C(Principal) is C("*"), with the
        condition C({"StringEquals": {"aws:PrincipalOrgID": [...]}}), granting the pull actions.
        With that condition it is not public.'
    type: list
    elements: str
  purge_statements:
    description:
      - When V(true), the policy holds exactly the statements of O(policy) or of the grants.
      - When V(false), statements whose Sids this task does not own are kept as they are, so that
        several teams (or tasks) can share a repository's policy. This task owns the Sids
        C(DockyardPull), C(DockyardPush), C(DockyardServicePull) and C(DockyardOrgPull) with grants,
        or the Sids of the statements in O(policy). Give every statement of O(policy) a Sid when
        sharing, since a statement without a Sid cannot be told apart from other people's.
    type: bool
    default: true
  allow_public:
    description:
      - 'Allow statements that grant everyone, that is a C(*) principal (C("*") or C({"AWS": "*"}))
        or a C(NotPrincipal) in an C(Allow) statement without a C(Condition), and V(*) in O(pull) or
        O(push).'
      - Without it such a policy is refused before anything is written.
      - Only this task's statements are checked; statements kept with O(purge_statements=false)
        are left as they are.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the documents before and after, normalised (statements and lists sorted,
        single values as lists, account IDs as account root ARNs).
  idempotent:
    support: full
notes:
  - Real ECR refuses a policy that names an account, role or user that does not exist
    (C(InvalidParameterException) saying C(Principal not found)); a role created a moment before
    may need a few seconds before ECR accepts it.
  - When a role or user named in a policy is deleted, ECR shows its unique ID (C(AROA...)) in place of
    the ARN. The module then sees a difference and writes the ARN again, which fails until the
    principal exists again.
  - Consumers also need C(ecr:GetAuthorizationToken) in an IAM policy of their own account; a
    repository policy cannot grant it.
  - Permissions used are C(ecr:GetRepositoryPolicy), C(ecr:SetRepositoryPolicy),
    C(ecr:DeleteRepositoryPolicy), C(ecr:DescribeRepositories) (for RV(registry_id) when the
    repository had no policy), and for O(scope=registry) C(ecr:GetRegistryPolicy),
    C(ecr:PutRegistryPolicy), C(ecr:DeleteRegistryPolicy) and C(sts:GetCallerIdentity).
seealso:
  - module: dockyard.ecr.ecr_repo
  - module: dockyard.ecr.ecr_repo_info
    description: Read repositories with their policies (O(dockyard.ecr.ecr_repo_info#module:include_policy=true)).
  - module: community.aws.ecs_ecr
    description: The community.aws module, which takes a whole policy document only.
  - name: Private repository policy examples
    description: AWS's examples of repository policies.
    link: https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html
  - name: Private registry permissions
    description: What a registry policy may grant.
    link: https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry-permissions.html
extends_documentation_fragment:
  - dockyard.ecr.attributes
  - dockyard.ecr.attributes.actiongroup_ecr
  - dockyard.ecr.assume_role
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
requirements:
  - jsonschema (when O(policy) is given)
"""

EXAMPLES = r"""
- name: Let two accounts pull, CI push, and CodeBuild pull
  dockyard.ecr.ecr_policy:
    repository: team/app
    pull:
      - "111122223333"
      - "444455556666"
    push:
      - arn:aws:iam::123456789012:role/ci-publisher
    services:
      - codebuild.amazonaws.com

- name: Let every account of the organisation pull
  dockyard.ecr.ecr_policy:
    repository: team/base-image
    organizations:
      - o-a1b2c3d4e5

- name: Share a policy with another team, keeping their statements
  dockyard.ecr.ecr_policy:
    repository: shared/tools
    pull:
      - "111122223333"
    purge_statements: false

- name: Set a whole document
  dockyard.ecr.ecr_policy:
    repository: team/app
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: LambdaPull
          Effect: Allow
          Principal:
            Service: lambda.amazonaws.com
          Action:
            - ecr:BatchGetImage
            - ecr:GetDownloadUrlForLayer
          Condition:
            StringLike:
              aws:sourceArn: arn:aws:lambda:eu-west-1:111122223333:function:*

- name: Let a source account replicate into this registry
  dockyard.ecr.ecr_policy:
    scope: registry
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: ReplicationFromSource
          Effect: Allow
          Principal:
            AWS: arn:aws:iam::111122223333:root
          Action:
            - ecr:CreateRepository
            - ecr:ReplicateImage
          Resource: arn:aws:ecr:eu-west-1:123456789012:repository/*

- name: Remove only the statements the grants own, keep the rest
  dockyard.ecr.ecr_policy:
    repository: shared/tools
    state: absent
    purge_statements: false

- name: Delete a repository's policy
  dockyard.ecr.ecr_policy:
    repository: team/app
    state: absent
"""

RETURN = r"""
policy:
  description:
    - The policy document in force after the run, as ECR returns it (in check mode, the document
      that would be written).
    - An empty dict when there is no policy.
  returned: always
  type: dict
  sample:
    Version: "2012-10-17"
    Statement:
      - Sid: DockyardPull
        Effect: Allow
        Principal:
          AWS:
            - arn:aws:iam::111122223333:root
        Action:
          - ecr:BatchCheckLayerAvailability
          - ecr:BatchGetImage
          - ecr:GetDownloadUrlForLayer
repository:
  description: The repository's name; V(null) with O(scope=registry).
  returned: always
  type: str
  sample: team/app
registry_id:
  description: The AWS account ID of the registry.
  returned: when known (always, unless O(state=absent) and the repository does not exist)
  type: str
  sample: "123456789012"
diff:
  description: The documents before and after, normalised (empty dicts for no policy).
  returned: always
  type: dict
  contains:
    before:
      description: The normalised document before the run.
      returned: always
      type: dict
    after:
      description: The normalised document after the run (predicted in check mode).
      returned: always
      type: dict
"""

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dockyard.ecr.plugins.module_utils._common.assume_role import ASSUME_ROLE_OPTIONS, act_as_role
from ansible_collections.dockyard.ecr.plugins.module_utils._common.caller import caller_account
from ansible_collections.dockyard.ecr.plugins.module_utils._common.clients import ecr_client
from ansible_collections.dockyard.ecr.plugins.module_utils._common.credentials import honour_security_token
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.options import GRANT_SPEC, SCOPES, STATES
from ansible_collections.dockyard.ecr.plugins.module_utils._converge.policy import run
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_document import HAS_JSONSCHEMA
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_request import validate_params


def main():
    honour_security_token()
    argument_spec = dict(
        repository=dict(type="str"),
        scope=dict(type="str", choices=list(SCOPES), default="repository"),
        registry_id=dict(type="str"),
        state=dict(type="str", choices=list(STATES), default="present"),
        policy=dict(type="json"),
        purge_statements=dict(type="bool", default=True),
        allow_public=dict(type="bool", default=False),
        **GRANT_SPEC,
        **ASSUME_ROLE_OPTIONS,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)

    if module.params["policy"] is not None and not HAS_JSONSCHEMA:
        module.fail_json(msg=missing_required_lib("jsonschema"))

    try:
        request = validate_params(module.params)
        act_as_role(module)
        result = run(ecr_client(module), request, lambda: caller_account(module), check_mode=module.check_mode)
    except ECRError as e:
        module.fail_json_aws_error(e)

    module.exit_json(**result)


if __name__ == "__main__":
    main()
