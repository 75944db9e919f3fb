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
   thread-safe), in two passes. ``prepare`` reads only what its entry manages (tags with ``tags``, the
   lifecycle policy with ``lifecycle``, the policy with access options; nothing for a repository that
   does not exist yet) and applies the lifecycle guard (``_converge.lifecycle.check_lifecycle``) and the
   policy size check to every repository before the first write of the run; ``finish`` writes only
   what differs. A failing repository does not stop the others; its result carries ``failed`` and ``msg``.

Read calls for a run where nothing changes, per existing repository: ``GetRepositoryPolicy`` when the
entry manages access, ``GetLifecyclePolicy`` when it manages the lifecycle policy,
``ListTagsForResource`` when it manages tags; plus one ``DescribeRepositories`` per 100 entries. A
lifecycle policy that changes adds one ``DescribeImages`` listing of that repository (the guard; ``BatchGetImage``
only for manifest lists whose children's fate depends on them).
"""

from concurrent.futures import ThreadPoolExecutor

try:
    import botocore.config
except ImportError:
    pass  # Handled by AnsibleAWSModule

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
    brief_unchanged,
    combined_diff,
    failure_message,
    summarize,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_rules import (
    normalize as lifecycle_normalize,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_document import normalize as policy_normalize
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_request import check_fits
from ansible_collections.dockyard.ecr.plugins.module_utils._models.repository_settings import (
    repository_from_api,
    settings_of,
)

# What a repository's result says of its lifecycle evaluation (``lifecycle_preview``); its ``images`` only with the
# entry's ``lifecycle.preview``.
PREVIEW_SUMMARY_KEYS = ("evaluated_at", "rules", "totals")


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
        max_expire_percent=None,
        features=None,
    ):
        self.client = client
        self.max_expire_percent = max_expire_percent
        self.features = features
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
        """One result per request, in the requests' order. Raises ECRError only when the batch read fails.

        Two passes on the thread pool: first every repository's reads and lifecycle guard, then the writes, so a
        policy the guard refuses is refused before the first write of the run (and fails only its repository).
        """
        entries = read_repositories(self.client, [r["name"] for r in requests], self.registry_id)
        work = [(request, entries.get(request["name"])) for request in requests]
        prepared = self._map(lambda item: self.prepare(*item), work, concurrency)
        return self._map(self.finish, prepared, concurrency)

    @staticmethod
    def _map(func, items, concurrency):
        if len(items) <= 1 or concurrency <= 1:
            return [func(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(concurrency, len(items))) as pool:
            return list(pool.map(func, items))

    def converge_one(self, request, entry):
        """Converge one repository from its DescribeRepositories ``entry`` (None: it does not exist)."""
        return self.finish(self.prepare(request, entry))

    def _fail(self, result, request, error):
        if request["state"] == "present" and error_code(error) == "RepositoryNotFoundException":
            # It existed (or was created) when read, and a later call of this run no longer found it.
            error = repository_deleted_meanwhile(request["name"], error.exception)
        result["failed"] = True
        result["msg"] = f"{request['label']}: {error}"
        if error_code(error):
            result["error_code"] = error_code(error)
        if is_credentials_error(error) and self.stopped is None:
            self.stopped = str(error)

    def _not_tried(self, result, request):
        """Fail ``result`` without a call when the credentials stopped working earlier in the run (every call would
        fail the same way); True when it did."""
        if self.stopped is None:
            return False
        result["failed"] = True
        result["msg"] = f"{request['label']}: not tried, because the credentials stopped working: {self.stopped}"
        return True

    def prepare(self, request, entry):
        """The reads of one repository, its lifecycle guard and its policy's size check; nothing is written. Returns
        what ``finish`` takes."""
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
        prepared = {"request": request, "result": result, "current": None, "failed": False}
        prepared.update(lifecycle=None, policy=None)
        if self._not_tried(result, request):
            prepared["failed"] = True
            return prepared
        try:
            prepared["current"] = self._current(request, entry)
            prepared["lifecycle"] = self._checked_lifecycle(request, prepared["current"], result)
            prepared["policy"] = self._checked_policy(request, prepared["current"])
        except ECRError as e:
            self._fail(result, request, e)
            prepared["failed"] = True
        return prepared

    def finish(self, prepared):
        """The writes of one repository that ``prepare`` read and checked; its result."""
        request, result = prepared["request"], prepared["result"]
        if not prepared["failed"] and not self._not_tried(result, request):
            try:
                self._converge(request, prepared["current"], prepared["lifecycle"], prepared["policy"], result)
            except ECRError as e:
                self._fail(result, request, e)
        if result["changed"]:
            for side in result["diff"].values():
                if "policy" in side:
                    side["policy"] = policy_normalize(side["policy"])
                if "lifecycle_policy" in side:
                    side["lifecycle_policy"] = _lifecycle_shown(side["lifecycle_policy"])
        else:
            # Before and after are the same, and the result holds them already: a no-op run of a large
            # fleet returns (and Ansible processes) a third of the data, and normalises nothing for it.
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

    def _checked_lifecycle(self, request, current, result):
        """The repository's lifecycle policy (None: none, or no repository), read first when the entry manages it,
        and ``check_lifecycle`` applied to it: the guard refuses (failing the repository before anything of it is
        written) or warns, the preview or (in check mode) the counts of what would be expired go in the result."""
        wanted = request["lifecycle"]
        if wanted is None or current is None or request["state"] == "absent":
            return None
        registry_id = current.get("registry_id") or self.registry_id
        limit, option = wanted["max_expire_percent"], "lifecycle.max_expire_percent"
        if limit is None:
            limit, option = self.max_expire_percent, "max_expire_percent"
        checked = lifecycle_converge.check_lifecycle(
            self.client,
            request["name"],
            registry_id,
            wanted["document"],
            preview=wanted["preview"],
            max_expire_percent=limit,
            report=self.check_mode,
            features=self.features,
            options={"preview": "lifecycle.preview", "max_expire_percent": option},
        )
        evaluation = checked["evaluation"]
        if evaluation is not None:
            shown = PREVIEW_SUMMARY_KEYS + (("images",) if wanted["preview"] else ())
            result["lifecycle_preview"] = {key: evaluation[key] for key in shown}
        if checked["warnings"]:
            result.setdefault("warnings", []).extend(
                f"{request['label']}: {warning}" for warning in checked["warnings"]
            )
        return checked["current"]

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
        check_fits(
            current_policy,
            access["desired"],
            access["purge_statements"],
            access["state"],
            self.partition,
            access.get("owner"),
        )
        return current_policy

    def _converge(self, request, current, current_lifecycle, current_policy, result):
        # Everything that decides whether a part of the request can be met, and depends on what the repository
        # holds now, was read and checked by ``prepare`` before any write of the run: the lifecycle guard, the
        # policy's size; ``repository.converge`` checks the tag count and encryption before its own writes. A
        # refusal leaves no half change.
        name, diff = request["name"], result["diff"]
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
            warnings = []
            changed, before, after = policy_converge.converge_repository_policy(
                self.client,
                name,
                registry_id,
                access["desired"],
                access["purge_statements"],
                self.check_mode,
                access["state"],
                current=current_policy,
                owner=access.get("owner"),
                warnings=warnings,
            )
            if warnings:
                result.setdefault("warnings", []).extend(f"{request['label']}: {w}" for w in warnings)
            result["policy"] = after or {}
            diff["before"]["policy"], diff["after"]["policy"] = before, after  # normalised by finish, if shown
            self._mark(result, changed)

        wanted = request["lifecycle"]
        if wanted is not None:
            changed, before, after = lifecycle_converge.converge_lifecycle(
                self.client, name, registry_id, wanted["document"], self.check_mode, current=current_lifecycle
            )
            result["lifecycle_policy"] = _lifecycle_shown(after)
            diff["before"]["lifecycle_policy"], diff["after"]["lifecycle_policy"] = before, after  # shown by finish
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
    max_expire_percent=None,
    features=None,
    unchanged_details=True,
):
    """What ``ecr_repositories`` does for validated requests: the module's result and the failure message (or None).
    ``unchanged_details=False``: the entries of repositories that did not change are brief
    (bulk_request.brief_unchanged); the summary, warnings and failure message come from the whole results."""
    converger = Converger(
        client,
        check_mode=check_mode,
        registry_id=registry_id,
        registry_host=registry_host,
        resolver=resolver,
        max_expire_percent=max_expire_percent,
        features=features,
    )
    results = converger.run(requests, concurrency)
    summary = summarize(results)
    output = dict(
        changed=summary["changed"] > 0,
        repositories=results if unchanged_details else brief_unchanged(results),
        summary=summary,
        diff=combined_diff(results),
    )
    warnings = [warning for result in results for warning in result.get("warnings") or []]
    if warnings:
        output["warnings"] = warnings
    return output, failure_message(results)
