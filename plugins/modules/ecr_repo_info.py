#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_repo_info
version_added: 0.1.0
short_description: Read Amazon ECR repositories, their settings and policies
description:
  - Returns Amazon ECR private repositories with their settings and tags, chosen by O(names),
    by O(name_prefix), or all of a registry.
  - On request, each repository's resource policy and lifecycle policy as well.
  - Never changes anything.
author:
  - dockyard.ecr developers (@dockyard)
options:
  names:
    description:
      - The names of the repositories to return.
      - Names that do not exist are left out of the result (the module does not fail).
      - Mutually exclusive with O(name_prefix). If neither is set, all repositories are returned.
    type: list
    elements: str
  name_prefix:
    description:
      - Return only the repositories whose names start with this, for example V(team/).
    type: str
  include_policy:
    description:
      - Also return each repository's resource policy (RV(repositories[].policy)).
      - One more call per repository.
    type: bool
    default: false
  include_lifecycle_policy:
    description:
      - Also return each repository's lifecycle policy (RV(repositories[].lifecycle_policy)).
      - One more call per repository.
    type: bool
    default: false
notes:
  - Permissions used are C(ecr:DescribeRepositories), C(ecr:ListTagsForResource) and, when asked,
    C(ecr:GetRepositoryPolicy) and C(ecr:GetLifecyclePolicy).
seealso:
  - module: dockyard.ecr.ecr_repo
  - module: community.aws.ecs_ecr
extends_documentation_fragment:
  - dockyard.ecr.attributes
  - dockyard.ecr.attributes.actiongroup_ecr
  - dockyard.ecr.attributes.info_module
  - dockyard.ecr.registry
  - dockyard.ecr.registry.registry_id
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read two repositories
  dockyard.ecr.ecr_repo_info:
    names:
      - team/app
      - team/worker
  register: repos

- name: Read all repositories of a team, with their policies
  dockyard.ecr.ecr_repo_info:
    name_prefix: team/
    include_policy: true
    include_lifecycle_policy: true
  register: team_repos

- name: Show the repositories that do not scan on push
  ansible.builtin.debug:
    msg: "{{ team_repos.repositories | rejectattr('scan_on_push') | map(attribute='name') | list }}"

- name: Read every repository of another account's registry
  dockyard.ecr.ecr_repo_info:
    registry_id: "111111111111"
  register: all_repos
"""

RETURN = r"""
repositories:
  description:
    - The repositories found, in the order of O(names), otherwise by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The repository name.
      returned: always
      type: str
      sample: team/app
    arn:
      description: The repository ARN.
      returned: always
      type: str
      sample: arn:aws:ecr:us-east-1:123456789012:repository/team/app
    registry_id:
      description: The AWS account ID of the registry that holds the repository.
      returned: always
      type: str
      sample: "123456789012"
    uri:
      description:
        - The repository URI.
        - With O(registry_host), its host is O(registry_host).
      returned: always
      type: str
      sample: 123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app
    created_at:
      description: When the repository was created (ISO 8601).
      returned: always
      type: str
      sample: "2025-01-31T12:00:00+00:00"
    image_tag_mutability:
      description: The tag mutability, spelled as the M(dockyard.ecr.ecr_repo) option.
      returned: always
      type: str
      sample: immutable
    image_tag_mutability_exclusion_filters:
      description: The wildcard filters of a C(*_with_exclusion) mutability; empty otherwise.
      returned: always
      type: list
      elements: str
      sample: []
    scan_on_push:
      description: Whether images are scanned when pushed.
      returned: always
      type: bool
      sample: false
    encryption:
      description: The encryption at rest.
      returned: always
      type: dict
      contains:
        type:
          description: The encryption type.
          returned: always
          type: str
          sample: AES256
        kms_key:
          description: The KMS key ARN; V(null) for AES256.
          returned: always
          type: str
          sample: null
    tags:
      description: The repository's tags.
      returned: always
      type: dict
      sample: {"team": "platform"}
    policy:
      description: The repository policy document; V(null) when the repository has none.
      returned: when O(include_policy=true)
      type: dict
      sample: {"Version": "2012-10-17", "Statement": []}
    lifecycle_policy:
      description: The lifecycle policy document; V(null) when the repository has none.
      returned: when O(include_lifecycle_policy=true)
      type: dict
      sample: {"rules": []}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dockyard.ecr.plugins.module_utils._common.clients import ecr_client
from ansible_collections.dockyard.ecr.plugins.module_utils._common.credentials import honour_security_token
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import (
    validate_registry_host,
    validate_registry_id,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._converge.repository_info import list_repositories


def main():
    honour_security_token()
    argument_spec = dict(
        names=dict(type="list", elements="str"),
        name_prefix=dict(type="str"),
        registry_id=dict(type="str"),
        registry_host=dict(type="str"),
        include_policy=dict(type="bool", default=False),
        include_lifecycle_policy=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[["names", "name_prefix"]],
    )

    try:
        registry_id = validate_registry_id(module.params["registry_id"])
        registry_host = validate_registry_host(module.params["registry_host"])
        repositories = list_repositories(
            ecr_client(module),
            names=module.params["names"],
            name_prefix=module.params["name_prefix"],
            registry_id=registry_id,
            include_policy=module.params["include_policy"],
            include_lifecycle_policy=module.params["include_lifecycle_policy"],
            registry_host=registry_host,
        )
    except ECRError as e:
        module.fail_json_aws_error(e)

    module.exit_json(changed=False, repositories=repositories)


if __name__ == "__main__":
    main()
