# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The accounts of an AWS Organization as inventory hosts (pure): one host per account and region.

Input: the accounts as ``organizations.read_accounts`` gives them (``id``, ``name``, ``email``,
``status``, ``tags``, ``ous``: the names of the organisational units from the root down). Output: the
hosts, each ``{"name", "vars", "groups"}``, in the layout the collection's playbooks expect
(ARCHITECTURE.md, "One account, one host"):

- ``aws_account_id`` (a string: leading zeros stay), ``aws_region``, ``aws_partition`` and, for every
  account but the one the credentials belong to (unless asked), ``aws_role_arn`` from the role-name
  template, in the region's partition;
- ``aws_account_name``, ``aws_account_email``, ``aws_account_status``, ``aws_account_tags``,
  ``aws_organizational_units``; ``ansible_connection: local`` (the AWS APIs are called from the
  controller);
- groups: the names an account tag lists (``group_tag``, for example ``registries`` or ``consumers``)
  and, with ``ou_groups``, ``ou_<name>`` for each OU on the account's path.
"""

import re

from ansible_collections.dockyard.ecr.plugins.module_utils._common.partitions import (
    is_region_name,
    partition_for_region,
)

ACCOUNT_ID_RE = re.compile(r"^[0-9]{12}$")
ROLE_NAME_RE = re.compile(r"^[\w+=,.@/-]{1,512}$")
FIELDS = ("account_id", "account_name", "region")
DEFAULT_HOSTNAME = "{account_name}-{region}"


class InventoryError(Exception):
    """Bad configuration; the message names the option."""


def safe_name(text):
    """A host name: lower case, each run of anything but letters and digits as one '-'."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "account"


def group_name(text):
    """A group name: lower case, each run of anything but letters, digits and '_' as one '_'."""
    return re.sub(r"[^a-z0-9_]+", "_", str(text).lower()).strip("_")


def _format(template, option, values):
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError) as e:
        raise InventoryError(
            f"{option}: {template!r} has a placeholder other than {', '.join('{' + f + '}' for f in FIELDS)} ({e})"
        ) from e


def validate(options):
    """The options the plan needs, checked; InventoryError naming the option otherwise."""
    regions = options.get("regions") or []
    if not regions:
        raise InventoryError("regions: give at least one region (one host per account and region)")
    for region in regions:
        if not is_region_name(region):
            raise InventoryError(f"regions: {region!r} is not an AWS region name (for example eu-west-1)")
    sample = {"account_id": "123456789012", "account_name": "name", "region": regions[0]}
    role_name = options.get("role_name")
    if role_name:
        if not ROLE_NAME_RE.match(_format(role_name, "role_name", sample)):
            raise InventoryError(f"role_name: {role_name!r} does not give an IAM role name (for example ecr-admin)")
    _format(options.get("hostname") or DEFAULT_HOSTNAME, "hostname", sample)
    for option in ("accounts", "exclude_accounts"):
        for account in options.get(option) or []:
            if not ACCOUNT_ID_RE.match(str(account)):
                raise InventoryError(f"{option}: {account!r} is not an AWS account ID (12 digits, quoted)")
    return options


def selected(accounts, options):
    """The accounts to list: the statuses asked for, the IDs asked for, minus the excluded ones."""
    statuses = {s.upper() for s in options.get("statuses") or ["ACTIVE"]}
    wanted = {str(a) for a in options.get("accounts") or []}
    excluded = {str(a) for a in options.get("exclude_accounts") or []}
    result = []
    for account in accounts:
        if (account.get("status") or "ACTIVE").upper() not in statuses:
            continue
        if wanted and account["id"] not in wanted:
            continue
        if account["id"] in excluded:
            continue
        result.append(account)
    return sorted(result, key=lambda a: (a.get("name") or "", a["id"]))


def tag_groups(tags, key):
    """The groups an account tag lists: its value split on commas, spaces, ':' and '/'."""
    if not key or key not in (tags or {}):
        return []
    return [group_name(part) for part in re.split(r"[\s,:/]+", tags[key] or "") if group_name(part)]


def hosts(accounts, options, caller_account=None):
    """The inventory hosts for ``accounts`` (already read), one per account and region."""
    options = validate(options)
    role_name = options.get("role_name")
    hostname = options.get("hostname") or DEFAULT_HOSTNAME
    result, seen = [], {}
    for account in selected(accounts, options):
        for region in options["regions"]:
            values = {
                "account_id": account["id"],
                "account_name": safe_name(account.get("name") or account["id"]),
                "region": region,
            }
            name = safe_name(_format(hostname, "hostname", values))
            if name in seen:
                # Two accounts with the same name: keep both, the later one with its ID.
                name = f"{name}-{account['id']}"
            seen[name] = True
            partition = partition_for_region(region)
            host_vars = {
                "aws_account_id": account["id"],
                "aws_region": region,
                "aws_partition": partition,
                "aws_account_name": account.get("name"),
                "aws_account_email": account.get("email"),
                "aws_account_status": account.get("status"),
                "aws_account_tags": dict(account.get("tags") or {}),
                "aws_organizational_units": list(account.get("ous") or []),
                "ansible_connection": "local",
            }
            if role_name and (account["id"] != caller_account or options.get("role_for_caller")):
                host_vars["aws_role_arn"] = (
                    f"arn:{partition}:iam::{account['id']}:role/{_format(role_name, 'role_name', values)}"
                )
            groups = tag_groups(account.get("tags"), options.get("group_tag"))
            if options.get("ou_groups"):
                groups += [group_name(f"ou_{ou}") for ou in account.get("ous") or []]
            result.append({"name": name, "vars": host_vars, "groups": list(dict.fromkeys(groups))})
    return result
