# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Repositories: DescribeRepositories (one repository, or up to 100 per call), CreateRepository and the
settings writes (as ``Change`` calls), DeleteRepository.

Functions take a client from ``_common.clients.ecr_client`` (calls pass ``aws_retry=True``) and raise ``ECRError``.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.dockyard.ecr.plugins.module_utils._api.images import count_images
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import (
    RepositoryError,
    repository_not_empty,
    translate_errors,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._common.paginate import chunks, paginate
from ansible_collections.dockyard.ecr.plugins.module_utils._common.registry import registry_args

DESCRIBE_BATCH = 100  # DescribeRepositories takes up to 100 repositoryNames
LIST_PAGE_SIZE = 1000  # DescribeRepositories maxResults when listing the registry


def describe_repository(client, name, registry_id=None):
    """The DescribeRepositories entry for one repository, or None when it does not exist."""
    with translate_errors(f"describe repository {name!r}"):
        try:
            response = client.describe_repositories(
                repositoryNames=[name], aws_retry=True, **registry_args(registry_id)
            )
        except is_boto3_error_code("RepositoryNotFoundException"):
            return None
    repositories = response.get("repositories") or []
    return repositories[0] if repositories else None


def list_all(client, registry_id=None):
    """Every repository of the registry (1000 per call), as DescribeRepositories entries."""
    with translate_errors("list the repositories of the registry"):
        return paginate(
            client,
            "describe_repositories",
            "repositories",
            PaginationConfig={"PageSize": LIST_PAGE_SIZE},
            **registry_args(registry_id),
        )


def describe_repositories(client, names=None, registry_id=None):
    """DescribeRepositories entries for ``names`` (in that order, duplicates and missing ones left out), or all.

    One call per 100 names. ECR fails a call when one of its names does not exist (and says which one
    only), so the first such batch lists the whole registry instead (1000 repositories per call), and
    the remaining batches are answered from that listing: far fewer calls than asking name by name.
    """
    if names is None:
        return list_all(client, registry_id)
    wanted = list(dict.fromkeys(names))
    found, listing = {}, None
    for batch in chunks(wanted, DESCRIBE_BATCH):
        if listing is None:
            shown = f"{', '.join(batch[:3])}{', ...' if len(batch) > 3 else ''}"
            with translate_errors(f"describe repositories {shown}"):
                try:
                    response = client.describe_repositories(
                        repositoryNames=batch, aws_retry=True, **registry_args(registry_id)
                    )
                except is_boto3_error_code("RepositoryNotFoundException"):
                    response = None
            if response is not None:
                for entry in response.get("repositories") or []:
                    found[entry["repositoryName"]] = entry
                continue
            listing = {entry["repositoryName"]: entry for entry in list_all(client, registry_id)}
        for name in batch:
            if name in listing:
                found[name] = listing[name]
    return [found[name] for name in wanted if name in found]


def check_client_supports(client, changes):
    """Raise RepositoryError when the installed botocore cannot send a change (exclusion filters)."""
    for change in changes:
        if "imageTagMutabilityExclusionFilters" not in change.params:
            continue
        model = client.meta.service_model.operation_model(
            "CreateRepository" if change.operation == "create_repository" else "PutImageTagMutability"
        )
        if "imageTagMutabilityExclusionFilters" not in model.input_shape.members:
            raise RepositoryError(
                message=(
                    "image_tag_mutability_exclusion_filters: the installed botocore does not know ECR's tag "
                    "mutability exclusion filters (mutable_with_exclusion / immutable_with_exclusion); "
                    "upgrade boto3 and botocore (a 2025 release from July on) on the host that runs the module"
                ),
                option="image_tag_mutability_exclusion_filters",
            )


def apply_changes(client, changes):
    """Make the write calls in order; returns the responses."""
    responses = []
    for change in changes:
        with translate_errors(change.description):
            responses.append(getattr(client, change.operation)(aws_retry=True, **change.params))
    return responses


def delete_repository(client, name, registry_id=None, force=False):
    """Delete the repository (False when it does not exist); refused for images: RepositoryError with the count."""
    with translate_errors(f"delete repository {name!r}"):
        try:
            client.delete_repository(repositoryName=name, force=force, aws_retry=True, **registry_args(registry_id))
        except is_boto3_error_code("RepositoryNotFoundException"):
            return False
        except is_boto3_error_code("RepositoryNotEmptyException") as e:  # pylint: disable=duplicate-except
            raise repository_not_empty(name, count_images(client, name, registry_id)) from e
    return True
