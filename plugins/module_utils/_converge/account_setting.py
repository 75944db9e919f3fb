# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge one account setting of the caller's registry (``ecr_account_setting``): read, compare, put."""

from ansible_collections.dockyard.ecr.plugins.module_utils._api.account_settings import (
    get_account_setting,
    put_account_setting,
)


def run(client, request, check_mode=False):
    """The module's result for a ``account_setting.validate_params`` request."""
    name, value = request["name"], request["value"]
    before = get_account_setting(client, name)
    changed = before != value
    after = value
    if changed and not check_mode:
        after = put_account_setting(client, name, value)
    return {
        "changed": changed,
        "account_setting": {"name": name, "value": after},
        "diff": {"before": {"name": name, "value": before}, "after": {"name": name, "value": after}},
    }
