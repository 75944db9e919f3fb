#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_test_fixture
short_description: Test fixtures for the dockyard.ecr integration targets
description:
  - Puts what a test needs next to a repository, through the ECR and KMS APIs, without the
    modules under test.
  - V(put_images) puts O(count) minimal image manifests (distinct digests, tags C(v0), C(v1), ...),
    as the local emulator's registry bridge does after a push.
  - V(create_kms_key) creates a KMS key with the alias O(alias) and returns its ARN (an alias left
    over from an earlier run is reused); V(delete_kms_key) deletes the alias and schedules its key
    for deletion.
  - V(set_policy) and V(set_lifecycle_policy) put O(document) as the repository's policy or
    lifecycle policy.
  - V(age_images) moves the push time of every image of the repository O(days) back, as time passing on
    ECR would (the local emulator's C(LocalawsAgeImages); real ECR has no such call, so only against the
    emulator).
  - V(create_secret) creates the Secrets Manager secret O(name) (or finds it) and returns its ARN;
    V(delete_secret) deletes it at once.
  - V(registry_state) reads the registry-level settings as ECR returns them, for tests that check that
    nothing was written (account settings, scanning configuration, pull through cache rules, creation templates).
options:
  action:
    description: What to put.
    type: str
    required: true
    choices: [put_images, create_kms_key, delete_kms_key, set_policy, set_lifecycle_policy, age_images, create_secret,
              delete_secret, registry_state]
  repository:
    description: The repository name.
    type: str
  count:
    description: How many images to put.
    type: int
    default: 1
  untagged:
    description: With V(put_images), how many of the images (the last ones) get no tag.
    type: int
    default: 0
  days:
    description: With V(age_images), how many days back the push times move.
    type: int
    default: 30
  alias:
    description: The KMS alias name (C(alias/NAME)).
    type: str
  document:
    description: The policy document.
    type: dict
  name:
    description: The secret's name.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Put two images into a repository
  ecr_test_fixture:
    action: put_images
    repository: team/app
    count: 2
"""

RETURN = r"""
digests:
  description: The digests of the images put.
  returned: O(action=put_images)
  type: list
  elements: str
key_arn:
  description: The ARN of the KMS key created.
  returned: O(action=create_kms_key)
  type: str
secret_arn:
  description: The ARN of the secret.
  returned: O(action=create_secret)
  type: str
registry:
  description: The registry-level settings (account_settings, scanning, pull_through_cache_rules, templates).
  returned: O(action=registry_state)
  type: dict
