#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_repo
version_added: 0.1.0
short_description: Manage an Amazon ECR repository and its settings
description:
  - Create, update or delete an Amazon ECR private repository and its settings (image tag
    mutability with exclusion filters, scan on push, encryption and tags).
  - An option that is left out leaves that setting of an existing repository as it is. A new
    repository gets ECR's defaults for the options left out (mutable tags, no scan on push, AES256).
  - Nothing is written when nothing differs, and only the settings that differ are written.
  - Encryption cannot change once a repository exists. Asking for a different encryption fails,
    and changes nothing. An explicit O(encryption.type=AES256) on an AES256 repository, or a key
    alias that names the key ECR reports, is no difference.
  - Use M(dockyard.ecr.ecr_repo_info) to read repositories, their policies and lifecycle policies.
author:
  - dockyard.ecr developers (@dockyard)
options:
  name:
    description:
      - The repository name, for example C(team/app).
      - ECR allows 2 to 256 characters; lower-case letters and digits, with C(.), C(_), C(__) or
        C(-) between them and C(/) between path components.
    type: str
    required: true
  state:
    description:
      - Whether the repository should exist.
      - With V(absent), a repository that holds images is only deleted with O(force=true).
    type: str
    choices: [present, absent]
    default: present
  image_tag_mutability:
    description:
      - Whether an image tag can be pushed again to point to another image (V(mutable)) or not
        (V(immutable)).
      - V(mutable_with_exclusion) and V(immutable_with_exclusion) make the tags that match
        O(image_tag_mutability_exclusion_filters) behave the other way.
      - If not set, an existing repository keeps its setting; a new one is V(mutable).
    type: str
    choices: [mutable, immutable, mutable_with_exclusion, immutable_with_exclusion]
  image_tag_mutability_exclusion_filters:
    description:
      - Wildcard filters (C(*) matches any characters) naming the tags that are exempt from
        O(image_tag_mutability), for example V(latest) or V(dev-*).
      - Only with O(image_tag_mutability=mutable_with_exclusion) or
        O(image_tag_mutability=immutable_with_exclusion), which need 1 to 5 filters.
      - If not set while switching between those two, the repository's filters are kept.
      - Compared as a set; order does not matter.
      - Needs a botocore release with ECR's exclusion filters (mid-2025 or later).
    type: list
    elements: str
  scan_on_push:
    description:
      - Whether images are scanned for known vulnerabilities when they are pushed.
      - If not set, an existing repository keeps its setting; a new one does not scan on push.
    type: bool
  encryption:
    description:
      - How images are encrypted at rest. Only set when the repository is created.
      - If set for an existing repository, it must be what the repository has, otherwise the
        module fails without changing anything.
      - If not set, a new repository uses V(AES256).
    type: dict
    suboptions:
      type:
        description:
          - The encryption type.
          - Required when O(encryption) is set.
        type: str
        choices: [AES256, KMS, KMS_DSSE]
      kms_key:
        description:
          - The KMS key, as a key ID, key ARN, alias name (C(alias/NAME)) or alias ARN.
          - Only with O(encryption.type=KMS) or O(encryption.type=KMS_DSSE). If not set, ECR uses
            the AWS managed key C(aws/ecr) for a new repository, and any key is accepted for an
            existing one.
          - An alias or key ID is compared with the key ARN ECR reports; an alias needs
            C(kms:DescribeKey) on the key. Without that permission, give the key ARN.
        type: str
  force:
    description:
      - With O(state=absent), delete the repository even if it holds images (they are deleted too).
      - Without it, deleting a repository that holds images fails with the number of images, and
        nothing is deleted.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the repository's settings (name, tag mutability and filters, scan on push,
        encryption, tags) before and after.
  idempotent:
    support: full
