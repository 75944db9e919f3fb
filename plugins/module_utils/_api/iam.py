# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The IAM calls the remote-access converge makes: one small function per API call.

Each takes a client made with ``retry_decorator=AWSRetry.jittered_backoff()`` (so calls pass
``aws_retry=True``) and raises ``ECRError("Failed to ...")`` when AWS refuses, naming the role or
policy. Readers return plain data; a missing role or policy reads as None / empty.
"""

import json
from urllib.parse import unquote

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import (
    is_boto3_error_code,
    paginated_query_with_retries,
)
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError, translate_errors
from ansible_collections.dockyard.ecr.plugins.module_utils._common.paginate import paginate


def _document(value):
    """A policy document as IAM returns it (a dict, or URL-encoded JSON text) as a dict."""
    if isinstance(value, dict):
        return value
    if not value:
        return None
    text = unquote(value) if value.lstrip().startswith("%") else value
    return json.loads(text)


def list_roles(client):
    """{role name: {"arn", "path"}} of every IAM role of the account (ListRoles, 1000 a page)."""
    roles = {}
    with translate_errors("list the IAM roles"):
        for role in paginate(client, "list_roles", "Roles", PaginationConfig={"PageSize": 1000}):
            roles[role["RoleName"]] = {
                "arn": role["Arn"],
                "path": role.get("Path", "/"),
            }
    return roles


def list_role_policies(client, role):
    """The names of the role's inline policies."""
    with translate_errors(f"list the inline policies of IAM role {role}"):
        return paginate(client, "list_role_policies", "PolicyNames", RoleName=role)


def list_attached_role_policies(client, role):
    """[{"PolicyName", "PolicyArn"}] attached to the role."""
    with translate_errors(f"list the managed policies attached to IAM role {role}"):
        return paginate(client, "list_attached_role_policies", "AttachedPolicies", RoleName=role)


def get_role_policy(client, role, name):
    """The document of the role's inline policy ``name``; None when it has none."""
    try:
        answer = client.get_role_policy(RoleName=role, PolicyName=name, aws_retry=True)
    except is_boto3_error_code("NoSuchEntity"):
        return None
    except (
        botocore.exceptions.ClientError,
        botocore.exceptions.BotoCoreError,
    ) as e:  # pylint: disable=duplicate-except
        raise ECRError(
            message=f"Failed to read inline policy {name} of IAM role {role}",
            exception=e,
        ) from e
    return _document(answer["PolicyDocument"])


def list_local_policies(client, path):
    """{name: {"arn", "default_version"}} of the account's customer managed policies under ``path``."""
    with translate_errors(f"list the managed policies under {path}"):
        found = paginate(client, "list_policies", "Policies", Scope="Local", PathPrefix=path)
    return {p["PolicyName"]: {"arn": p["Arn"], "default_version": p.get("DefaultVersionId")} for p in found}


def get_policy_version(client, arn, version):
    """The document of one version of a managed policy."""
    with translate_errors(f"read managed policy {arn}"):
        answer = client.get_policy_version(PolicyArn=arn, VersionId=version, aws_retry=True)
    return _document(answer["PolicyVersion"]["Document"])


def put_role_policy(client, role, name, document):
    with translate_errors(f"write inline policy {name} of IAM role {role}"):
        client.put_role_policy(
            RoleName=role,
            PolicyName=name,
            PolicyDocument=json.dumps(document),
            aws_retry=True,
        )


def delete_role_policy(client, role, name):
    with translate_errors(f"delete inline policy {name} of IAM role {role}"):
        client.delete_role_policy(RoleName=role, PolicyName=name, aws_retry=True)


def create_policy(client, name, path, document, description):
    """Create a managed policy; its ARN."""
    with translate_errors(f"create managed policy {name}"):
        answer = client.create_policy(
            PolicyName=name,
            Path=path,
            PolicyDocument=json.dumps(document),
            Description=description,
            aws_retry=True,
        )
    return answer["Policy"]["Arn"]


def replace_policy_document(client, arn, document):
    """Make ``document`` the managed policy's default version and delete the others (IAM keeps five)."""
    with translate_errors(f"update managed policy {arn}"):
        versions = client.list_policy_versions(PolicyArn=arn, aws_retry=True)["Versions"]
        old = [v["VersionId"] for v in versions if not v["IsDefaultVersion"]]
        for version in old:
            client.delete_policy_version(PolicyArn=arn, VersionId=version, aws_retry=True)
        client.create_policy_version(
            PolicyArn=arn,
            PolicyDocument=json.dumps(document),
            SetAsDefault=True,
            aws_retry=True,
        )
        for version in versions:
            if version["IsDefaultVersion"]:
                client.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"], aws_retry=True)


def attach_role_policy(client, role, arn):
    with translate_errors(f"attach managed policy {arn} to IAM role {role}"):
        client.attach_role_policy(RoleName=role, PolicyArn=arn, aws_retry=True)


def detach_role_policy(client, role, arn):
    with translate_errors(f"detach managed policy {arn} from IAM role {role}"):
        client.detach_role_policy(RoleName=role, PolicyArn=arn, aws_retry=True)


def delete_policy(client, arn):
    """Detach the managed policy from every role, user and group, delete its old versions, then it."""
    with translate_errors(f"delete managed policy {arn}"):
        entities = paginated_query_with_retries(
            client,
            "list_entities_for_policy",
            retry_decorator=AWSRetry.jittered_backoff(),
            PolicyArn=arn,
        )
        for role in entities.get("PolicyRoles", []):
            client.detach_role_policy(RoleName=role["RoleName"], PolicyArn=arn, aws_retry=True)
        for user in entities.get("PolicyUsers", []):
            client.detach_user_policy(UserName=user["UserName"], PolicyArn=arn, aws_retry=True)
        for group in entities.get("PolicyGroups", []):
            client.detach_group_policy(GroupName=group["GroupName"], PolicyArn=arn, aws_retry=True)
        for version in client.list_policy_versions(PolicyArn=arn, aws_retry=True)["Versions"]:
            if not version["IsDefaultVersion"]:
                client.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"], aws_retry=True)
        client.delete_policy(PolicyArn=arn, aws_retry=True)
