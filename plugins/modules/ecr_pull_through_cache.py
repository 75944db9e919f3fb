#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_pull_through_cache
version_added: 0.1.0
short_description: Manage an Amazon ECR pull through cache rule
description:
  - Create, update or delete a pull through cache rule of an Amazon ECR registry. A rule caches the images of an
    upstream registry in repositories whose names start with O(ecr_repository_prefix). A pull of
    C(ACCOUNT.dkr.ecr.REGION.amazonaws.com/PREFIX/library/nginx:latest) fetches C(library/nginx:latest) from the
    upstream the first time.
  - The upstream registry is checked before any AWS call against the ones ECR supports, together with the
    credentials each needs. Amazon ECR Public (V(public.ecr.aws)), the Kubernetes registry (V(registry.k8s.io))
    and Quay (V(quay.io)) need none. Docker Hub (V(registry-1.docker.io), V(docker.io) is accepted),
    GitHub Container Registry (V(ghcr.io)), GitLab Container Registry (V(registry.gitlab.com)), Microsoft Azure
    Container Registry (V(NAME.azurecr.io)) and Chainguard (V(cgr.dev)) need O(credential_arn). Amazon ECR
    (V(ACCOUNT.dkr.ecr.REGION.amazonaws.com)) needs O(custom_role_arn) when it is another account's registry.
  - Only the credential and the role of an existing rule can change. A rule whose upstream differs from
    O(upstream_registry_url) or O(upstream_repository_prefix) makes the module fail with no change. Remove the
    rule first (O(state=absent)), or use another prefix. Deleting a rule leaves the cached repositories alone.
author:
  - dockyard.ecr developers (@dockyard)
