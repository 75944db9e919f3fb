# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A repository's lifecycle policy: GetLifecyclePolicy (normalised), PutLifecyclePolicy, DeleteLifecyclePolicy."""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import repository_not_found, translate_errors
from ansible_collections.dockyard.ecr.plugins.module_utils._common.registry import registry_args
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_rules import normalize, policy_text


def get_lifecycle_policy(client, repository, registry_id=None):
    """The repository's lifecycle policy, normalised; None when it has none. Raises RepositoryNotFoundError."""
    with translate_errors(f"get the lifecycle policy of repository {repository!r}"):
        try:
            response = client.get_lifecycle_policy(
                repositoryName=repository, aws_retry=True, **registry_args(registry_id)
            )
        except is_boto3_error_code("LifecyclePolicyNotFoundException"):
            return None
        except is_boto3_error_code("RepositoryNotFoundException") as e:  # pylint: disable=duplicate-except
            raise repository_not_found(repository, registry_id, e) from e
    text = response.get("lifecyclePolicyText")
    return normalize(text) if text else None


def put_lifecycle_policy(client, repository, registry_id, doc):
    """Write the policy; returns it as ECR stored it, normalised."""
    text = policy_text(doc)
    with translate_errors(f"put the lifecycle policy of repository {repository!r}"):
        try:
            response = client.put_lifecycle_policy(
                repositoryName=repository, lifecyclePolicyText=text, aws_retry=True, **registry_args(registry_id)
            )
        except is_boto3_error_code("RepositoryNotFoundException") as e:
            raise repository_not_found(repository, registry_id, e) from e
    return normalize(response.get("lifecyclePolicyText") or text)


def delete_lifecycle_policy(client, repository, registry_id=None):
    """Delete the policy; False when there was none (or no repository)."""
    with translate_errors(f"delete the lifecycle policy of repository {repository!r}"):
        try:
            client.delete_lifecycle_policy(repositoryName=repository, aws_retry=True, **registry_args(registry_id))
        except is_boto3_error_code(["LifecyclePolicyNotFoundException", "RepositoryNotFoundException"]):
            return False
    return True
