# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Repository creation templates of the caller's registry: DescribeRepositoryCreationTemplates (one prefix),
Create, Update and Delete (the API takes no registry ID)."""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import translate_errors


def describe_template(client, prefix):
    """The template for ``prefix`` as ECR returns it; None when there is none."""
    with translate_errors(f"describe the repository creation template {prefix!r}"):
        try:
            response = client.describe_repository_creation_templates(prefixes=[prefix], aws_retry=True)
        except is_boto3_error_code("TemplateNotFoundException"):
            return None
    found = [item for item in response.get("repositoryCreationTemplates", []) if item.get("prefix") == prefix]
    return found[0] if found else None


def create_template(client, params):
    with translate_errors(f"create the repository creation template {params['prefix']!r}"):
        return client.create_repository_creation_template(aws_retry=True, **params).get("repositoryCreationTemplate")


def update_template(client, params):
    with translate_errors(f"update the repository creation template {params['prefix']!r}"):
        return client.update_repository_creation_template(aws_retry=True, **params).get("repositoryCreationTemplate")


def delete_template(client, prefix):
    """DeleteRepositoryCreationTemplate; False when there was none."""
    with translate_errors(f"delete the repository creation template {prefix!r}"):
        try:
            client.delete_repository_creation_template(prefix=prefix, aws_retry=True)
        except is_boto3_error_code("TemplateNotFoundException"):
            return False
    return True