options:
  ecr_repository_prefix:
    description:
      - The prefix of the repositories that cache the upstream's images, 2 to 30 characters of a repository
        name in lower case, for example V(docker-hub) or V(cache/quay). A trailing C(/) is dropped.
      - V(ROOT) caches into repositories without a prefix (an Amazon ECR upstream only).
    type: str
    required: true
    aliases: [prefix]
  state:
    description:
      - V(present) creates the rule or updates its credential and role; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  upstream_registry_url:
    description:
      - The upstream registry's host, as listed in the description. A scheme (C(https://)) and trailing slashes are dropped.
      - Required with O(state=present).
    type: str
  upstream_repository_prefix:
    description:
      - With an Amazon ECR upstream, the prefix of the upstream repositories to cache; V(ROOT), the default,
        for all of them.
      - Other upstreams take no prefix.
    type: str
  credential_arn:
    description:
      - The ARN of the AWS Secrets Manager secret that holds the upstream's credentials (C(username) and
        C(accessToken)). ECR requires its name to start with C(ecr-pullthroughcache/). It must be in the
        account and region of the rule.
      - Required for the upstreams that need credentials; refused for the others.
      - If not set on an existing rule, its credential is left alone.
    type: str
  custom_role_arn:
    description:
      - With an Amazon ECR upstream, the ARN of the IAM role (in the rule's account) that ECR assumes to pull
        from the upstream registry. Required when the upstream is another account's registry; refused for other upstreams.
      - If not set on an existing rule, its role is left alone.
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the rule's settings before and after.
  idempotent:
    support: full
notes:
  - Permissions used are C(ecr:DescribePullThroughCacheRules), C(ecr:CreatePullThroughCacheRule),
    C(ecr:UpdatePullThroughCacheRule) and C(ecr:DeletePullThroughCacheRule); ECR needs more to use the rule
    (C(ecr:BatchImportUpstreamImage), C(ecr:CreateRepository) and, for a secret, C(secretsmanager:GetSecretValue)).
  - Repositories created by a pull through cache take their settings from the repository creation template
    whose prefix matches, see M(dockyard.ecr.ecr_creation_template).
  - Tested against the local emulator (moto with the collection's extensions). It keeps the rules and checks
    the upstream, the secret (in moto's Secrets Manager) and the role as ECR does. It does not pull from any
    upstream registry.
seealso:
  - module: dockyard.ecr.ecr_creation_template
  - module: dockyard.ecr.ecr_policy
    description: The registry policy, which governs who may use the cache (V(ecr:BatchImportUpstreamImage)).
  - name: Sync an upstream registry with an Amazon ECR private registry
    description: The upstream registries ECR supports and what each needs.
    link: https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html
extends_documentation_fragment:
  - dockyard.ecr.attributes
  - dockyard.ecr.attributes.actiongroup_ecr
  - dockyard.ecr.registry.registry_id
  - dockyard.ecr.assume_role
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Cache Amazon ECR Public under ecr-public/
  dockyard.ecr.ecr_pull_through_cache:
    ecr_repository_prefix: ecr-public
    upstream_registry_url: public.ecr.aws

- name: Cache Docker Hub under docker-hub/, with credentials from Secrets Manager
  dockyard.ecr.ecr_pull_through_cache:
    ecr_repository_prefix: docker-hub
    upstream_registry_url: registry-1.docker.io
    credential_arn: arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf

- name: Cache the releases/ repositories of another account's registry
  dockyard.ecr.ecr_pull_through_cache:
    ecr_repository_prefix: upstream
    upstream_registry_url: 111111111111.dkr.ecr.us-east-1.amazonaws.com
    upstream_repository_prefix: releases
    custom_role_arn: arn:aws:iam::123456789012:role/ecr-pull-through-cache

- name: Remove a rule (the cached repositories stay)
  dockyard.ecr.ecr_pull_through_cache:
    ecr_repository_prefix: docker-hub
    state: absent
"""

RETURN = r"""
pull_through_cache_rule:
  description:
    - The rule after the run (predicted in check mode); V(null) when there is none.
  returned: always
  type: dict
  contains:
    ecr_repository_prefix:
      description: The repository prefix.
      returned: always
      type: str
      sample: docker-hub
    upstream_registry_url:
      description: The upstream registry's host.
      returned: always
      type: str
      sample: registry-1.docker.io
    upstream_registry:
      description: ECR's name of the upstream registry.
      returned: always
      type: str
      sample: docker-hub
    upstream_repository_prefix:
      description: The upstream repository prefix (Amazon ECR upstreams); V(null) otherwise.
      returned: always
      type: str
      sample: null
    credential_arn:
      description: The Secrets Manager secret's ARN, or V(null).
      returned: always
      type: str
      sample: arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf
    custom_role_arn:
      description: The role's ARN, or V(null).
      returned: always
      type: str
      sample: null
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dockyard.ecr.plugins.module_utils._common.assume_role import ASSUME_ROLE_OPTIONS, act_as_role
from ansible_collections.dockyard.ecr.plugins.module_utils._common.clients import ecr_client
from ansible_collections.dockyard.ecr.plugins.module_utils._common.credentials import honour_security_token
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.options import STATES
from ansible_collections.dockyard.ecr.plugins.module_utils._converge.pull_through_cache import run
from ansible_collections.dockyard.ecr.plugins.module_utils._models.pull_through_cache import validate_params


def main():
    honour_security_token()
    argument_spec = dict(
        ecr_repository_prefix=dict(type="str", required=True, aliases=["prefix"]),
        registry_id=dict(type="str"),
        state=dict(type="str", choices=list(STATES), default="present"),
        upstream_registry_url=dict(type="str"),
        upstream_repository_prefix=dict(type="str"),
        credential_arn=dict(type="str", no_log=False),
        custom_role_arn=dict(type="str"),
        **ASSUME_ROLE_OPTIONS,
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[("state", "present", ("upstream_registry_url",))],
    )
    try:
        request = validate_params(module.params, region=module.region)
        act_as_role(module)
        result = run(ecr_client(module), request, check_mode=module.check_mode)
    except ECRError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