"""

import hashlib
import json

try:
    import botocore
    import botocore.awsrequest
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


def manifest(index, repository):
    config = hashlib.sha256(f"{repository}-config-{index}".encode()).hexdigest()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 2,
                "digest": f"sha256:{config}",
            },
            "layers": [],
        },
        separators=(",", ":"),
    )


ACTIONS = [
    "put_images",
    "create_kms_key",
    "delete_kms_key",
    "set_policy",
    "set_lifecycle_policy",
    "age_images",
    "create_secret",
    "delete_secret",
    "registry_state",
]


def secret(module, action, client, name):
    try:
        existing = client.describe_secret(SecretId=name)["ARN"]
    except is_boto3_error_code("ResourceNotFoundException"):
        existing = None
    if action == "create_secret":
        if existing:
            module.exit_json(changed=False, secret_arn=existing)
        created = client.create_secret(Name=name, SecretString=json.dumps({"username": "u", "accessToken": "t"}))
        module.exit_json(changed=True, secret_arn=created["ARN"])
    if existing:
        client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    module.exit_json(changed=bool(existing))


def registry_state(module, ecr):
    state = {
        "account_settings": {
            name: ecr.get_account_setting(name=name)["value"]
            for name in ("BASIC_SCAN_TYPE_VERSION", "REGISTRY_POLICY_SCOPE")
        },
        "scanning": ecr.get_registry_scanning_configuration()["scanningConfiguration"],
        "pull_through_cache_rules": ecr.describe_pull_through_cache_rules()["pullThroughCacheRules"],
        "templates": ecr.describe_repository_creation_templates()["repositoryCreationTemplates"],
    }
    for item in state["pull_through_cache_rules"] + state["templates"]:
        for key in ("createdAt", "updatedAt"):
            if key in item:
                item[key] = str(item[key])
    module.exit_json(changed=False, registry=state)


def age_images(module, ecr, repository, days):
    """The emulator's LocalawsAgeImages, through the client's endpoint and signature (botocore does not know it)."""
    request = botocore.awsrequest.AWSRequest(
        method="POST",
        url=ecr.meta.endpoint_url + "/",
        data=json.dumps({"repositoryName": repository, "days": days}),
        headers={
            "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.LocalawsAgeImages",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    ecr._request_signer.sign("LocalawsAgeImages", request)  # pylint: disable=protected-access
    response = ecr._endpoint.http_session.send(request.prepare())  # pylint: disable=protected-access
    if response.status_code != 200:
        module.fail_json(msg=f"Failed to age the images of {repository} (the local emulator only): {response.text}")
    module.exit_json(changed=True, digests=json.loads(response.text)["imageDigests"])


def kms_key(module, action, kms, alias):
    try:
        existing = kms.describe_key(KeyId=alias)["KeyMetadata"]
    except is_boto3_error_code("NotFoundException"):
        existing = None
    if action == "create_kms_key":
        if existing:
            module.exit_json(changed=False, key_arn=existing["Arn"])
        arn = kms.create_key(Description="dockyard.ecr integration test")["KeyMetadata"]["Arn"]
        kms.create_alias(AliasName=alias, TargetKeyId=arn)
        module.exit_json(changed=True, key_arn=arn)
    if existing:
        kms.delete_alias(AliasName=alias)
        # By key ID: moto 5.2 fails (HTTP 500) when ScheduleKeyDeletion gets the key ARN.
        kms.schedule_key_deletion(KeyId=existing["KeyId"], PendingWindowInDays=7)
    module.exit_json(changed=bool(existing))


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            action=dict(type="str", required=True, choices=ACTIONS),
            repository=dict(type="str"),
            count=dict(type="int", default=1),
            untagged=dict(type="int", default=0),
            days=dict(type="int", default=30),
            alias=dict(type="str"),
            document=dict(type="dict"),
            name=dict(type="str"),
        ),
        required_if=[
            ["action", "put_images", ["repository"]],
            ["action", "create_kms_key", ["alias"]],
            ["action", "delete_kms_key", ["alias"]],
            ["action", "set_policy", ["repository", "document"]],
            ["action", "set_lifecycle_policy", ["repository", "document"]],
            ["action", "age_images", ["repository"]],
            ["action", "create_secret", ["name"]],
            ["action", "delete_secret", ["name"]],
        ],
    )
    action = module.params["action"]
    repository = module.params["repository"]
    try:
        if action in ("create_kms_key", "delete_kms_key"):
            kms_key(module, action, module.client("kms"), module.params["alias"])
        if action in ("create_secret", "delete_secret"):
            secret(module, action, module.client("secretsmanager"), module.params["name"])
        ecr = module.client("ecr")
        if action == "age_images":
            age_images(module, ecr, repository, module.params["days"])
        if action == "registry_state":
            registry_state(module, ecr)
        if action == "put_images":
            digests = []
            for index in range(module.params["count"]):
                body = manifest(index, repository)
                digest = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
                tagged = index < module.params["count"] - module.params["untagged"]
                extra = {"imageTag": f"v{index}"} if tagged else {}
                ecr.put_image(repositoryName=repository, imageManifest=body, imageDigest=digest, **extra)
                digests.append(digest)
            module.exit_json(changed=True, digests=digests)
        text = json.dumps(module.params["document"])
        if action == "set_policy":
            ecr.set_repository_policy(repositoryName=repository, policyText=text)
        else:
            ecr.put_lifecycle_policy(repositoryName=repository, lifecyclePolicyText=text)
        module.exit_json(changed=True)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to {action.replace('_', ' ')}")


if __name__ == "__main__":
    main()
