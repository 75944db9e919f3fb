#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_replication_fixture
short_description: Read or clear the registry's replication configuration for the ecr_replication target
description:
  - Reads the replication rules (C(DescribeRegistry)) or puts an empty configuration, through the ECR API and
    without the module under test.
options:
  action:
    description: V(get) returns the rules in ECR's shape; V(clear) puts no rules.
    type: str
    required: true
    choices: [get, clear]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the replication rules
  ecr_replication_fixture:
    action: get
"""

RETURN = r"""
rules:
  description: The rules as ECR returns them.
  returned: O(action=get)
  type: list
  elements: dict
"""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(action=dict(type="str", required=True, choices=["get", "clear"])),
        supports_check_mode=True,
    )
    ecr = module.client("ecr")
    try:
        if module.params["action"] == "clear":
            ecr.put_replication_configuration(replicationConfiguration={"rules": []})
            module.exit_json(changed=True)
        response = ecr.describe_registry()
        module.exit_json(changed=False, rules=(response.get("replicationConfiguration") or {}).get("rules") or [])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to {module.params['action']} the replication configuration")


if __name__ == "__main__":
    main()
