#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_image_promote
version_added: 0.1.0
short_description: Promote an image already in Amazon ECR to other tags, repositories, accounts and regions
description:
  - Gives the image a source tag or digest names, unchanged, to the tags of one or more destinations,
    such as a release tag in the same repository, or a repository in another account's or region's registry.
    Build once, then promote the same digest to staging and production.
  - Within the source repository (and wherever the image is already present), the tags are set
    server-side with C(PutImage) of the same manifest; no layer is moved.
  - To another repository or registry, the image is copied registry to registry with
    C(skopeo copy --all --preserve-digests), so a multi-platform image is copied whole (the index and
    every platform's image) and its digest stays the same, which the module verifies.
  - Nothing moves when the destination tags already point at the image. The state is read with
    C(DescribeImages), which records no pull; C(BatchGetImage) (a pull on ECR) is only called to
    set a tag.
  - A destination tag that exists, points at another image and is immutable in its repository is
    an error naming the tag and both digests; every destination is checked before anything is
    written.
author:
  - dockyard.ecr developers (@dockyard)
requirements:
  - skopeo, for a copy to another repository or registry (a retag needs none)
options:
  source:
    description:
      - The image to promote.
    type: dict
    required: true
    suboptions:
      repository:
        description:
          - The repository that holds the image, for example V(team/app).
        type: str
        required: true
      tag:
        description:
          - The tag that names the image. Exactly one of O(source.tag) and O(source.digest).
        type: str
      digest:
        description:
          - The image digest (C(sha256:...)). Exactly one of O(source.tag) and O(source.digest).
        type: str
      registry_id:
        description:
          - The AWS account ID of the source registry. If not set, the registry of the credentials'
            account (or of O(source.role_arn)).
        type: str
      region:
        description:
          - The region of the source registry. If not set, the module's O(region).
        type: str
      role_arn:
        description:
          - An IAM role to assume to read the source (and to log in to its registry for a copy).
          - If not set, the module's credentials.
        type: str
      registry_host:
        description:
          - The host (C(HOST) or C(HOST:PORT)) that serves the source registry, in place of
            C(ACCOUNT.dkr.ecr.REGION.amazonaws.com); for VPC endpoint host names, proxies and a local emulator.
        type: str
  destinations:
    description:
      - Where the image goes. The repository must exist (M(dockyard.ecr.ecr_repo)).
    type: list
    elements: dict
    required: true
    suboptions:
      repository:
        description:
          - The destination repository. If not set, the source repository's name.
        type: str
      registry_id:
        description:
          - The AWS account ID of the destination registry. If not set, the registry of the
            credentials' account (or of O(destinations[].role_arn)).
        type: str
      region:
        description:
          - The region of the destination registry. If not set, the source's region.
        type: str
      tags:
        description:
          - The tags the image gets in the destination.
          - If not set, the source tag; required when the source is given by digest.
        type: list
        elements: str
      role_arn:
        description:
          - An IAM role to assume to write to this destination, for example a promotion role in the
            production account. If not set, the module's credentials.
        type: str
      registry_host:
        description:
          - The host that serves the destination registry, as O(source.registry_host).
        type: str
notes:
  - A copy runs C(skopeo) on the host that runs the module; it logs in with ECR tokens
    (C(GetAuthorizationToken)) written to a temporary auth file (mode 0600, removed afterwards),
    never on its command line or in the result.
  - A copy needs C(ecr:GetAuthorizationToken), C(ecr:BatchGetImage) and C(ecr:GetDownloadUrlForLayer) on the
    source, and the push permissions (C(ecr:InitiateLayerUpload), C(ecr:UploadLayerPart),
    C(ecr:CompleteLayerUpload), C(ecr:BatchCheckLayerAvailability), C(ecr:PutImage)) on the destination.
  - Reading needs C(ecr:DescribeRepositories) and C(ecr:DescribeImages); a retag C(ecr:BatchGetImage)
    and C(ecr:PutImage).
seealso:
  - module: dockyard.ecr.ecr_image_info
  - module: dockyard.ecr.ecr_image_scan_info
    description: Check an image's scan findings before promoting it.
  - module: dockyard.ecr.ecr_repo
  - plugin: dockyard.ecr.image_digest
    plugin_type: lookup
    description: Pin a deployment to the digest a tag names.
  - name: skopeo copy
    description: The tool that copies between registries.
    link: https://github.com/containers/skopeo/blob/main/docs/skopeo-copy.1.md
attributes:
  check_mode:
    support: full
    details:
      - Reads what every destination holds and reports what would move, without writing.
  diff_mode:
    support: full
    details:
      - Per destination, what each tag points at before and after.
  idempotent:
    support: full
extends_documentation_fragment:
  - dockyard.ecr.attributes
  - dockyard.ecr.attributes.actiongroup_ecr
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Add a release tag to the image CI pushed
  dockyard.ecr.ecr_image_promote:
    source:
      repository: team/app
      tag: 1a2b3c4d5e6f
    destinations:
      - tags: [v1.4.0]

- name: Promote the same digest to the production account's registry in two regions
  dockyard.ecr.ecr_image_promote:
    source:
      repository: team/app
      tag: v1.4.0
      registry_id: "111122223333"
    destinations:
      - registry_id: "444455556666"
        region: eu-west-1
        role_arn: arn:aws:iam::444455556666:role/ecr-promote
        tags: [v1.4.0, production]
      - registry_id: "444455556666"
        region: us-east-1
        role_arn: arn:aws:iam::444455556666:role/ecr-promote
        tags: [v1.4.0, production]
  register: promoted

- name: Deploy by digest
  ansible.builtin.debug:
    msg: "{{ promoted.destinations[0].image_uri }}"
"""

RETURN = r"""
image:
  description: The image promoted.
  returned: always
  type: dict
  contains:
    digest:
      description: The digest of its manifest (or index), the same in every destination.
      type: str
      sample: sha256:c7c5c36cae4c9b7eda05a50cede27ca8a5fdb1ba73d08dd9001076bd7643058c
    media_type:
      description: The media type of its manifest.
      type: str
      sample: application/vnd.oci.image.index.v1+json
    is_index:
      description: Whether it is a multi-platform image (an index, copied whole).
      type: bool
      sample: true
    source_uri:
      description: The source image by digest, C(URI@DIGEST).
      type: str
      sample: 111122223333.dkr.ecr.us-east-1.amazonaws.com/team/app@sha256:c7c5c36cae4c9b7eda05a50cede27ca8a5fdb1ba73d08dd9001076bd7643058c
    source_tags:
      description: The tags the image has in the source repository.
      type: list
      elements: str
      sample: ["1a2b3c4d5e6f", "v1.4.0"]
destinations:
  description: One entry per destination, in order.
  returned: always
  type: list
  elements: dict
  contains:
    repository:
      description: The destination repository.
      type: str
      sample: team/app
    registry_id:
      description: The account of the destination registry.
      type: str
      sample: "444455556666"
    region:
      description: The region of the destination registry.
      type: str
      sample: eu-west-1
    uri:
      description: The repository URI (with O(destinations[].registry_host) as its host when given).
      type: str
      sample: 444455556666.dkr.ecr.eu-west-1.amazonaws.com/team/app
    image_uri:
      description: The promoted image by digest, C(URI@DIGEST), ready to deploy.
      type: str
      sample: 444455556666.dkr.ecr.eu-west-1.amazonaws.com/team/app@sha256:c7c5c36cae4c9b7eda05a50cede27ca8a5fdb1ba73d08dd9001076bd7643058c
    action:
      description:
        - V(none) (the tags already name the image), V(retag) (C(PutImage) of the manifest, no layers
          moved) or V(copy) (skopeo, registry to registry, then C(PutImage) for further tags).
      type: str
      sample: copy
    tags:
      description: The destination tags.
      type: list
      elements: str
      sample: ["v1.4.0", "production"]
    tags_added:
      description: The tags that were (or in check mode would be) set to the image.
      type: list
      elements: str
      sample: ["production"]
    tags_moved:
      description: Those of RV(destinations[].tags_added) that named another image before.
      type: list
      elements: str
      sample: ["production"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dockyard.ecr.plugins.module_utils._api.images_copy import Clients
from ansible_collections.dockyard.ecr.plugins.module_utils._common.credentials import honour_security_token
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import validate_name
from ansible_collections.dockyard.ecr.plugins.module_utils._converge.promote import promote
from ansible_collections.dockyard.ecr.plugins.module_utils._models.image import validate_tags
from ansible_collections.dockyard.ecr.plugins.module_utils._models.promote_plan import (
    PromoteError,
    validate_destinations,
    validate_source,
)

SIDE_OPTIONS = dict(
    registry_id=dict(type="str"),
    region=dict(type="str"),
    role_arn=dict(type="str"),
    registry_host=dict(type="str"),
)


def argument_spec():
    return dict(
        source=dict(
            type="dict",
            required=True,
            options=dict(
                repository=dict(type="str", required=True),
                tag=dict(type="str"),
                digest=dict(type="str"),
                **SIDE_OPTIONS,
            ),
            mutually_exclusive=[("tag", "digest")],
            required_one_of=[("tag", "digest")],
        ),
        destinations=dict(
            type="list",
            elements="dict",
            required=True,
            options=dict(
                repository=dict(type="str"),
                tags=dict(type="list", elements="str"),
                **SIDE_OPTIONS,
            ),
        ),
    )


def validate(params, default_region):
    """Everything checked before the first AWS call; ECRError naming the option otherwise."""
    source = params["source"]
    validate_name(source["repository"], option="source.repository")
    if source.get("tag"):
        validate_tags([source["tag"]], option="source.tag")
    for index, destination in enumerate(params["destinations"] or []):
        if destination.get("repository"):
            validate_name(destination["repository"], option=f"destinations[{index}].repository")
        validate_tags(destination.get("tags"), option=f"destinations[{index}].tags")
    try:
        source = validate_source(source, default_region)
        return source, validate_destinations(params["destinations"], source)
    except PromoteError as e:
        raise ECRError(message=e.message, option=e.option) from e


def main():
    honour_security_token()
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        source, destinations = validate(module.params, module.region)

        def run_command(argv, environ_update=None):
            return module.run_command(argv, environ_update=environ_update)

        result = promote(Clients(module), source, destinations, module.check_mode, run_command)
    except ECRError as e:
        module.fail_json_aws_error(e)

    changes = result.pop("diff")
    if module._diff:
        result["diff"] = changes
    module.exit_json(**result)


if __name__ == "__main__":
    main()
