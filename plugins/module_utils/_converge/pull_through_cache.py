# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge one pull through cache rule (``ecr_pull_through_cache``): read, plan, create/update/delete."""

from ansible_collections.dockyard.ecr.plugins.module_utils._api import pull_through_cache as api
from ansible_collections.dockyard.ecr.plugins.module_utils._models import pull_through_cache as model

_CAMEL = {
    "ecr_repository_prefix": "ecrRepositoryPrefix",
    "upstream_registry_url": "upstreamRegistryUrl",
    "upstream_registry": "upstreamRegistry",
    "upstream_repository_prefix": "upstreamRepositoryPrefix",
    "credential_arn": "credentialArn",
    "custom_role_arn": "customRoleArn",
}


def _view(rule):
    """What the diff shows: the rule's settings, without timestamps."""
    return {key: rule.get(key) for key in _CAMEL} if rule else {}


def run(client, request, check_mode=False):
    """The module's result for a ``pull_through_cache.validate_params`` request."""
    prefix, registry_id = request["ecr_repository_prefix"], request["registry_id"]
    current = model.from_api(api.describe_rule(client, prefix, registry_id))
    action, after, changes = model.plan(request, current)
    if not check_mode:
        if action == "create":
            api.create_rule(client, {_CAMEL[key]: value for key, value in after.items() if key in _CAMEL}, registry_id)
        elif action == "update":
            api.update_rule(client, prefix, {_CAMEL[key]: value for key, value in changes.items()}, registry_id)
        elif action == "delete":
            api.delete_rule(client, prefix, registry_id)
        if action in ("create", "update"):
            after = model.from_api(api.describe_rule(client, prefix, registry_id)) or after
    return {
        "changed": action != "none",
        "pull_through_cache_rule": after,
        "diff": {"before": _view(current), "after": _view(after)},
    }
