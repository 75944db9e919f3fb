# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A repository's policy: GetRepositoryPolicy, SetRepositoryPolicy, DeleteRepositoryPolicy."""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import (
    PolicyError,
    repository_not_found,
    translate_errors,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._common.registry import registry_args
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_document import policy_from_text


def _missing(repository, registry_id, exception):
    return repository_not_found(repository, registry_id, exception, error=PolicyError)


def read_repository_policy(client, repository, registry_id=None):
    """(registry ID, document) of a repository's policy; the document is None when there is none.

    The registry ID is ECR's when it returns one, else ``registry_id``. Raises PolicyError
    (option ``repository``) when the repository does not exist.
    """
    with translate_errors(f"get the policy of repository {repository!r}"):
        try:
            response = client.get_repository_policy(
                repositoryName=repository, aws_retry=True, **registry_args(registry_id)
            )
        except is_boto3_error_code("RepositoryPolicyNotFoundException"):
            return registry_id, None
        except is_boto3_error_code("RepositoryNotFoundException") as e:  # pylint: disable=duplicate-except
            raise _missing(repository, registry_id, e) from e
    return response.get("registryId") or registry_id, policy_from_text(response.get("policyText"))


def set_repository_policy(client, repository, registry_id, text):
    """Write the policy text; returns the document as ECR stored it (None when it does not say)."""
    with translate_errors(f"set the policy of repository {repository!r}"):
        try:
            response = client.set_repository_policy(
                repositoryName=repository, policyText=text, aws_retry=True, **registry_args(registry_id)
            )
        except is_boto3_error_code("RepositoryNotFoundException") as e:
            raise _missing(repository, registry_id, e) from e
    return policy_from_text(response.get("policyText"))


def delete_repository_policy(client, repository, registry_id=None):
    """Delete the policy; False when there was none."""
    with translate_errors(f"delete the policy of repository {repository!r}"):
        try:
            client.delete_repository_policy(repositoryName=repository, aws_retry=True, **registry_args(registry_id))
        except is_boto3_error_code("RepositoryPolicyNotFoundException"):
            return False
        except is_boto3_error_code("RepositoryNotFoundException") as e:  # pylint: disable=duplicate-except
            raise _missing(repository, registry_id, e) from e
    return True
