# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What ``ecr_repo_info`` reads (read only): repositories by names, by prefix or all, with their tags and,
when asked, their policy and lifecycle policy.

The lifecycle policy is the one ``_api.lifecycle_policy.get_lifecycle_policy`` reads: normalised, rules
sorted by priority, as every other module shows it.
"""

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.dockyard.ecr.plugins.module_utils._api.lifecycle_policy import get_lifecycle_policy
from ansible_collections.dockyard.ecr.plugins.module_utils._api.repositories import describe_repositories
from ansible_collections.dockyard.ecr.plugins.module_utils._api.repository_policy import read_repository_policy
from ansible_collections.dockyard.ecr.plugins.module_utils._api.tags import list_tags
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import PolicyError, RepositoryNotFoundError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import validate_name
from ansible_collections.dockyard.ecr.plugins.module_utils._models.repository_settings import repository_from_api


def _policy(client, name, registry_id):
    try:
        return read_repository_policy(client, name, registry_id)[1]
    except PolicyError:
        return None  # deleted while we were reading


def _lifecycle_policy(client, name, registry_id):
    try:
        return get_lifecycle_policy(client, name, registry_id)
    except RepositoryNotFoundError:
        return None  # deleted while we were reading


def list_repositories(
    client,
    names=None,
    name_prefix=None,
    registry_id=None,
    include_policy=False,
    include_lifecycle_policy=False,
    registry_host=None,
    max_workers=8,
):
    """Repositories by ``names`` (missing ones left out), by ``name_prefix``, or all; read only.

    Tags (and policies when asked) need one call per repository; they run on a small thread pool.
    """
    if names is not None:
        for index, name in enumerate(names):
            validate_name(name, option=f"names[{index}]")
    entries = describe_repositories(client, names, registry_id)
    if names is None:
        if name_prefix:
            entries = [e for e in entries if e["repositoryName"].startswith(name_prefix)]
        entries = sorted(entries, key=lambda e: e["repositoryName"])

    def complete(entry):
        name = entry["repositoryName"]
        tags = list_tags(client, entry["repositoryArn"], name)
        if tags is None:
            return None  # deleted while we were reading
        repository = repository_from_api(entry, tags, registry_host)
        if include_policy:
            repository["policy"] = _policy(client, name, entry.get("registryId") or registry_id)
        if include_lifecycle_policy:
            repository["lifecycle_policy"] = _lifecycle_policy(client, name, entry.get("registryId") or registry_id)
        return repository

    if len(entries) <= 1 or max_workers <= 1:
        results = [complete(e) for e in entries]
    else:
        with ThreadPoolExecutor(max_workers=min(max_workers, len(entries))) as pool:
            results = list(pool.map(complete, entries))
    return [r for r in results if r is not None]
