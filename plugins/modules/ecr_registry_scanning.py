#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_registry_scanning
version_added: 0.1.0
short_description: Set the image scanning configuration of an Amazon ECR registry
description:
  - Set the scan type (V(BASIC) or V(ENHANCED)) and the scanning rules of the Amazon ECR registry of the
    credentials' account and region (C(GetRegistryScanningConfiguration), C(PutRegistryScanningConfiguration)).
  - A rule scans the repositories its O(rules[].repository_filters) match, on push or continuously. A registry
    with no rule scans only when asked.
  - The configuration is compared with the current one (rules and filters in any order) and written only when
    it differs. Rules and filters are validated before any AWS call, with the option's name in the message.
author:
  - dockyard.ecr developers (@dockyard)
options:
  scan_type:
    description:
      - V(BASIC) scans for operating system vulnerabilities, on push or manually.
      - V(ENHANCED) uses Amazon Inspector for operating system and programming language packages, on push or
        continuously.
      - Lower case is accepted.
    type: str
    required: true
    choices: [BASIC, ENHANCED, basic, enhanced]
  rules:
    description:
      - The scanning rules, at most two (one per frequency).
      - An empty list removes every rule.
      - If not set, the registry's current rules are kept. They must suit O(scan_type); the module fails before
        any write when they do not (a V(CONTINUOUS_SCAN) rule with V(BASIC)).
    type: list
    elements: dict
    suboptions:
      scan_frequency:
        description:
          - When the repositories are scanned. V(SCAN_ON_PUSH) on every push; V(CONTINUOUS_SCAN) on push and
            whenever new vulnerabilities are published (V(ENHANCED) only); V(MANUAL) when asked.
        type: str
        required: true
        choices: [SCAN_ON_PUSH, CONTINUOUS_SCAN, MANUAL]
      repository_filters:
        description:
          - The repositories the rule applies to. A filter matches the whole repository name, with C(*) for
            any characters (V(prod/*), V(*)). ECR's C(WILDCARD) filter type is the only one.
          - 1 to 100 filters.
        type: list
        elements: str
        required: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the scan type and the rules (sorted) before and after.
  idempotent:
    support: full
notes:
  - The API acts on the registry of the credentials' account; there is no C(registry_id) option.
  - Enhanced scanning is billed by Amazon Inspector.
  - Permissions used are C(ecr:GetRegistryScanningConfiguration) and C(ecr:PutRegistryScanningConfiguration)
    (and, for V(ENHANCED), the Inspector permissions AWS documents).
  - Tested against the local emulator (moto with the collection's extensions); moto 5.2's own
    C(PutRegistryScanningConfiguration) breaks later C(CreateRepository) calls, which the emulator fixes.
seealso:
  - module: dockyard.ecr.ecr_repo
    description: Scan on push per repository (basic scanning's legacy setting).
  - module: dockyard.ecr.ecr_image_scan_info
  - module: dockyard.ecr.ecr_account_setting
    description: BASIC_SCAN_TYPE_VERSION, the scanner basic scanning uses.
  - name: Scan images for software vulnerabilities in Amazon ECR
    description: Basic and enhanced scanning, and the scanning rules.
    link: https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html
extends_documentation_fragment:
  - dockyard.ecr.attributes
  - dockyard.ecr.attributes.actiongroup_ecr
  - dockyard.ecr.assume_role
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Scan every image on push (basic scanning)
  dockyard.ecr.ecr_registry_scanning:
    scan_type: BASIC
    rules:
      - scan_frequency: SCAN_ON_PUSH
        repository_filters: ["*"]

- name: Scan production continuously, everything else on push (enhanced scanning)
  dockyard.ecr.ecr_registry_scanning:
    scan_type: ENHANCED
    rules:
      - scan_frequency: CONTINUOUS_SCAN
        repository_filters: ["prod/*"]
      - scan_frequency: SCAN_ON_PUSH
        repository_filters: ["*"]

- name: Back to manual scanning only
  dockyard.ecr.ecr_registry_scanning:
    scan_type: BASIC
    rules: []
"""

RETURN = r"""
scanning_configuration:
  description: The configuration after the run (predicted in check mode).
  returned: always
  type: dict
  contains:
    registry_id:
      description: The registry's account ID.
      returned: always
      type: str
      sample: "123456789012"
    scan_type:
      description: V(BASIC) or V(ENHANCED).
      returned: always
      type: str
      sample: ENHANCED
    rules:
      description: The rules, sorted by frequency, each with its filters sorted.
      returned: always
      type: list
      elements: dict
      sample:
        - scan_frequency: CONTINUOUS_SCAN
          repository_filters: ["prod/*"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dockyard.ecr.plugins.module_utils._common.assume_role import ASSUME_ROLE_OPTIONS, act_as_role
from ansible_collections.dockyard.ecr.plugins.module_utils._common.clients import ecr_client
from ansible_collections.dockyard.ecr.plugins.module_utils._common.credentials import honour_security_token
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._converge.registry_scanning import run
from ansible_collections.dockyard.ecr.plugins.module_utils._models.registry_scanning import (
    RULE_OPTIONS,
    SCAN_TYPES,
    validate_params,
)


def main():
    honour_security_token()
    argument_spec = dict(
        scan_type=dict(type="str", required=True, choices=list(SCAN_TYPES) + [name.lower() for name in SCAN_TYPES]),
        rules=dict(type="list", elements="dict", options=RULE_OPTIONS),
        **ASSUME_ROLE_OPTIONS,
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        request = validate_params(module.params)
        act_as_role(module)
        result = run(ecr_client(module), request, check_mode=module.check_mode)
    except ECRError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
