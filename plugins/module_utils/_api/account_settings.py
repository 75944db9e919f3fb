# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The registry's account settings: GetAccountSetting, PutAccountSetting."""

from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import translate_errors


def get_account_setting(client, name):
    """The value (a string) of the account setting ``name`` of the caller's registry."""
    with translate_errors(f"get the account setting {name}"):
        response = client.get_account_setting(name=name, aws_retry=True)
    return response.get("value")


def put_account_setting(client, name, value):
    """Set the account setting ``name`` to ``value``; returns the value ECR reports."""
    with translate_errors(f"put the account setting {name}"):
        response = client.put_account_setting(name=name, value=value, aws_retry=True)
    return response.get("value", value)
