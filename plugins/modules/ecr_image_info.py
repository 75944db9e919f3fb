#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_image_info
version_added: 0.1.0
short_description: Read the images of an Amazon ECR repository and what its tags point at
description:
  - Returns the images of an Amazon ECR private repository with their manifest digest, all their
    tags and their config digest (the digest of the image configuration, which docker, podman and
    buildah show as the image ID).
  - With O(image_tags), returns for each of those tags whether it exists, the image it points at,
    and whether the repository's tag mutability (and its exclusion filters) keeps it from being
    moved to another image.
  - Comparing RV(tag_details[].config_digest) with the ID of a locally built image tells whether a push
    would change anything, which is how the C(dockyard.ecr.publish) role decides what to push
    and verifies what it pushed.
  - A repository that does not exist is not an error; RV(repository) is then empty and every tag
    is reported missing.
  - Never changes anything.
author:
  - dockyard.ecr developers (@dockyard)
options:
  repository:
    description:
      - The repository name, for example V(team/app).
    type: str
    required: true
  image_tags:
    description:
      - The tags to look up.
      - If not set, every image of the repository is returned and RV(tag_details) is empty.
    type: list
    elements: str
notes:
  - The manifests are read with C(BatchGetImage) asking for every manifest type as it is stored
    (OCI and docker image manifests and indexes), so ECR does not convert them.
  - An image index (a multi-platform image) has no single configuration; its RV(images[].config_digest)
    is V(null).
  - Permissions used are C(ecr:DescribeRepositories), C(ecr:BatchGetImage) and C(ecr:DescribeImages).
seealso:
  - module: dockyard.ecr.ecr_repo_info
  - module: dockyard.ecr.ecr_repo
  - module: community.docker.docker_image_info
    description: The ID of a local image, to compare with RV(tag_details[].config_digest).
  - module: containers.podman.podman_image_info
    description: The ID of a local image, to compare with RV(tag_details[].config_digest).
  - name: Amazon ECR images
    description: The ECR user guide.
    link: https://docs.aws.amazon.com/AmazonECR/latest/userguide/images.html
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
- name: What do the release tags point at?
  dockyard.ecr.ecr_image_info:
    repository: team/app
    image_tags:
      - v1.4.0
      - latest
  register: release

- name: Fail unless both tags name the same image
  ansible.builtin.assert:
    that:
      - release.tag_details | map(attribute='image_digest') | unique | length == 1
      - release.tag_details | selectattr('found') | list | length == 2

- name: Is the locally built image already there?
  dockyard.ecr.ecr_image_info:
    repository: team/app
    image_tags:
      - "{{ version }}"
  register: remote

- name: Say so
  ansible.builtin.debug:
    msg: "{{ remote.tag_details[0].config_digest == local_image_id }}"

- name: Every image of a repository in another account's registry
  dockyard.ecr.ecr_image_info:
    repository: shared/base
    registry_id: "111111111111"
  register: base_images
"""

RETURN = r"""
repository:
  description:
    - The repository; empty when it does not exist.
  returned: always
  type: dict
  contains:
    name:
      description: The repository name.
      returned: when the repository exists
      type: str
      sample: team/app
    registry_id:
      description: The AWS account ID of the registry that holds the repository.
      returned: when the repository exists
      type: str
      sample: "123456789012"
    arn:
      description: The repository ARN.
      returned: when the repository exists
      type: str
      sample: arn:aws:ecr:us-east-1:123456789012:repository/team/app
    uri:
      description:
        - The repository URI.
        - With O(registry_host), its host is O(registry_host).
      returned: when the repository exists
      type: str
      sample: 123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app
    image_tag_mutability:
      description: The tag mutability, spelled as the M(dockyard.ecr.ecr_repo) option.
      returned: when the repository exists
      type: str
      sample: immutable
    image_tag_mutability_exclusion_filters:
      description: The wildcard filters of a C(*_with_exclusion) mutability; empty otherwise.
      returned: when the repository exists
      type: list
      elements: str
      sample: ["latest"]
