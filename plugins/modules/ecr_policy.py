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
    registry policy (O(scope=registry)), for cross-account replication and pull through cache, and on
    the V2 registry policy scope for registry-wide grants.
  - Give either a whole document in O(policy), or grants (O(pull), O(push), O(services),
    O(organizations)) that the module turns into statements with stable Sids.
  - Documents are compared semantically. Statement order, list order, a single value against a
    one-item list, an account ID against the C(arn:aws:iam::ID:root) form ECR stores it in, and
    C(Version) make no difference, so a second run reports no change even where AWS rewrites the
    document.
  - Everything is validated before any AWS call. An error names the option (or the element of the
    document, such as C(policy.Statement[1].Effect)) and how to fix it. Documents are checked for what
    ECR accepts, beyond their structure. Actions must be ECR actions the policy can hold (a repository
    policy cannot grant C(ecr:GetAuthorizationToken) or registry-level actions; misspelt names are
    refused, wildcards must match an action). Principals must be accounts, account roots, roles, users,
    assumed-role sessions or V(*) (an IAM group cannot be a principal; an ARN cannot hold a wildcard).
    Condition operators must be IAM's (with C(IfExists) and C(ForAllValues:)/C(ForAnyValue:)), and
    condition value lists must not be empty.
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
        (C(PutRegistryPolicy)). What it can grant depends on the account setting
        C(REGISTRY_POLICY_SCOPE). On V(V2), the default for new registries, a registry policy governs
        every ECR action, and O(pull), O(push) and O(organizations) become registry-wide grants, whose
        statements name every repository of the registry
        (C(arn:PARTITION:ecr:REGION:ACCOUNT:repository/*)). On V(V1) ECR only enforces
        C(ecr:ReplicateImage), C(ecr:CreateRepository) and C(ecr:BatchImportUpstreamImage). Any other
        action, and any grant, is refused before anything is written, with the way to switch to V2
        (the C(dockyard.ecr.ecr_account_setting) module, or C(aws ecr put-account-setting --name REGISTRY_POLICY_SCOPE --value V2)).
      - The setting is read (C(GetAccountSetting)) only for grants, or for a document with more than
        V1's actions.
      - O(services) is refused with this scope; service grants are per repository.
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
      - AWS services that may pull images. Each entry is a dict with C(service), the service
        principal (for example V(codebuild.amazonaws.com)), and the accounts (C(source_accounts), 12-digit
        IDs) and resources (C(source_arns), ARNs in which V(*) matches any part) the service may pull
        for.
      - 'A scoped entry is written as its own statement with Sid C(DockyardServicePull) followed by the
        service''s name (C(DockyardServicePullCodebuild)), granting the pull actions to
        C({"Service": SERVICE}) with the condition C(StringEquals) C(aws:SourceAccount) (the accounts) and
        C(ArnLike) C(aws:SourceArn) (the ARNs). This is AWS''s guidance against the confused deputy
        problem: without it, the service may pull on behalf of any AWS account.'
      - A plain string (the service principal alone) still works, with a warning that it is unscoped; the
        unscoped services share one statement with Sid C(DockyardServicePull), without conditions.
      - Give each service once.
      - 'CodeBuild (a project that pulls its build image with CodeBuild''s own credentials):
        C({service: codebuild.amazonaws.com, source_accounts: [ACCOUNT],
        source_arns: [arn:aws:codebuild:REGION:ACCOUNT:project/NAME]}), as AWS''s CodeBuild guide
        does. CodeBuild''s own credentials reach images of the project''s own account only; a project
        of another account pulls with its service role, which you grant in O(pull).'
      - 'Lambda (functions created from a container image, in another account of the same region):
        C({service: lambda.amazonaws.com, source_arns: [arn:aws:lambda:REGION:ACCOUNT:function:*]}),
        as AWS''s Lambda guide does, together with O(pull) for that account.'
      - Amazon ECS, Amazon EKS and SageMaker AI pull with an IAM role of their own (the ECS task execution
        role, the EKS node role or Fargate pod execution role, the SageMaker AI execution role), not
        with a service principal. Grant that role in O(pull) instead.
    type: list
    elements: raw
  pull_through_cache:
    description:
      - Whether the grants also give C(ecr:BatchImportUpstreamImage), which a consumer of a pull through
        cache repository needs to pull an image the cache does not hold yet.
      - With O(scope=registry), C(ecr:CreateRepository) too, which creates the cache repository on the
        first pull (a repository policy cannot grant it).
      - Only with grants. With a whole O(policy), list the actions in the document.
    type: bool
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
    repository policy cannot grant it (M(dockyard.ecr.ecr_remote_access) and the
    C(dockyard.ecr.remote_access) role write it).
  - Permissions used are C(ecr:GetRepositoryPolicy), C(ecr:SetRepositoryPolicy),
    C(ecr:DeleteRepositoryPolicy), C(ecr:DescribeRepositories) (for RV(registry_id) when the
    repository had no policy), and for O(scope=registry) C(ecr:GetRegistryPolicy),
    C(ecr:PutRegistryPolicy), C(ecr:DeleteRegistryPolicy), C(sts:GetCallerIdentity) and, for grants
    or documents beyond V1's actions, C(ecr:GetAccountSetting).
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
    description: What a registry policy may grant, on the V1 and V2 registry policy scopes.
    link: https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry-permissions.html
  - name: The confused deputy problem
    description: Why service grants name the accounts and resources a service acts for.
    link: https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
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
- name: Let two accounts pull, CI push, and one CodeBuild project pull
  dockyard.ecr.ecr_policy:
    repository: team/app
    pull:
      - "111122223333"
      - "444455556666"
    push:
      - arn:aws:iam::123456789012:role/ci-publisher
    services:
      - service: codebuild.amazonaws.com
        source_accounts:
          - "123456789012"
        source_arns:
          - arn:aws:codebuild:eu-west-1:123456789012:project/build-app

- name: Let the Lambda functions of another account run images of this repository
  dockyard.ecr.ecr_policy:
    repository: team/functions
    pull:
      - "111122223333"
    services:
      - service: lambda.amazonaws.com
        source_arns:
          - arn:aws:lambda:eu-west-1:111122223333:function:*

- name: Let an account pull from the pull through cache repositories, importing what is not cached yet
  dockyard.ecr.ecr_policy:
    repository: docker-hub/library/alpine
    pull:
      - "111122223333"
    pull_through_cache: true

- name: Let every account of the organisation pull from every repository (V2 registry policy scope)
  dockyard.ecr.ecr_policy:
    scope: registry
    organizations:
      - o-a1b2c3d4e5

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
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_grants import grant_warnings
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
        for warning in grant_warnings(request["desired"]):
            module.warn(warning)
        act_as_role(module)
        result = run(ecr_client(module), request, lambda: caller_account(module), check_mode=module.check_mode)
    except ECRError as e:
        module.fail_json_aws_error(e)

    module.exit_json(**result)


if __name__ == "__main__":
    main()
