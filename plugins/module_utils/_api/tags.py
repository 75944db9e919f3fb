# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Repository tags: ListTagsForResource (tag writes are ``Change`` calls, see ``_api.repositories``)."""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import translate_errors


def list_tags(client, arn, name=None):
    """The repository's tags as a dict; None when the repository has gone."""
    with translate_errors(f"list tags of repository {name or arn!r}"):
        try:
            response = client.list_tags_for_resource(resourceArn=arn, aws_retry=True)
        except is_boto3_error_code("RepositoryNotFoundException"):
            return None
    return boto3_tag_list_to_ansible_dict(response.get("tags") or [])
