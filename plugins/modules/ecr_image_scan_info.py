#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_image_scan_info
version_added: 0.1.0
short_description: Read the vulnerability scan status and findings of an image in Amazon ECR
description:
  - Returns the scan status and the findings of one image, from basic scanning and from enhanced
    scanning (Amazon Inspector) alike, in one shape, with the number of findings per severity.
  - With O(wait), waits while the scan is pending or in progress (and, for a scan that starts on
    push, until it appears), at most O(wait_timeout) seconds.
  - With O(severity_threshold), also returns the findings at or above that severity, their number
    and a one-line summary naming them, for a gate (M(ansible.builtin.fail) when
    RV(scan.count_at_or_above) is not 0), as the C(dockyard.ecr.publish) role does with
    C(publish_fail_on_severity).
  - An image that has no scan is not an error; RV(scan.found) is then V(false).
  - Never changes anything; it does not start a scan.
author:
  - dockyard.ecr developers (@dockyard)
options:
  repository:
    description:
      - The repository name, for example V(team/app).
    type: str
    required: true
  registry_id:
    description:
      - The AWS account ID (12 digits) of the registry that holds the repository.
      - If not set, the registry of the account the credentials belong to.
    type: str
  image_tag:
    description:
      - The tag of the image. Exactly one of O(image_tag) and O(image_digest).
    type: str
  image_digest:
    description:
      - The digest of the image (C(sha256:...)). Exactly one of O(image_tag) and O(image_digest).
    type: str
  wait:
    description:
      - Wait while the scan has not started (no scan yet) or is V(PENDING) or V(IN_PROGRESS).
      - If the wait runs out, the module fails naming the status it saw.
    type: bool
    default: false
  wait_timeout:
    description:
      - How long to wait, in seconds.
    type: int
    default: 600
  wait_delay:
    description:
      - How long to sleep between two reads while waiting, in seconds.
    type: int
    default: 5
  severity_threshold:
    description:
      - A severity; the findings at or above it are returned in RV(scan.findings_at_or_above)
        and named in RV(scan.summary).
      - V(UNDEFINED) and V(UNTRIAGED) findings have no rank and are never at or above a threshold.
    type: str
    choices: [INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL]
