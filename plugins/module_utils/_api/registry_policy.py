# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The registry policy of the credentials' account: GetRegistryPolicy, PutRegistryPolicy, DeleteRegistryPolicy."""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import translate_errors
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_document import policy_from_text


def read_registry_policy(client):
    """(registry ID, document) of the caller's registry policy; (None, None) when there is none."""
    with translate_errors("get the registry policy"):
        try:
            response = client.get_registry_policy(aws_retry=True)
        except is_boto3_error_code("RegistryPolicyNotFoundException"):
            return None, None
    return response.get("registryId"), policy_from_text(response.get("policyText"))


def put_registry_policy(client, text):
    """Write the registry policy text; returns the document as ECR stored it (None when it does not say)."""
    with translate_errors("put the registry policy"):
        response = client.put_registry_policy(policyText=text, aws_retry=True)
    return policy_from_text(response.get("policyText"))


def delete_registry_policy(client):
    """Delete the registry policy; False when there was none."""
    with translate_errors("delete the registry policy"):
        try:
            client.delete_registry_policy(aws_retry=True)
        except is_boto3_error_code("RegistryPolicyNotFoundException"):
            return False
    return True