images:
  description:
    - With O(image_tags), the images those tags point at, each once, in the order of the tags.
    - Without O(image_tags), every image of the repository, oldest push first.
  returned: always
  type: list
  elements: dict
  contains:
    image_digest:
      description: The digest of the image manifest.
      returned: always
      type: str
      sample: sha256:c7c5c36cae4c9b7eda05a50cede27ca8a5fdb1ba73d08dd9001076bd7643058c
    image_tags:
      description: All the tags that point at this image, sorted.
      returned: always
      type: list
      elements: str
      sample: ["1a2b3c4d5e6f", "latest"]
    config_digest:
      description:
        - The digest of the image configuration, which is the image ID docker, podman and buildah show.
        - V(null) for an image index (multi-platform image) and for schema 1 manifests.
      returned: always
      type: str
      sample: sha256:a1ca473224309feda28728f2bbdfb640719c7fce4b0fdda84ff984f0c5ee0895
    image_manifest_media_type:
      description: The media type of the manifest.
      returned: always
      type: str
      sample: application/vnd.oci.image.manifest.v1+json
    artifact_media_type:
      description: The media type of the image configuration, as ECR reports it.
      returned: always
      type: str
      sample: application/vnd.oci.image.config.v1+json
    image_size_in_bytes:
      description: The size ECR reports for the image.
      returned: always
      type: int
      sample: 2048576
    image_pushed_at:
      description: When the image was pushed (ISO 8601).
      returned: always
      type: str
      sample: "2025-01-31T12:00:00+00:00"
    image_uri:
      description: The image by digest, C(URI@DIGEST), ready for a pull.
      returned: always
      type: str
      sample: 123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app@sha256:c7c5c36cae4c9b7eda05a50cede27ca8a5fdb1ba73d08dd9001076bd7643058c
tag_details:
  description:
    - One entry per tag of O(image_tags), in that order; empty without O(image_tags).
  returned: always
  type: list
  elements: dict
  contains:
    tag:
      description: The tag.
      returned: always
      type: str
      sample: latest
    found:
      description: Whether the tag exists in the repository.
      returned: always
      type: bool
      sample: true
    image_digest:
      description: The digest of the manifest the tag points at; V(null) when the tag does not exist.
      returned: always
      type: str
      sample: sha256:c7c5c36cae4c9b7eda05a50cede27ca8a5fdb1ba73d08dd9001076bd7643058c
    config_digest:
      description:
        - The config digest (image ID) of the image the tag points at.
        - V(null) when the tag does not exist or points at an image index.
      returned: always
      type: str
      sample: sha256:a1ca473224309feda28728f2bbdfb640719c7fce4b0fdda84ff984f0c5ee0895
    immutable:
      description:
        - Whether ECR refuses to move this tag to another image once it exists, from the repository's
          tag mutability and exclusion filters.
        - V(false) when the repository does not exist.
      returned: always
      type: bool
      sample: false
    image_uri:
      description: The image by tag, C(URI:TAG); V(null) when the repository does not exist.
      returned: always
      type: str
      sample: 123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:latest
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dockyard.ecr.plugins.module_utils._common.clients import ecr_client
from ansible_collections.dockyard.ecr.plugins.module_utils._common.credentials import honour_security_token
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import (
    validate_name,
    validate_registry_host,
    validate_registry_id,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._converge.image_info import read_images
from ansible_collections.dockyard.ecr.plugins.module_utils._models.image import validate_tags


def main():
    honour_security_token()
    argument_spec = dict(
        repository=dict(type="str", required=True),
        registry_id=dict(type="str"),
        image_tags=dict(type="list", elements="str"),
        registry_host=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)

    try:
        # Validate everything before the first AWS call.
        repository = validate_name(module.params["repository"], option="repository")
        registry_id = validate_registry_id(module.params["registry_id"])
        tags = validate_tags(module.params["image_tags"])
        registry_host = validate_registry_host(module.params["registry_host"])
        result = read_images(
            ecr_client(module), repository, tags=tags, registry_id=registry_id, registry_host=registry_host
        )
    except ECRError as e:
        module.fail_json_aws_error(e)

    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
