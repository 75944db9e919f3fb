#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: org_fixture
short_description: An AWS Organization with OUs and tagged accounts, for the aws_accounts inventory test
description:
  - V(present) makes the organization (or uses the one there), the OU path O(ous) under the root and
    the accounts O(accounts) in the last OU, with their tags; returns their IDs.
  - V(absent) removes the accounts named in O(accounts) from the organization.
options:
  state:
    description: What to do.
    type: str
    choices: [present, absent]
    default: present
  ous:
    description: Names of nested OUs, from the root down.
    type: list
    elements: str
    default: []
  accounts:
    description: Accounts, each C({name, email, tags}).
    type: list
    elements: dict
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Two accounts in workloads/prod
  org_fixture:
    ous: [workloads, prod]
    accounts:
      - name: prod
        email: prod@example.com
        tags: {"dockyard:groups": consumers}
"""

RETURN = r"""
ids:
  description: The account IDs by name.
  returned: always
  type: dict
"""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            state=dict(type="str", choices=["present", "absent"], default="present"),
            ous=dict(type="list", elements="str", default=[]),
            accounts=dict(type="list", elements="dict", required=True),
        )
    )
    client = module.client("organizations")
    try:
        try:
            client.create_organization(FeatureSet="ALL")
        except is_boto3_error_code("AlreadyInOrganizationException"):
            pass
        existing = {a["Name"]: a["Id"] for a in client.list_accounts()["Accounts"]}
        if module.params["state"] == "absent":
            for account in module.params["accounts"]:
                if account["name"] in existing:
                    client.remove_account_from_organization(AccountId=existing[account["name"]])
            module.exit_json(changed=True)
        root = client.list_roots()["Roots"][0]["Id"]
        parent = root
        for name in module.params["ous"]:
            units = client.list_organizational_units_for_parent(ParentId=parent)["OrganizationalUnits"]
            found = [u["Id"] for u in units if u["Name"] == name]
            parent = (
                found[0]
                if found
                else client.create_organizational_unit(ParentId=parent, Name=name)["OrganizationalUnit"]["Id"]
            )
        ids = {}
        for account in module.params["accounts"]:
            if account["name"] in existing:
                ids[account["name"]] = existing[account["name"]]
                continue
            tags = [{"Key": k, "Value": v} for k, v in (account.get("tags") or {}).items()]
            status = client.create_account(AccountName=account["name"], Email=account["email"], Tags=tags)
            account_id = status["CreateAccountStatus"]["AccountId"]
            if parent != root:
                client.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=parent)
            ids[account["name"]] = account_id
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Failed to set up the organization")
    module.exit_json(changed=True, ids=ids)


if __name__ == "__main__":
    main()
