#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_scan_fixture
short_description: Start an image scan, or give moto the findings a scan reports, for the tests
description:
  - V(start_scan) calls C(StartImageScan) for O(repository) and O(image_tag), what a scan on push does.
  - V(set_findings) gives moto (the emulator's AWS side) the C(DescribeImageScanFindings) answer for
    the image, through moto's own API (C(/moto-api/static/ecr/scan-finding-results)); moto otherwise
    reports one made-up HIGH finding for every scan.
options:
  action:
    description: What to do.
    type: str
    required: true
    choices: [start_scan, set_findings]
  repository:
    description: The repository.
    type: str
    required: true
  image_tag:
    description: The image's tag.
    type: str
    required: true
  response:
    description: The answer moto gives for O(action=set_findings) (without registry, repository and image).
    type: dict
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Scan an image
  ecr_scan_fixture:
    action: start_scan
    repository: team/app
    image_tag: v1
"""

RETURN = r"""
"""

import json
import urllib.request

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            action=dict(type="str", required=True, choices=["start_scan", "set_findings"]),
            repository=dict(type="str", required=True),
            image_tag=dict(type="str", required=True),
            response=dict(type="dict"),
        ),
        required_if=[["action", "set_findings", ["response"]]],
    )
    params = module.params
    image_id = {"imageTag": params["image_tag"]}
    try:
        ecr = module.client("ecr")
        if params["action"] == "start_scan":
            ecr.start_image_scan(repositoryName=params["repository"], imageId=image_id)
            module.exit_json(changed=True)
        registry = ecr.describe_repositories(repositoryNames=[params["repository"]])["repositories"][0]["registryId"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to {params['action'].replace('_', ' ')}")
    result = dict(params["response"], registryId=registry, repositoryName=params["repository"], imageId=image_id)
    body = json.dumps({"results": [result], "region": module.region}).encode()
    endpoint = module.params["endpoint_url"].rstrip("/")
    request = urllib.request.Request(
        f"{endpoint}/moto-api/static/ecr/scan-finding-results",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # nosec - the local emulator
        answer.read()
    module.exit_json(changed=True)


if __name__ == "__main__":
    main()
