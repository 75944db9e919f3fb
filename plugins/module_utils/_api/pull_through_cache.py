# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pull through cache rules: DescribePullThroughCacheRules (one prefix), Create, Update and Delete."""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import translate_errors
from ansible_collections.dockyard.ecr.plugins.module_utils._common.registry import registry_args


def describe_rule(client, prefix, registry_id=None):
    """The rule for ``prefix`` as ECR returns it; None when there is none."""
    with translate_errors(f"describe the pull through cache rule {prefix!r}"):
        try:
            response = client.describe_pull_through_cache_rules(
                ecrRepositoryPrefixes=[prefix], aws_retry=True, **registry_args(registry_id)
            )
        except is_boto3_error_code("PullThroughCacheRuleNotFoundException"):
            return None
    rules = [rule for rule in response.get("pullThroughCacheRules", []) if rule.get("ecrRepositoryPrefix") == prefix]
    return rules[0] if rules else None


def create_rule(client, rule, registry_id=None):
    """CreatePullThroughCacheRule with the camelCase parameters of ``rule``."""
    params = {key: value for key, value in rule.items() if value is not None}
    with translate_errors(f"create the pull through cache rule {rule['ecrRepositoryPrefix']!r}"):
        return client.create_pull_through_cache_rule(aws_retry=True, **registry_args(registry_id), **params)


def update_rule(client, prefix, changes, registry_id=None):
    """UpdatePullThroughCacheRule: ``changes`` holds credentialArn and/or customRoleArn."""
    with translate_errors(f"update the pull through cache rule {prefix!r}"):
        return client.update_pull_through_cache_rule(
            ecrRepositoryPrefix=prefix, aws_retry=True, **registry_args(registry_id), **changes
        )


def delete_rule(client, prefix, registry_id=None):
    """DeletePullThroughCacheRule; False when there was none."""
    with translate_errors(f"delete the pull through cache rule {prefix!r}"):
        try:
            client.delete_pull_through_cache_rule(
                ecrRepositoryPrefix=prefix, aws_retry=True, **registry_args(registry_id)
            )
        except is_boto3_error_code("PullThroughCacheRuleNotFoundException"):
            return False
    return True