notes:
  - Permissions used are C(ecr:DescribeImageScanFindings) and, for enhanced scanning,
    C(inspector2:ListFindings) (ECR asks Inspector on the caller's behalf).
seealso:
  - module: dockyard.ecr.ecr_image_info
  - module: dockyard.ecr.ecr_image_promote
    description: Promote an image once its scan is clean.
  - module: dockyard.ecr.ecr_repo
    description: Turn scan on push on for a repository (O(dockyard.ecr.ecr_repo#module:scan_on_push)).
  - name: Image scanning in Amazon ECR
    description: Basic and enhanced scanning.
    link: https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html
extends_documentation_fragment:
  - dockyard.ecr.attributes
  - dockyard.ecr.attributes.actiongroup_ecr
  - dockyard.ecr.attributes.info_module
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Wait for the scan of the image just pushed
  dockyard.ecr.ecr_image_scan_info:
    repository: team/app
    image_tag: v1.4.0
    wait: true
    wait_timeout: 300
    severity_threshold: HIGH
  register: scan

- name: Stop on high and critical findings
  ansible.builtin.fail:
    msg: "{{ scan.scan.summary }}"
  when: scan.scan.count_at_or_above > 0

- name: Count the critical findings of an image in another account
  dockyard.ecr.ecr_image_scan_info:
    repository: shared/base
    registry_id: "111111111111"
    image_digest: sha256:c7c5c36cae4c9b7eda05a50cede27ca8a5fdb1ba73d08dd9001076bd7643058c
  register: base_scan

- name: Say how many
  ansible.builtin.debug:
    msg: "{{ base_scan.scan.severity_counts.CRITICAL }} critical findings"
"""

RETURN = r"""
scan:
  description: The scan of the image.
  returned: always
  type: dict
  contains:
    found:
      description: Whether the image has a scan.
      type: bool
      sample: true
    status:
      description:
        - The scan status as ECR reports it (V(COMPLETE), V(IN_PROGRESS), V(FAILED), V(ACTIVE),
          V(PENDING), V(UNSUPPORTED_IMAGE), ...); V(null) when the image has no scan.
      type: str
      sample: COMPLETE
    description:
      description: ECR's description of the status.
      type: str
      sample: The scan was completed successfully.
    scan_type:
      description: V(basic) or V(enhanced), from the shape of the findings; V(null) without findings.
      type: str
      sample: basic
    completed_at:
      description: When the scan completed (ISO 8601).
      type: str
      sample: "2025-01-31T12:00:00+00:00"
    vulnerability_source_updated_at:
      description: When the vulnerability data was last updated (ISO 8601).
      type: str
      sample: "2025-01-31T06:00:00+00:00"
    image_digest:
      description: The digest of the image.
      type: str
      sample: sha256:c7c5c36cae4c9b7eda05a50cede27ca8a5fdb1ba73d08dd9001076bd7643058c
    severity_counts:
      description: The number of findings per severity, every severity present (0 when none).
      type: dict
      sample: {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 3, "LOW": 0, "INFORMATIONAL": 2, "UNDEFINED": 0, "UNTRIAGED": 0}
    findings:
      description: The findings, most severe first.
      type: list
      elements: dict
      contains:
        name:
          description: The vulnerability ID (a CVE), or the title.
          type: str
          sample: CVE-2024-12345
        severity:
          description: The severity, upper case.
          type: str
          sample: HIGH
        title:
          description: The finding's title or description.
          type: str
          sample: "CVE-2024-12345 - openssl"
        uri:
          description: A link to the vulnerability's description.
          type: str
          sample: https://nvd.nist.gov/vuln/detail/CVE-2024-12345
        package_name:
          description: The affected package.
          type: str
          sample: openssl
        package_version:
          description: Its version in the image.
          type: str
          sample: 3.0.2
        score:
          description: The CVSS score, when ECR gives one.
          type: float
          sample: 7.5
        fix_available:
          description: Whether a fixed version exists (enhanced scanning); V(null) for basic scanning.
          type: bool
          sample: true
    findings_at_or_above:
      description: The findings at or above O(severity_threshold); empty without it.
      type: list
      elements: dict
      sample: []
    count_at_or_above:
      description:
        - How many findings are at or above O(severity_threshold), from the scan's severity counts
          (which cover every finding); 0 without O(severity_threshold).
      type: int
      sample: 1
    summary:
      description:
        - One line naming the findings at or above O(severity_threshold), or saying there are none,
          or that the image has no scan.
      type: str
      sample: "1 finding at or above HIGH in team/app@sha256:c7c5...: CVE-2024-12345 (HIGH, openssl 3.0.2)"
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dockyard.ecr.plugins.module_utils._api.scan import image_id_of, read_scan
from ansible_collections.dockyard.ecr.plugins.module_utils._common.clients import ecr_client
from ansible_collections.dockyard.ecr.plugins.module_utils._common.credentials import honour_security_token
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import validate_name, validate_registry_id
from ansible_collections.dockyard.ecr.plugins.module_utils._models.image import validate_tags
from ansible_collections.dockyard.ecr.plugins.module_utils._models.scan_findings import (
    SEVERITIES,
    ScanError,
    summarize,
    validate_request,
)


def main():
    honour_security_token()
    argument_spec = dict(
        repository=dict(type="str", required=True),
        registry_id=dict(type="str"),
        image_tag=dict(type="str"),
        image_digest=dict(type="str"),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=600),
        wait_delay=dict(type="int", default=5),
        severity_threshold=dict(type="str", choices=list(SEVERITIES)),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("image_tag", "image_digest")],
        required_one_of=[("image_tag", "image_digest")],
    )
    params = module.params
    try:
        repository = validate_name(params["repository"], option="repository")
        registry_id = validate_registry_id(params["registry_id"])
        if params["image_tag"]:
            validate_tags([params["image_tag"]], option="image_tag")
        try:
            validate_request(params)
        except ScanError as e:
            raise ECRError(message=e.message, option=e.option) from e
        image_id = image_id_of(params["image_tag"], params["image_digest"])
        scan = read_scan(
            ecr_client(module),
            repository,
            image_id,
            registry_id=registry_id,
            wait=params["wait"],
            timeout=params["wait_timeout"],
            delay=params["wait_delay"],
        )
    except ECRError as e:
        module.fail_json_aws_error(e)

    module.exit_json(changed=False, scan=summarize(scan, repository, image_id, params["severity_threshold"]))


if __name__ == "__main__":
    main()
