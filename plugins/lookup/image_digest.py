# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: image_digest
version_added: 0.1.0
short_description: The digest an image tag in Amazon ECR points at, to pin deployments
description:
  - Resolves each C(REPOSITORY:TAG) to the digest of the image the tag names now, at templating
    time, so a deployment can name the image by digest (C(REPOSITORY@sha256:...)) and a tag moved
    later does not change what runs.
  - With O(output=uri), returns the whole pinned reference, C(REGISTRY/REPOSITORY@DIGEST).
  - Reads with C(DescribeImages), which records no pull on the image.
author:
  - dockyard.ecr developers (@dockyard)
options:
  _terms:
    description:
      - Image references C(REPOSITORY:TAG) (C(REPOSITORY) alone means the tag V(latest)).
      - C(REPOSITORY@DIGEST) checks that the digest exists in the repository and returns it.
    required: true
    type: list
    elements: str
  registry_id:
    description:
      - The AWS account ID of the registry. If not set, the registry of the credentials' account.
    type: str
  output:
    description:
      - V(digest) returns C(sha256:...); V(uri) returns C(REGISTRY/REPOSITORY@DIGEST).
    type: str
    choices: [digest, uri]
    default: digest
  registry_host:
    description:
      - With O(output=uri), the registry host (C(HOST) or C(HOST:PORT)) to use in place of
        C(ACCOUNT.dkr.ecr.REGION.amazonaws.com), for a VPC endpoint host name, a proxy or a local emulator.
    type: str
  on_missing:
    description:
      - What to do when the repository or the tag does not exist.
      - V(error) fails; V(warn) warns and returns V(null); V(skip) returns V(null).
    type: str
    choices: [error, warn, skip]
    default: error
notes:
  - Permissions used are C(ecr:DescribeImages) and, with O(output=uri), C(ecr:DescribeRepositories).
seealso:
  - module: dockyard.ecr.ecr_image_info
  - module: dockyard.ecr.ecr_image_promote
  - plugin: amazon.aws.ssm_parameter
    plugin_type: lookup
    description: Another AWS lookup, with the same credential options.
extends_documentation_fragment:
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
"""

EXAMPLES = r"""
- name: Deploy the image the release tag names, by digest
  ansible.builtin.set_fact:
    app_image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app@{{ lookup('dockyard.ecr.image_digest', 'team/app:v1.4.0', region='eu-west-1') }}"

- name: The whole pinned reference, from another account's registry
  ansible.builtin.debug:
    msg: "{{ lookup('dockyard.ecr.image_digest', 'team/app:production', registry_id='444455556666', output='uri') }}"

- name: Several at once, as a list
  ansible.builtin.set_fact:
    pinned: "{{ query('dockyard.ecr.image_digest', 'team/api:v2', 'team/web:v7', output='uri') }}"

- name: A tag that may not exist yet
  ansible.builtin.debug:
    msg: "{{ lookup('dockyard.ecr.image_digest', 'team/app:canary', on_missing='skip') | default('no canary', true) }}"
"""

RETURN = r"""
_raw:
  description:
    - For each reference, the image digest (C(sha256:...)), or with O(output=uri) the pinned
      reference C(REGISTRY/REPOSITORY@DIGEST); V(null) for a missing one with O(on_missing=warn) or V(skip).
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.plugin_utils.lookup import AWSLookupBase
from ansible_collections.dockyard.ecr.plugins.module_utils._api.images_copy import describe_image
from ansible_collections.dockyard.ecr.plugins.module_utils._api.repositories import describe_repository
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError, error_code
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import (
    validate_name,
    validate_registry_host,
    validate_registry_id,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.image_reference import (
    ReferenceError,
    parse_reference,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.repository_settings import repository_from_api


class LookupModule(AWSLookupBase):
    def run(self, terms, variables=None, **kwargs):
        super().run(terms, variables, **kwargs)
        output = self.get_option("output")
        on_missing = self.get_option("on_missing")
        try:
            registry_id = validate_registry_id(self.get_option("registry_id"))
            registry_host = validate_registry_host(self.get_option("registry_host"))
            references = []
            for term in terms:
                try:
                    repository, tag, digest = parse_reference(term)
                except ReferenceError as e:
                    raise AnsibleLookupError(f"dockyard.ecr.image_digest: {e}") from e
                validate_name(repository, option=f"repository of {term!r}")
                references.append((term, repository, tag, digest))
        except ECRError as e:
            raise AnsibleLookupError(f"dockyard.ecr.image_digest: {e.message}") from e

        client = self.client("ecr", AWSRetry.jittered_backoff())
        results = []
        for term, repository, tag, digest in references:
            try:
                results.append(self._resolve(client, term, repository, tag, digest, registry_id, registry_host, output))
            except LookupError as e:
                if on_missing == "error":
                    raise AnsibleLookupError(f"dockyard.ecr.image_digest: {e}") from e
                if on_missing == "warn":
                    self.warn(f"dockyard.ecr.image_digest: {e}")
                results.append(None)
            except ECRError as e:
                raise AnsibleLookupError(f"dockyard.ecr.image_digest: {term}: {e.message}") from e
        return results

    @staticmethod
    def _resolve(client, term, repository, tag, digest, registry_id, registry_host, output):
        entry = None
        if output == "uri":
            entry = describe_repository(client, repository, registry_id)
            if entry is None:
                raise LookupError(f"{term}: repository {repository} does not exist")
        try:
            detail = describe_image(client, repository, registry_id, tag=tag, digest=digest)
        except ECRError as e:
            if error_code(e) == "RepositoryNotFoundException":
                raise LookupError(f"{term}: repository {repository} does not exist") from e
            raise
        if detail is None:
            raise LookupError(f"{term}: {repository} has no image {tag or digest}")
        found = detail["imageDigest"]
        if output == "uri":
            return f"{repository_from_api(entry, registry_host=registry_host)['uri']}@{found}"
        return found
