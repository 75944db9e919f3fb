# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge a list of repositories in one process: settings, resource policy and lifecycle policy.

What ``ecr_repositories`` runs, built from the single-resource converge code (``_converge.repository``,
``_converge.policy``, ``_converge.lifecycle``), so comparison and messages are the same as ``ecr_repo``,
``ecr_policy`` and ``ecr_lifecycle``:

1. ``_models.bulk_request.validate_params``: every entry is checked before any AWS call.
2. ``_api.repositories.describe_repositories``: up to 100 names per call, one registry listing as the
   fallback when a batch names a repository that does not exist.
3. ``Converger.run``: one task per repository on a bounded thread pool (one botocore client is
   thread-safe). Each task reads only what its entry manages (tags with ``tags``, the policy with
   access options, the lifecycle policy with ``lifecycle``; nothing for a repository that does not
   exist yet) and writes only what differs. A failing repository does not stop the others; its
   result carries ``failed`` and ``msg``.

Read calls for a run where nothing changes, per existing repository: ``GetRepositoryPolicy`` when the
entry manages access, ``GetLifecyclePolicy`` when it manages the lifecycle policy,
``ListTagsForResource`` when it manages tags; plus one ``DescribeRepositories`` per 100 entries.
"""

from concurrent.futures import ThreadPoolExecutor

try:
    import botocore.config
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.dockyard.ecr.plugins.module_utils._api.lifecycle_policy import get_lifecycle_policy
from ansible_collections.dockyard.ecr.plugins.module_utils._api.repositories import describe_repositories
from ansible_collections.dockyard.ecr.plugins.module_utils._api.repository_policy import read_repository_policy
from ansible_collections.dockyard.ecr.plugins.module_utils._api.tags import list_tags
from ansible_collections.dockyard.ecr.plugins.module_utils._common.clients import ecr_client
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import (
    ECRError,
    error_code,
    is_credentials_error,
    repository_deleted_meanwhile,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import lifecycle as lifecycle_converge
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import policy as policy_converge
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import repository as repository_converge
from ansible_collections.dockyard.ecr.plugins.module_utils._models.bulk_request import (
    DEFAULT_CONCURRENCY,
    combined_diff,
    failure_message,
    summarize,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_guard import MAX_EXPIRE_PERCENT_OFF
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_rules import (
    normalize as lifecycle_normalize,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_document import normalize as policy_normalize
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_request import check_fits
from ansible_collections.dockyard.ecr.plugins.module_utils._models.repository_settings import (
    repository_from_api,
    settings_of,
)


def read_repositories(client, names, registry_id=None):
    """{name: DescribeRepositories entry} for those of ``names`` that exist (see ``describe_repositories``)."""
    return {entry["repositoryName"]: entry for entry in describe_repositories(client, names, registry_id)}


def bulk_client(module, concurrency):
    """The ECR client for a run: ``ecr_client`` with a connection pool as large as the thread pool."""
    return ecr_client(module, config=botocore.config.Config(max_pool_connections=max(10, concurrency)))


def _without_unknown_tags(repository):
    """A repository dict without ``tags`` when they were not read (None)."""
    if repository and repository.get("tags") is None:
        repository = dict(repository)
        repository.pop("tags", None)
    return repository


def _lifecycle_shown(doc):
    return lifecycle_normalize(doc) if doc else {}


class Converger:
    """Converges requests from ``validate_params``; one instance per run, used from many threads."""

    def __init__(
        self,
        client,
        check_mode=False,
        registry_id=None,
        registry_host=None,
        resolver=None,
        max_expire_percent=MAX_EXPIRE_PERCENT_OFF,
    ):
        self.client = client
        self.max_expire_percent = max_expire_percent
        self.check_mode = check_mode
        self.registry_id = registry_id
        self.registry_host = registry_host
        self.resolver = resolver
        meta = getattr(client, "meta", None)
        self.partition = getattr(meta, "partition", None) or "aws"
        # The first error that says the credentials no longer work (expired session token): the repositories not
        # started yet are not tried, since every call would fail the same way.
        self.stopped = None

    def run(self, requests, concurrency=DEFAULT_CONCURRENCY):
        """One result per request, in the requests' order. Raises ECRError only when the batch read fails."""
        entries = read_repositories(self.client, [r["name"] for r in requests], self.registry_id)
        work = [(request, entries.get(request["name"])) for request in requests]
        if len(work) <= 1 or concurrency <= 1:
            return [self.converge_one(request, entry) for request, entry in work]
        with ThreadPoolExecutor(max_workers=min(concurrency, len(work))) as pool:
            return list(pool.map(lambda item: self.converge_one(*item), work))

    def converge_one(self, request, entry):
        """Converge one repository from its DescribeRepositories ``entry`` (None: it does not exist)."""
        result = {
            "name": request["name"],
            "state": request["state"],
            "changed": False,
            "action": "unchanged",
            "repository": {},
            "policy": None,
            "lifecycle_policy": None,
            "diff": {"before": {}, "after": {}},
        }
        if self.stopped is not None:
            result["failed"] = True
            result["msg"] = f"{request['label']}: not tried, because the credentials stopped working: {self.stopped}"
            del result["diff"]
            return result
        try:
            self._converge(request, entry, result)
        except ECRError as e:
            if request["state"] == "present" and error_code(e) == "RepositoryNotFoundException":
                # It existed (or was created) when read, and a later call of this run no longer found it.
                e = repository_deleted_meanwhile(request["name"], e.exception)
            result["failed"] = True
            result["msg"] = f"{request['label']}: {e}"
            if error_code(e):
                result["error_code"] = error_code(e)
            if is_credentials_error(e) and self.stopped is None:
                self.stopped = str(e)
        if not result["changed"]:
            # Before and after are the same, and the result holds them already: a no-op run of a large
            # fleet returns (and Ansible processes) a third of the data.
            del result["diff"]
        return result

    def _current(self, request, entry):
        """The repository as ``repository.converge`` wants it, reading tags only when the entry manages them."""
        if entry is None:
            return None
        tags = None
        if request["state"] == "present" and request["repository"]["tags"] is not None:
            tags = list_tags(self.client, entry["repositoryArn"], request["name"])
            if tags is None:
                return None  # deleted since the batch read
        current = repository_from_api(entry, tags, self.registry_host)
        if tags is None:
            current["tags"] = None  # not read: unknown, and left alone
        return current

    def _guarded_lifecycle(self, request, current):
        """The repository's lifecycle policy (None: none, or no repository), read first when the entry manages it,
        and the deletion guard applied to it: a new policy that would expire more than max_expire_percent of the
        images now fails the repository before anything of it is written, as ecr_lifecycle does."""
        wanted = request["lifecycle"]
        if wanted is None or current is None or request["state"] == "absent":
            return None
        registry_id = current.get("registry_id") or self.registry_id
        current_lifecycle = get_lifecycle_policy(self.client, request["name"], registry_id)
        lifecycle_converge.guarded_preview(
            self.client,
            request["name"],
            registry_id,
            wanted["document"],
            self.max_expire_percent,
            current=current_lifecycle,
        )
        return current_lifecycle

    def _checked_policy(self, request, current):
        """The repository's policy (None: none, or no repository), read first when the entry manages access, and
        the document the entry asks for sized against it: one over ECR's limit (with purge_statements=false the
        statements others wrote stay and count) fails the repository before anything of it is written."""
        access = request["access"]
        if access is None or request["state"] == "absent":
            return None
        current_policy = None
        if current is not None:
            registry_id = current.get("registry_id") or self.registry_id
            current_policy = read_repository_policy(self.client, request["name"], registry_id)[1]
        check_fits(current_policy, access["desired"], access["purge_statements"], access["state"], self.partition)
        return current_policy

    def _converge(self, request, entry, result):
        name, diff = request["name"], result["diff"]
        # Everything that decides whether a part of the request can be met, and depends on what the repository
        # holds now, is read and checked before its first write: the lifecycle guard, the policy's size, and (in
        # repository.converge, before its writes) the tag count and encryption. A refusal leaves no half change.
        current = self._current(request, entry)
        current_lifecycle = self._guarded_lifecycle(request, current)
        current_policy = self._checked_policy(request, current)
        changed, before, after = repository_converge.converge(
            self.client,
            request["repository"],
            check_mode=self.check_mode,
            resolver=self.resolver,
            registry_host=self.registry_host,
            current=current,
        )
        result["repository"] = _without_unknown_tags(after)
        diff["before"]["repository"] = _without_unknown_tags(settings_of(before))
        diff["after"]["repository"] = _without_unknown_tags(settings_of(after))
        if changed:
            result["changed"] = True
            result["action"] = (
                "created" if current is None else "deleted" if request["state"] == "absent" else "updated"
            )
        if request["state"] == "absent":
            return
        registry_id = (after or {}).get("registry_id") or self.registry_id

        access = request["access"]
        if access is not None:
            changed, before, after = policy_converge.converge_repository_policy(
                self.client,
                name,
                registry_id,
                access["desired"],
                access["purge_statements"],
                self.check_mode,
                access["state"],
                current=current_policy,
            )
            result["policy"] = after or {}
            diff["before"]["policy"] = policy_normalize(before)
            diff["after"]["policy"] = policy_normalize(after)
            self._mark(result, changed)

        wanted = request["lifecycle"]
        if wanted is not None:
            changed, before, after = lifecycle_converge.converge_lifecycle(
                self.client, name, registry_id, wanted["document"], self.check_mode, current=current_lifecycle
            )
            result["lifecycle_policy"] = _lifecycle_shown(after)
            diff["before"]["lifecycle_policy"] = _lifecycle_shown(before)
            diff["after"]["lifecycle_policy"] = _lifecycle_shown(after)
            self._mark(result, changed)

    @staticmethod
    def _mark(result, changed):
        if changed:
            result["changed"] = True
            if result["action"] == "unchanged":
                result["action"] = "updated"


def run(
    client,
    requests,
    concurrency,
    check_mode=False,
    registry_id=None,
    registry_host=None,
    resolver=None,
    max_expire_percent=MAX_EXPIRE_PERCENT_OFF,
):
    """What ``ecr_repositories`` does for validated requests: the module's result and the failure message (or None)."""
    converger = Converger(
        client,
        check_mode=check_mode,
        registry_id=registry_id,
        registry_host=registry_host,
        resolver=resolver,
        max_expire_percent=max_expire_percent,
    )
    results = converger.run(requests, concurrency)
    summary = summarize(results)
    output = dict(
        changed=summary["changed"] > 0,
        repositories=results,
        summary=summary,
        diff=combined_diff(results),
    )
    return output, failure_message(results)
