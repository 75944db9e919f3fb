#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_creation_template
version_added: 0.1.0
short_description: Manage an Amazon ECR repository creation template
description:
  - Create, update or delete a repository creation template of the Amazon ECR registry of the credentials'
    account and region. ECR applies a template to the repositories it creates itself, for replication, for a
    pull through cache, or for a push to a repository that does not exist yet (create on push). Those
    repositories then get the template's tag mutability, encryption, tags, lifecycle policy and repository policy.
  - The settings are written as for a repository. Tag mutability, encryption and tags are as in
    M(dockyard.ecr.ecr_repo), the lifecycle policy as in M(dockyard.ecr.ecr_lifecycle) (rules, a whole
    document or presets), and the repository policy as grants or a whole document, as in M(dockyard.ecr.ecr_policy).
    They are validated by the same code before any AWS call.
  - Settings that are not set are left alone on an existing template, and take ECR's defaults on a new one.
    The template is compared by meaning (policies and lifecycle rules in any order) and written only when it differs.
author:
  - dockyard.ecr developers (@dockyard)
options:
  prefix:
    description:
      - The repository name prefix the template applies to, for example V(prod/) or V(team/app).
      - V(ROOT) applies to every repository that no other template's prefix matches.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the template; V(absent) deletes it (repositories created from it stay as they are).
    type: str
    choices: [present, absent]
    default: present
  applied_for:
    description:
      - Which repositories ECR creates from the template. V(replication) covers replicated repositories,
        V(pull_through_cache) repositories of a pull through cache rule, and V(create_on_push) repositories
        created by a push.
      - Required to create a template.
    type: list
    elements: str
    choices: [replication, pull_through_cache, create_on_push]
  description:
    description:
      - What the template is for, up to 256 characters.
    type: str
  image_tag_mutability:
    description:
      - The tag mutability of the repositories, as in O(dockyard.ecr.ecr_repo#module:image_tag_mutability).
    type: str
    choices: [mutable, immutable, mutable_with_exclusion, immutable_with_exclusion]
  image_tag_mutability_exclusion_filters:
    description:
      - The tags that the mutability setting does not apply to, 1 to 5 wildcard filters, with
        O(image_tag_mutability=mutable_with_exclusion) or V(immutable_with_exclusion) only.
    type: list
    elements: str
  encryption:
    description:
      - How the repositories are encrypted.
    type: dict
    suboptions:
      type:
        description:
          - V(AES256), V(KMS) or V(KMS_DSSE).
        type: str
        choices: [AES256, KMS, KMS_DSSE]
      kms_key:
        description:
          - With V(KMS) or V(KMS_DSSE), the key's ARN (a template takes no alias). If not set, ECR's AWS managed key.
        type: str
  tags:
    description:
      - The tags of the repositories ECR creates from the template (a dict).
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description:
      - With O(tags), remove the template's tags that O(tags) does not list.
    type: bool
    default: true
  lifecycle:
    description:
      - The lifecycle policy of the repositories, as O(lifecycle.rules), a whole O(lifecycle.policy) document,
        or presets (O(lifecycle.keep_last), O(lifecycle.expire_untagged_after_days),
        O(lifecycle.keep_tag_prefixes)). Give one of those three forms.
      - If not set, the template's lifecycle policy is left alone.
    type: dict
    suboptions:
      rules:
        description:
          - The rules, as in O(dockyard.ecr.ecr_lifecycle#module:rules).
        type: list
        elements: dict
        suboptions:
          priority:
            description: The rule priority, unique, lower first.
            type: int
          description:
            description: What the rule is for.
            type: str
          tag_status:
            description: V(tagged), V(untagged) or V(any).
            type: str
          tag_prefixes:
            description: Tag prefixes (with V(tagged)).
            type: list
            elements: str
          tag_patterns:
            description: Tag patterns with C(*) (with V(tagged)).
            type: list
            elements: str
          storage_class:
            description: V(standard) or V(archive).
            type: str
          count_type:
            description: V(image_count_more_than), V(since_image_pushed), V(since_image_pulled) or V(since_image_transitioned).
            type: str
          count:
            description: A number of images or of days.
            type: int
          count_unit:
            description: V(days) for the age count types.
            type: str
          action:
            description: V(expire) or V(transition).
            type: str
            default: expire
          target_storage_class:
            description: With V(transition), V(archive).
            type: str
      policy:
        description:
          - A whole ECR lifecycle policy document, as in O(dockyard.ecr.ecr_lifecycle#module:policy).
        type: json
      keep_last:
        description:
          - Preset. Keep the N most recently pushed images and expire the others.
        type: int
      expire_untagged_after_days:
        description:
          - Preset. Expire untagged images this many days after they were pushed.
        type: int
      keep_tag_prefixes:
        description:
          - Preset. Never expire images with a tag that starts with one of these prefixes (needs O(lifecycle.keep_last)).
        type: list
        elements: str
  pull:
    description:
      - The repository policy's grants, as in O(dockyard.ecr.ecr_policy#module:pull). These accounts
        (12-digit IDs) and IAM role or user ARNs may pull.
      - The grants (O(pull), O(push), O(services), O(organizations)) are mutually exclusive with O(policy).
        If none of them nor O(policy) is set, the template's repository policy is left alone.
    type: list
    elements: str
  push:
    description:
      - Accounts and IAM role or user ARNs that may push (and pull), as in O(dockyard.ecr.ecr_policy#module:push).
    type: list
    elements: str
  services:
    description:
      - AWS services that may pull, as in O(dockyard.ecr.ecr_policy#module:services) (a dict with C(service),
        C(source_accounts) and C(source_arns), or the service principal alone, which warns that it is unscoped).
    type: list
    elements: raw
  pull_through_cache:
    description:
      - Whether the grants also give C(ecr:BatchImportUpstreamImage), as in
        O(dockyard.ecr.ecr_policy#module:pull_through_cache). Only with grants.
    type: bool
  organizations:
    description:
      - AWS Organizations IDs whose principals may pull, as in O(dockyard.ecr.ecr_policy#module:organizations).
    type: list
    elements: str
  policy:
    description:
      - The repository policy as a whole document (a dict or JSON), validated as in
        O(dockyard.ecr.ecr_policy#module:policy).
    type: json
  allow_public:
    description:
      - Allow a repository policy that grants everyone (C(*)).
    type: bool
    default: false
  custom_role_arn:
    description:
      - The ARN of an IAM role that ECR assumes to create the repositories, needed when the template sets
        tags or a KMS key that ECR's service-linked role cannot use.
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the template's settings before and after, the lifecycle policy as snake_case rules.
  idempotent:
    support: full
notes:
  - The API acts on the registry of the credentials' account; there is no C(registry_id) option.
  - A lifecycle or repository policy cannot be removed from a template by this module; delete and recreate
    the template for that.
  - Permissions used are C(ecr:DescribeRepositoryCreationTemplates), C(ecr:CreateRepositoryCreationTemplate),
    C(ecr:UpdateRepositoryCreationTemplate) and C(ecr:DeleteRepositoryCreationTemplate).
  - Tested against the local emulator (moto with the collection's extensions). It keeps the templates and
    checks them as ECR's API does, but creates no repository from them (it performs neither pull through
    cache nor create on push).
seealso:
  - module: dockyard.ecr.ecr_pull_through_cache
  - module: dockyard.ecr.ecr_repo
  - module: dockyard.ecr.ecr_lifecycle
  - module: dockyard.ecr.ecr_policy
  - name: Templates to control repositories created during a pull through cache, create on push, or replication action
    description: How ECR applies repository creation templates.
    link: https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-creation-templates.html
extends_documentation_fragment:
  - dockyard.ecr.attributes
  - dockyard.ecr.attributes.actiongroup_ecr
  - dockyard.ecr.assume_role
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Cached Docker Hub repositories are immutable, keep 20 images and may be pulled by the organisation
  dockyard.ecr.ecr_creation_template:
    prefix: docker-hub
    applied_for: [pull_through_cache]
    description: Docker Hub cache
    image_tag_mutability: immutable
    lifecycle:
      keep_last: 20
    organizations: [o-a1b2c3d4e5]
    tags:
      source: docker-hub

- name: Every repository ECR creates without a more specific template
  dockyard.ecr.ecr_creation_template:
    prefix: ROOT
    applied_for: [replication, pull_through_cache, create_on_push]
    encryption:
      type: KMS
      kms_key: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    lifecycle:
      expire_untagged_after_days: 7

- name: Remove a template
  dockyard.ecr.ecr_creation_template:
    prefix: docker-hub
    state: absent
"""

RETURN = r"""
repository_creation_template:
  description:
    - The template after the run (predicted in check mode); V(null) when there is none.
  returned: always
  type: dict
  contains:
    prefix:
      description: The prefix.
      returned: always
      type: str
      sample: docker-hub
    description:
      description: The description.
      returned: always
      type: str
      sample: Docker Hub cache
    applied_for:
      description: What the template applies to, sorted.
      returned: always
      type: list
      elements: str
      sample: [pull_through_cache]
    image_tag_mutability:
      description: The tag mutability.
      returned: always
      type: str
      sample: immutable
    image_tag_mutability_exclusion_filters:
      description: The exclusion filters, sorted.
      returned: always
      type: list
      elements: str
      sample: []
    encryption:
      description: The encryption (C(type), C(kms_key)).
      returned: always
      type: dict
      sample: {type: AES256, kms_key: null}
    tags:
      description: The repositories' tags.
      returned: always
      type: dict
      sample: {source: docker-hub}
    lifecycle_policy:
      description: The lifecycle policy document, normalised; V(null) for none.
      returned: always
      type: dict
    repository_policy:
      description: The repository policy document; V(null) for none.
      returned: always
      type: dict
    custom_role_arn:
      description: The role ECR assumes, or V(null).
      returned: always
      type: str
      sample: null
"""

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dockyard.ecr.plugins.module_utils._common.assume_role import ASSUME_ROLE_OPTIONS, act_as_role
from ansible_collections.dockyard.ecr.plugins.module_utils._common.clients import ecr_client
from ansible_collections.dockyard.ecr.plugins.module_utils._common.credentials import honour_security_token
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.options import (
    ENCRYPTION_TYPES,
    GRANT_SPEC,
    MUTABILITIES,
    STATES,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._common.partitions import partition_for_region
from ansible_collections.dockyard.ecr.plugins.module_utils._converge.creation_template import run
from ansible_collections.dockyard.ecr.plugins.module_utils._models.bulk_request import LIFECYCLE_OPTIONS
from ansible_collections.dockyard.ecr.plugins.module_utils._models.creation_template import (
    APPLIED_FOR,
    validate_params,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_rules import supported_features
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_validation import HAS_JSONSCHEMA


def main():
    honour_security_token()
    argument_spec = dict(
        prefix=dict(type="str", required=True),
        state=dict(type="str", choices=list(STATES), default="present"),
        applied_for=dict(type="list", elements="str", choices=list(APPLIED_FOR)),
        description=dict(type="str"),
        image_tag_mutability=dict(type="str", choices=list(MUTABILITIES)),
        image_tag_mutability_exclusion_filters=dict(type="list", elements="str"),
        encryption=dict(
            type="dict",
            options=dict(
                type=dict(type="str", choices=list(ENCRYPTION_TYPES)),
                kms_key=dict(type="str", no_log=False),
            ),
        ),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        # ecr_repositories' lifecycle options, without state (a template's lifecycle policy is replaced, not removed).
        lifecycle=dict(
            type="dict",
            # A template holds no images: nothing to preview or guard.
            options={k: v for k, v in LIFECYCLE_OPTIONS.items() if k not in ("state", "preview", "max_expire_percent")},
        ),
        **GRANT_SPEC,
        policy=dict(type="json"),
        allow_public=dict(type="bool", default=False),
        custom_role_arn=dict(type="str"),
        **ASSUME_ROLE_OPTIONS,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if not HAS_JSONSCHEMA:
        module.fail_json(msg=missing_required_lib("jsonschema"))
    try:
        client = ecr_client(module)
        request = validate_params(
            module.params,
            features=supported_features(client.meta.service_model),
            partition=partition_for_region(module.region),
        )
        # The check above needs only the client's service model (no call); the role's client does the work.
        if act_as_role(module):
            client = ecr_client(module)
        result = run(client, request, check_mode=module.check_mode)
    except ECRError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