notes:
  - In check mode, a repository that does not exist yet is returned with the RV(repository.arn),
    RV(repository.uri) and RV(repository.registry_id) ECR will give it (the account is O(registry_id),
    or the caller's from C(sts:GetCallerIdentity); the partition and DNS suffix follow the region),
    and without RV(repository.created_at), which ECR only knows once it creates it.
  - Permissions used are C(ecr:DescribeRepositories), C(ecr:ListTagsForResource),
    C(ecr:CreateRepository), C(ecr:PutImageTagMutability), C(ecr:PutImageScanningConfiguration),
    C(ecr:TagResource), C(ecr:UntagResource), C(ecr:DescribeImages), C(ecr:DeleteRepository) and,
    to compare key aliases, C(kms:DescribeKey); in check mode, to predict a new repository's ARN
    and URI without O(registry_id), C(sts:GetCallerIdentity).
seealso:
  - module: dockyard.ecr.ecr_repo_info
  - module: community.aws.ecs_ecr
    description: The community.aws module; its defaults turn scan on push off and make tags mutable again when left out.
  - module: amazon.aws.kms_key
    description: Create the KMS key for O(encryption.kms_key).
  - name: Amazon ECR private repositories
    description: The ECR user guide.
    link: https://docs.aws.amazon.com/AmazonECR/latest/userguide/Repositories.html
extends_documentation_fragment:
  - dockyard.ecr.attributes
  - dockyard.ecr.attributes.actiongroup_ecr
  - dockyard.ecr.registry
  - dockyard.ecr.registry.registry_id
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create a repository with ECR's defaults (or leave an existing one as it is)
  dockyard.ecr.ecr_repo:
    name: team/app

- name: Make tags immutable, scan on push and tag the repository
  dockyard.ecr.ecr_repo:
    name: team/app
    image_tag_mutability: immutable
    scan_on_push: true
    tags:
      team: platform
      cost-center: "4711"

- name: Immutable tags, except latest and the dev builds
  dockyard.ecr.ecr_repo:
    name: team/app
    image_tag_mutability: immutable_with_exclusion
    image_tag_mutability_exclusion_filters:
      - latest
      - dev-*

- name: Add a tag and keep the others
  dockyard.ecr.ecr_repo:
    name: team/app
    tags:
      owner: alice
    purge_tags: false

- name: Create a repository encrypted with a customer managed KMS key
  dockyard.ecr.ecr_repo:
    name: team/secure-app
    encryption:
      type: KMS
      kms_key: alias/ecr-images

- name: Manage a repository in another account's registry
  dockyard.ecr.ecr_repo:
    name: shared/base-image
    registry_id: "111111111111"
    scan_on_push: true

- name: Return URIs with the local emulator's registry host
  dockyard.ecr.ecr_repo:
    name: team/app
    registry_host: 127.0.0.1:5000
  register: repo

- name: Delete a repository and the images it holds
  dockyard.ecr.ecr_repo:
    name: team/old-app
    state: absent
    force: true
"""

RETURN = r"""
repository:
  description:
    - The repository after the run, in snake_case.
    - An empty dict when the repository does not exist (O(state=absent)).
  returned: always
  type: dict
  contains:
    name:
      description: The repository name.
      returned: success
      type: str
      sample: team/app
    arn:
      description: The repository ARN.
      returned: when the repository exists or, in check mode, would be created
      type: str
      sample: arn:aws:ecr:us-east-1:123456789012:repository/team/app
    registry_id:
      description: The AWS account ID of the registry that holds the repository.
      returned: when the repository exists or, in check mode, would be created
      type: str
      sample: "123456789012"
    uri:
      description:
        - The repository URI to tag and push images with.
        - With O(registry_host), its host is O(registry_host).
      returned: when the repository exists or, in check mode, would be created
      type: str
      sample: 123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app
    created_at:
      description: When the repository was created (ISO 8601).
      returned: when the repository exists
      type: str
      sample: "2025-01-31T12:00:00+00:00"
    image_tag_mutability:
      description: The tag mutability, spelled as the option.
      returned: success
      type: str
      sample: immutable
    image_tag_mutability_exclusion_filters:
      description: The wildcard filters of a C(*_with_exclusion) mutability; empty otherwise.
      returned: success
      type: list
      elements: str
      sample: [latest, dev-*]
    scan_on_push:
      description: Whether images are scanned when pushed.
      returned: success
      type: bool
      sample: true
    encryption:
      description: The encryption at rest.
      returned: success
      type: dict
      contains:
        type:
          description: The encryption type.
          returned: success
          type: str
          sample: KMS
        kms_key:
          description: The KMS key ARN (as ECR reports it); V(null) for AES256.
          returned: success
          type: str
          sample: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    tags:
      description: The repository's tags.
      returned: success
      type: dict
      sample: {"team": "platform"}
diff:
  description: The repository's settings before and after (empty dicts for no repository).
  returned: always
  type: dict
  contains:
    before:
      description: The settings before the run.
      returned: always
      type: dict
    after:
      description: The settings after the run (predicted in check mode).
      returned: always
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dockyard.ecr.plugins.module_utils._api.kms import KmsKeyResolver
from ansible_collections.dockyard.ecr.plugins.module_utils._common.caller import caller_account
from ansible_collections.dockyard.ecr.plugins.module_utils._common.clients import ecr_client, lazy_client
from ansible_collections.dockyard.ecr.plugins.module_utils._common.credentials import honour_security_token
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.options import REPOSITORY_OPTIONS
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import validate_registry_host
from ansible_collections.dockyard.ecr.plugins.module_utils._converge.repository import converge
from ansible_collections.dockyard.ecr.plugins.module_utils._models.repository_request import validate_params
from ansible_collections.dockyard.ecr.plugins.module_utils._models.repository_settings import settings_of


def main():
    honour_security_token()
    argument_spec = dict(
        REPOSITORY_OPTIONS,
        registry_id=dict(type="str"),
        registry_host=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)

    try:
        desired = validate_params(module.params)
        registry_host = validate_registry_host(module.params["registry_host"])
        changed, before, after = converge(
            ecr_client(module),
            desired,
            check_mode=module.check_mode,
            resolver=KmsKeyResolver(lazy_client(module, "kms")),
            registry_host=registry_host,
            caller=lambda: caller_account(module, hint="; give registry_id instead"),
        )
    except ECRError as e:
        module.fail_json_aws_error(e)

    module.exit_json(
        changed=changed,
        repository=after,
        diff={"before": settings_of(before), "after": settings_of(after)},
    )


if __name__ == "__main__":
    main()
