#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_account_setting
version_added: 0.1.0
short_description: Set an Amazon ECR account setting of the registry
description:
  - Set one of the account settings of the Amazon ECR registry of the credentials' account and region
    (C(GetAccountSetting), C(PutAccountSetting)).
  - V(REGISTRY_POLICY_SCOPE) says what the registry policy may govern. With V(V1), only replication and pull
    through cache (C(ecr:ReplicateImage), C(ecr:CreateRepository), C(ecr:BatchImportUpstreamImage)). With V(V2),
    every ECR action on every repository of the registry, next to the repository policies.
  - V(BASIC_SCAN_TYPE_VERSION) says which scanner basic scanning uses, V(AWS_NATIVE) or V(CLAIR).
  - The value is read first and written only when it differs.
author:
  - dockyard.ecr developers (@dockyard)
options:
  name:
    description:
      - The name of the setting. Lower case is accepted.
    type: str
    required: true
    choices: [REGISTRY_POLICY_SCOPE, BASIC_SCAN_TYPE_VERSION, registry_policy_scope, basic_scan_type_version]
  value:
    description:
      - The value. V(V1) or V(V2) for V(REGISTRY_POLICY_SCOPE), V(AWS_NATIVE) or V(CLAIR) for
        V(BASIC_SCAN_TYPE_VERSION). Lower case is accepted.
    type: str
    required: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the setting's name and value before and after.
  idempotent:
    support: full
notes:
  - The settings cannot be unset; ECR gives every registry a value (V(V2) and V(AWS_NATIVE) for new registries).
  - The API acts on the registry of the credentials' account; there is no C(registry_id) option.
  - Permissions used are C(ecr:GetAccountSetting) and C(ecr:PutAccountSetting).
  - Tested against the local emulator (moto with the collection's extensions), which keeps the settings and
    applies V(REGISTRY_POLICY_SCOPE) to registry policies.
seealso:
  - module: dockyard.ecr.ecr_policy
    description: The registry policy, whose scope this sets.
  - module: dockyard.ecr.ecr_registry_scanning
  - name: Private registry settings in Amazon ECR
    description: What the account settings do.
    link: https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry-settings.html
extends_documentation_fragment:
  - dockyard.ecr.attributes
  - dockyard.ecr.attributes.actiongroup_ecr
  - dockyard.ecr.assume_role
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Let the registry policy govern every ECR action (scope V2)
  dockyard.ecr.ecr_account_setting:
    name: REGISTRY_POLICY_SCOPE
    value: V2

- name: Use AWS's own scanner for basic scanning
  dockyard.ecr.ecr_account_setting:
    name: BASIC_SCAN_TYPE_VERSION
    value: AWS_NATIVE
"""

RETURN = r"""
account_setting:
  description: The setting after the run (predicted in check mode).
  returned: always
  type: dict
  contains:
    name:
      description: The setting's name.
      returned: always
      type: str
      sample: REGISTRY_POLICY_SCOPE
    value:
      description: Its value.
      returned: always
      type: str
      sample: V2
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dockyard.ecr.plugins.module_utils._common.assume_role import ASSUME_ROLE_OPTIONS, act_as_role
from ansible_collections.dockyard.ecr.plugins.module_utils._common.clients import ecr_client
from ansible_collections.dockyard.ecr.plugins.module_utils._common.credentials import honour_security_token
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._converge.account_setting import run
from ansible_collections.dockyard.ecr.plugins.module_utils._models.account_setting import (
    ACCOUNT_SETTINGS,
    validate_params,
)


def main():
    honour_security_token()
    names = list(ACCOUNT_SETTINGS) + [name.lower() for name in ACCOUNT_SETTINGS]
    argument_spec = dict(
        name=dict(type="str", required=True, choices=names),
        value=dict(type="str", required=True),
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
