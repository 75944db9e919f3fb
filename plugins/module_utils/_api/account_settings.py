# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The registry's account settings: GetAccountSetting, PutAccountSetting (REGISTRY_POLICY_SCOPE,
BASIC_SCAN_TYPE_VERSION)."""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import translate_errors


def get_account_setting(client, name):
    """The value of one account setting of the credentials' registry (for example "V1" or "V2" for
    REGISTRY_POLICY_SCOPE); None when ECR does not know the setting there (``ValidationException`` or
    ``InvalidParameterException``: a partition or an endpoint without it), so the caller applies ECR's
    default. Other errors (access denied) raise ECRError ("Failed to get the account setting ...")."""
    with translate_errors(f"get the account setting {name}"):
        try:
            response = client.get_account_setting(name=name, aws_retry=True)
        except is_boto3_error_code(["ValidationException", "InvalidParameterException"]):
            return None
    return response.get("value")


def put_account_setting(client, name, value):
    """Set the account setting ``name`` to ``value``; returns the value ECR reports."""
    with translate_errors(f"put the account setting {name}"):
        response = client.put_account_setting(name=name, value=value, aws_retry=True)
    return response.get("value", value)
