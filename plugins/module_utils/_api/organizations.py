# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The accounts of an AWS Organization with their OU path and tags (the inventory plugin's reads).

The tree is walked from the root (``ListRoots``, ``ListOrganizationalUnitsForParent`` and
``ListAccountsForParent`` per OU), so each account's OU path comes with no per-account call;
``ListAccounts`` is the fallback for a caller without the tree permissions. Tags are one
``ListTagsForResource`` per account, and only when asked for.
"""

try:
    import botocore
except ImportError:
    pass  # Handled by the plugin (require_aws_sdk)

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.dockyard.ecr.plugins.module_utils._common.paginate import paginate


class OrganizationsError(Exception):
    def __init__(self, message, exception=None):
        super().__init__(message)
        self.message = message
        self.exception = exception


def _call(description, function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise OrganizationsError(f"Failed to {description}: {e}", exception=e) from e


def _account(entry, ous):
    return {
        "id": entry["Id"],
        "name": entry.get("Name"),
        "email": entry.get("Email"),
        "status": entry.get("Status") or entry.get("State"),
        "arn": entry.get("Arn"),
        "ous": list(ous),
        "tags": {},
    }


def walk(client):
    """Every account under the root, with the names of the OUs above it (root first)."""
    accounts = []
    roots = _call("list the organization's roots (organizations:ListRoots)", paginate, client, "list_roots", "Roots")
    pending = [(root["Id"], []) for root in roots]
    while pending:
        parent, path = pending.pop(0)
        for entry in _call(
            f"list the accounts of {parent}", paginate, client, "list_accounts_for_parent", "Accounts", ParentId=parent
        ):
            accounts.append(_account(entry, path))
        for unit in _call(
            f"list the organizational units of {parent}",
            paginate,
            client,
            "list_organizational_units_for_parent",
            "OrganizationalUnits",
            ParentId=parent,
        ):
            pending.append((unit["Id"], path + [unit.get("Name") or unit["Id"]]))
    return accounts


def read_accounts(client, tags=True, tree=True):
    """The organization's accounts (``id``, ``name``, ``email``, ``status``, ``arn``, ``ous``, ``tags``)."""
    accounts = None
    if tree:
        try:
            accounts = walk(client)
        except OrganizationsError as e:
            code = (getattr(e.exception, "response", None) or {}).get("Error", {}).get("Code")
            if code != "AccessDeniedException":
                raise
            accounts = None
    if accounts is None:
        accounts = [
            _account(entry, [])
            for entry in _call(
                "list the accounts (organizations:ListAccounts)", paginate, client, "list_accounts", "Accounts"
            )
        ]
    if tags:
        for account in accounts:
            tag_list = _call(
                f"list the tags of account {account['id']}",
                paginate,
                client,
                "list_tags_for_resource",
                "Tags",
                ResourceId=account["id"],
            )
            account["tags"] = boto3_tag_list_to_ansible_dict(tag_list)
    return sorted(accounts, key=lambda a: a["id"])


def caller_account(sts_client):
    """The account the credentials belong to (sts:GetCallerIdentity)."""
    return _call("find the caller's account (sts:GetCallerIdentity)", sts_client.get_caller_identity)["Account"]
