#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_lifecycle_fixture
short_description: A repository with images for the ecr_lifecycle integration target
description:
  - Works through the ECR API directly, without the modules under test.
  - V(setup) creates the repository (or empties it) and puts O(images) in order, each a small OCI
    manifest whose config and layer digests differ, so each image has its own digest. Between two
    images it waits O(pause) seconds, so each image has its own push time. ECR reports push times to
    the millisecond; the emulator to the second, hence the default of 1.1.
  - V(read) returns the repository's lifecycle policy (V(null) for none), to check that check mode
    wrote nothing.
  - V(absent) deletes the repository and its images.
options:
  action:
    description: What to do.
    type: str
    required: true
    choices: [setup, read, absent]
  repository:
    description: The repository name.
    type: str
    required: true
  images:
    description: The images to put, oldest first.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: A name for the image (it seeds the digests), returned with its digest.
        type: str
        required: true
      tags:
        description: The image's tags; none for an untagged image.
        type: list
        elements: str
        default: []
      size:
        description: The size of the image config (the emulator reports it as the image size).
        type: int
        default: 100
  pause:
    description: Seconds to wait between two images.
    type: float
    default: 1.1
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: A repository with a tagged and an untagged image
  ecr_lifecycle_fixture:
    action: setup
    repository: team/app
    images:
      - name: A
        tags: [prod-1]
      - name: B
"""

RETURN = r"""
digests:
  description: The digest of each image put, by name.
  returned: O(action=setup)
  type: dict
pushed_at:
  description: The push time ECR reports for each image, by name.
  returned: O(action=setup)
  type: dict
lifecycle_policy:
  description: The repository's lifecycle policy as a dict, V(null) for none.
  returned: O(action=read)
  type: dict
"""

import hashlib
import json
import time

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"


def manifest(repository, name, size):
    def blob(kind):
        return "sha256:" + hashlib.sha256(f"{repository}/{name}/{kind}".encode()).hexdigest()

    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MEDIA_TYPE,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob("config"), "size": size},
            "layers": [
                {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": blob("layer"), "size": size * 10}
            ],
        },
        separators=(",", ":"),
    )


def setup(module, ecr, repository, images, pause):
    try:
        ecr.create_repository(repositoryName=repository)
    except is_boto3_error_code("RepositoryAlreadyExistsException"):
        ids = ecr.list_images(repositoryName=repository).get("imageIds") or []
        if ids:
            ecr.batch_delete_image(repositoryName=repository, imageIds=[{"imageDigest": i["imageDigest"]} for i in ids])
        try:
            ecr.delete_lifecycle_policy(repositoryName=repository)
        except is_boto3_error_code("LifecyclePolicyNotFoundException"):
            pass
    digests = {}
    for position, image in enumerate(images):
        if position:
            time.sleep(pause)
        body = manifest(repository, image["name"], image["size"])
        digest = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
        tags = image["tags"] or [None]
        for tag in tags:
            extra = {"imageTag": tag} if tag else {}
            ecr.put_image(
                repositoryName=repository,
                imageManifest=body,
                imageManifestMediaType=MEDIA_TYPE,
                imageDigest=digest,
                **extra,
            )
        digests[image["name"]] = digest
    details = ecr.describe_images(repositoryName=repository).get("imageDetails") or []
    pushed = {d["imageDigest"]: d["imagePushedAt"].isoformat() for d in details}
    module.exit_json(
        changed=True, digests=digests, pushed_at={name: pushed.get(digest) for name, digest in digests.items()}
    )


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            action=dict(type="str", required=True, choices=["setup", "read", "absent"]),
            repository=dict(type="str", required=True),
            images=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(
                    name=dict(type="str", required=True),
                    tags=dict(type="list", elements="str", default=[]),
                    size=dict(type="int", default=100),
                ),
            ),
            pause=dict(type="float", default=1.1),
        ),
    )
    action = module.params["action"]
    repository = module.params["repository"]
    ecr = module.client("ecr")
    try:
        if action == "setup":
            setup(module, ecr, repository, module.params["images"], module.params["pause"])
        if action == "read":
            try:
                text = ecr.get_lifecycle_policy(repositoryName=repository)["lifecyclePolicyText"]
            except is_boto3_error_code("LifecyclePolicyNotFoundException"):
                text = None
            module.exit_json(changed=False, lifecycle_policy=json.loads(text) if text else None)
        try:
            ecr.delete_repository(repositoryName=repository, force=True)
        except is_boto3_error_code("RepositoryNotFoundException"):
            module.exit_json(changed=False)
        module.exit_json(changed=True)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to {action} repository {repository}")


if __name__ == "__main__":
    main()
