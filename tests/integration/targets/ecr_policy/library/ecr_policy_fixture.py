#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_policy_fixture
short_description: Read and put ECR policies for the ecr_policy integration target
description:
  - Reads a repository's or the registry's policy, or puts a policy text exactly as given, through
    the ECR API and without the module under test.
  - V(get) returns the policy document (V(null) when there is none).
  - V(put_text) sets O(text) as the repository's policy, byte for byte (to play back a document in
    the form ECR returns it).
  - V(get_scope) returns the account setting C(REGISTRY_POLICY_SCOPE) as RV(scope); V(put_scope) sets it
    to O(text) (V(V1) or V(V2)).
options:
  action:
    description: What to do.
    type: str
    required: true
    choices: [get, put_text, get_scope, put_scope]
  repository:
    description: The repository name; leave it out for the registry policy (V(get) only).
    type: str
  text:
    description: The policy text for V(put_text).
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read a repository's policy
  ecr_policy_fixture:
    action: get
    repository: team/app
"""

RETURN = r"""
policy:
  description: The policy document, or V(null) when there is none.
  returned: O(action=get)
  type: dict
text:
  description: The policy text as ECR returned it.
  returned: O(action=get)
  type: str
scope:
  description: The account setting C(REGISTRY_POLICY_SCOPE).
  returned: O(action=get_scope) or O(action=put_scope)
  type: str
"""

import json

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            action=dict(type="str", required=True, choices=["get", "put_text", "get_scope", "put_scope"]),
            repository=dict(type="str"),
            text=dict(type="str"),
        ),
        required_if=[["action", "put_text", ["repository", "text"]], ["action", "put_scope", ["text"]]],
        supports_check_mode=True,
    )
    repository = module.params["repository"]
    ecr = module.client("ecr")
    try:
        if module.params["action"] == "get_scope":
            module.exit_json(changed=False, scope=ecr.get_account_setting(name="REGISTRY_POLICY_SCOPE")["value"])
        if module.params["action"] == "put_scope":
            value = ecr.put_account_setting(name="REGISTRY_POLICY_SCOPE", value=module.params["text"])["value"]
            module.exit_json(changed=True, scope=value)
        if module.params["action"] == "put_text":
            ecr.set_repository_policy(repositoryName=repository, policyText=module.params["text"])
            module.exit_json(changed=True)
        try:
            if repository:
                text = ecr.get_repository_policy(repositoryName=repository)["policyText"]
            else:
                text = ecr.get_registry_policy()["policyText"]
        except is_boto3_error_code(["RepositoryPolicyNotFoundException", "RegistryPolicyNotFoundException"]):
            module.exit_json(changed=False, policy=None, text=None)
        module.exit_json(changed=False, policy=json.loads(text), text=text)
    except (
        botocore.exceptions.ClientError,
        botocore.exceptions.BotoCoreError,
    ) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to {module.params['action'].replace('_', ' ')} the policy")


if __name__ == "__main__":
    main()
