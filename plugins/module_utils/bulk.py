# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge a list of repositories in one process: settings, resource policy and lifecycle policy.

What ``ecr_repositories`` runs, built from the single-resource code (``repository.py``, ``policy.py``,
``lifecycle.py``) so that validation, comparison and messages are the same as ``ecr_repo``,
``ecr_policy`` and ``ecr_lifecycle``:

1. ``validate_params``: every entry is checked before any AWS call, with the validators the single
   modules use; a message names the entry and the option (``repositories[3] (name 'team/api').
   lifecycle.rules[priority=2].count_unit: ...``), and all invalid entries are reported at once.
2. ``read_repositories``: ``DescribeRepositories`` for up to 100 names per call. ECR fails the whole
   call when one name does not exist; then the registry is listed instead (up to 1000 repositories per
   call), which costs far less than asking for the names one by one on a first run.
3. ``Converger.run``: one task per repository on a bounded thread pool (one botocore client is
   thread-safe). Each task reads only what its entry manages (tags with ``tags``, the policy with
   access options, the lifecycle policy with ``lifecycle``; nothing for a repository that does not
   exist yet) and writes only what differs. A failing repository does not stop the others; its
   result carries ``failed`` and ``msg``.

Read calls for a run where nothing changes, per existing repository: ``GetRepositoryPolicy`` when the
entry manages access, ``GetLifecyclePolicy`` when it manages the lifecycle policy,
``ListTagsForResource`` when it manages tags; plus one ``DescribeRepositories`` per 100 entries.
"""

import copy
import json
import re
from concurrent.futures import ThreadPoolExecutor

try:
    import botocore.config
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.dockyard.ecr.plugins.module_utils import lifecycle as lifecycle_utils
from ansible_collections.dockyard.ecr.plugins.module_utils import policy as policy_utils
from ansible_collections.dockyard.ecr.plugins.module_utils import repository as repository_utils
from ansible_collections.dockyard.ecr.plugins.module_utils.ecr import ECRError, error_code, translate_errors

STATES = ("present", "absent")
# ECR's API rate limits are per account and region, shared by every caller, and most ECR control
# plane operations allow a few to a few tens of requests per second; AWSRetry backs off when one is
# throttled. 8 parallel requests keep a run well inside them while hiding the round trip latency.
DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 50
DESCRIBE_BATCH = repository_utils.DESCRIBE_BATCH  # names per DescribeRepositories call
LIST_PAGE_SIZE = 1000  # DescribeRepositories maxResults when listing the registry
ACCESS_OPTIONS = policy_utils.GRANT_OPTIONS + ("policy",)
PRESET_OPTIONS = lifecycle_utils.PRESET_OPTIONS
MAX_MESSAGES = 20  # invalid entries or failures spelled out in one message

LIFECYCLE_OPTIONS = dict(
    state=dict(type="str", choices=list(STATES), default="present"),
    rules=dict(type="list", elements="dict", options=lifecycle_utils.RULE_OPTIONS),
    policy=dict(type="json"),
    keep_last=dict(type="int"),
    expire_untagged_after_days=dict(type="int"),
    keep_tag_prefixes=dict(type="list", elements="str"),
)

# One entry of the ``repositories`` option: what ecr_repo, ecr_policy and ecr_lifecycle take for one
# repository. Checked per entry with Ansible's own ArgumentSpecValidator, so types are converted as in
# the single modules and every message can name the entry (Ansible's checks of list elements do not).
ENTRY_OPTIONS = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", choices=list(STATES), default="present"),
    image_tag_mutability=dict(type="str", choices=list(repository_utils.MUTABILITIES)),
    image_tag_mutability_exclusion_filters=dict(type="list", elements="str"),
    scan_on_push=dict(type="bool"),
    encryption=dict(
        type="dict",
        options=dict(
            type=dict(type="str", choices=list(repository_utils.ENCRYPTION_TYPES)),
            kms_key=dict(type="str", no_log=False),
        ),
    ),
    tags=dict(type="dict", aliases=["resource_tags"]),
    purge_tags=dict(type="bool", default=True),
    force=dict(type="bool", default=False),
    pull=dict(type="list", elements="str"),
    push=dict(type="list", elements="str"),
    services=dict(type="list", elements="str"),
    organizations=dict(type="list", elements="str"),
    policy=dict(type="json"),
    purge_statements=dict(type="bool", default=True),
    lifecycle=dict(type="dict", options=LIFECYCLE_OPTIONS),
)


class BulkError(ECRError):
    """Invalid entries (all of them, named) or a module-level option that cannot be used."""


# ---------------------------------------------------------------------------------------------
# Validation (pure: no AWS call)
# ---------------------------------------------------------------------------------------------

# A message that starts with an option path ("rules[priority=2].count_unit: ...", "pull[0]: ...").
_PATH_START = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])*(?:\.[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])*)*: ")


def entry_label(index, name=None):
    """``repositories[3] (name 'team/api')``: how messages name an entry."""
    if isinstance(name, str) and name:
        return f"repositories[{index}] (name {name!r})"
    return f"repositories[{index}]"


def located(label, message, section=None):
    """A validator's message placed in the entry: ``LABEL.SECTION.path: ...`` or ``LABEL.SECTION: ...``."""
    where = f"{label}.{section}" if section else label
    if _PATH_START.match(message):
        return f"{where}.{message}"
    return f"{where}: {message}"


def _is_unset(value):
    """Whether an entry's ``lifecycle`` asks for nothing: left out, null, or a dict of nulls ({})."""
    return value is None or (isinstance(value, dict) and all(v is None for v in value.values()))


def _spec_errors(label, errors):
    messages = []
    for error in errors:
        text = str(error)
        if type(error).__name__ == "UnsupportedError":
            text = f"unsupported option(s) {text}"
        messages.append(located(label, text))
    return messages


def _access_request(params, name, registry_id, allow_public):
    """None (the policy is left alone), or {desired, state, purge_statements} for ``converge_repository_policy``.

    Grants given as empty lists only (and no ``policy``) mean nobody is granted anything: the grants'
    statements go, which is ecr_policy's state=absent (the whole policy with ``purge_statements``).
    """
    given = [option for option in policy_utils.GRANT_OPTIONS if params.get(option) is not None]
    purge = params.get("purge_statements")
    purge = True if purge is None else bool(purge)
    if params.get("policy") is None and not given:
        return None
    if params.get("policy") is None and not any(params[option] for option in given):
        return {"desired": None, "state": "absent", "purge_statements": purge}
    request = policy_utils.validate_params(
        dict(
            {option: params.get(option) for option in ACCESS_OPTIONS},
            scope="repository",
            state="present",
            repository=name,
            registry_id=registry_id,
            purge_statements=purge,
            allow_public=allow_public,
        )
    )
    return {"desired": request["desired"], "state": "present", "purge_statements": purge}


def _lifecycle_request(raw, params, features, cache=None):
    """None (left alone), or {document}: the validated policy to set, or None to remove it.

    ``cache`` (a dict shared by the entries of one request) keeps the documents already validated: a
    fleet usually gives most repositories the same lifecycle, and jsonschema is the costly part.
    """
    if _is_unset(raw):
        return None
    wanted = params.get("lifecycle") or {}
    if wanted.get("state") == "absent":
        return {"document": None}
    if cache is None:
        return {"document": _lifecycle_document(wanted, features)}
    key = json.dumps(wanted, sort_keys=True, default=str)
    if key not in cache:
        cache[key] = _lifecycle_document(wanted, features)
    return {"document": copy.deepcopy(cache[key])}


def _lifecycle_document(wanted, features):
    """The validated document for a lifecycle given as rules, a policy document or presets."""
    presets = [option for option in PRESET_OPTIONS if wanted.get(option) is not None]
    kinds = [option for option in ("rules", "policy") if wanted.get(option) is not None]
    if presets:
        kinds.append("the presets (" + ", ".join(presets) + ")")
    if len(kinds) > 1:
        raise lifecycle_utils.LifecycleError(
            message=(
                f"give one of rules, policy or the presets (keep_last, expire_untagged_after_days, "
                f"keep_tag_prefixes), not {' and '.join(kinds)}"
            ),
            option="lifecycle",
        )
    if not kinds:
        raise lifecycle_utils.LifecycleError(
            message=(
                "state=present needs rules, policy or a preset (keep_last, expire_untagged_after_days, "
                "keep_tag_prefixes); use state: absent to remove the lifecycle policy, or leave lifecycle out to "
                "leave it alone"
            ),
            option="lifecycle",
        )
    if wanted.get("rules") is not None:
        return lifecycle_utils.validate_rules(wanted["rules"], features)
    if wanted.get("policy") is not None:
        return lifecycle_utils.validate_document(wanted["policy"], features)
    rules = lifecycle_utils.presets_to_rules(**{option: wanted.get(option) for option in PRESET_OPTIONS})
    if not rules:
        raise lifecycle_utils.LifecycleError(
            message="keep_tag_prefixes: empty, and no other preset is given; give keep_last or expire_untagged_after_days",
            option="keep_tag_prefixes",
        )
    return lifecycle_utils.validate_rules(rules, features)


def validate_entry(index, entry, registry_id=None, allow_public=False, features=None, cache=None):
    """Check one entry; return its request, or raise BulkError whose message names the entry.

    The request: index, label, name, state, ``repository`` (``repository.validate_params``), ``access``
    (None: left alone) and ``lifecycle`` (None: left alone).
    """
    label = entry_label(index, entry.get("name") if isinstance(entry, dict) else None)
    if not isinstance(entry, dict):
        raise BulkError(
            message=f"{label}: give a dict with at least name (for example {{name: team/app}})",
            option="repositories",
        )
    checked = ArgumentSpecValidator(ENTRY_OPTIONS).validate(copy.deepcopy(entry))
    if checked.error_messages:
        raise BulkError(message="; ".join(_spec_errors(label, checked.errors)), option="repositories")
    params = checked.validated_parameters
    section = None
    try:
        desired = repository_utils.validate_params(dict(params, registry_id=registry_id))
        access = _access_request(params, desired["name"], registry_id, allow_public)
        section = "lifecycle"
        lifecycle = _lifecycle_request(entry.get("lifecycle"), params, features, cache)
    except ECRError as e:
        raise BulkError(message=located(label, e.message, section), option="repositories") from e
    return {
        "index": index,
        "label": label,
        "name": desired["name"],
        "state": desired["state"],
        "repository": desired,
        "access": access,
        "lifecycle": lifecycle,
    }


def _combined(messages, what):
    if len(messages) == 1:
        return messages[0]
    shown = "; ".join(messages[:MAX_MESSAGES])
    more = f"; and {len(messages) - MAX_MESSAGES} more" if len(messages) > MAX_MESSAGES else ""
    return f"{len(messages)} {what}: {shown}{more}"


def validate_concurrency(concurrency):
    if concurrency is None:
        return DEFAULT_CONCURRENCY
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= MAX_CONCURRENCY:
        raise BulkError(
            message=(
                f"concurrency: {concurrency!r} is not a number of parallel requests from 1 to {MAX_CONCURRENCY}; "
                f"the default {DEFAULT_CONCURRENCY} stays within ECR's API rate limits"
            ),
            option="concurrency",
        )
    return concurrency


def validate_params(params, features=None):
    """Check the whole request before any AWS call; return the requests, one per entry, in input order.

    ``params``: ``repositories`` (list of entries), ``registry_id``, ``allow_public``. ``features``: what
    the installed botocore supports for lifecycle policies (``lifecycle.supported_features``).
    Raises BulkError naming every invalid entry (up to MAX_MESSAGES in the message), or the option.
    """
    registry_id = repository_utils.validate_registry_id(params.get("registry_id"))
    entries = params.get("repositories")
    if not isinstance(entries, (list, tuple)):
        raise BulkError(message="repositories: give a list of repositories (dicts with name)", option="repositories")
    allow_public = bool(params.get("allow_public"))
    requests, messages, seen, cache = [], [], {}, {}
    for index, entry in enumerate(entries):
        try:
            request = validate_entry(index, entry, registry_id, allow_public, features, cache)
        except BulkError as e:
            messages.append(e.message)
            continue
        first = seen.setdefault(request["name"], request)
        if first is not request:
            messages.append(
                f"{request['label']}.name: the same repository as {first['label']}; give each repository once "
                "(merge the two entries)"
            )
            continue
        requests.append(request)
    if messages:
        raise BulkError(message=_combined(messages, "entries of repositories are invalid"), option="repositories")
    return requests


# ---------------------------------------------------------------------------------------------
# Reading in batches
# ---------------------------------------------------------------------------------------------


def _registry_args(registry_id):
    return {"registryId": registry_id} if registry_id else {}


@AWSRetry.jittered_backoff()
def _list_all(client, registry_id):
    paginator = client.get_paginator("describe_repositories")
    pages = paginator.paginate(PaginationConfig={"PageSize": LIST_PAGE_SIZE}, **_registry_args(registry_id))
    return pages.build_full_result().get("repositories", [])


def read_repositories(client, names, registry_id=None):
    """{name: DescribeRepositories entry} for those of ``names`` that exist.

    One call per 100 names. ECR fails a call when one of its names does not exist (and says which one
    only), so the first such batch lists the whole registry instead (1000 repositories per call), and
    the remaining batches are answered from that listing.
    """
    found, listing = {}, None
    names = list(dict.fromkeys(names))
    for start in range(0, len(names), DESCRIBE_BATCH):
        batch = names[start : start + DESCRIBE_BATCH]
        if listing is None:
            with translate_errors(f"describe repositories {', '.join(batch[:3])}{', ...' if len(batch) > 3 else ''}"):
                try:
                    response = client.describe_repositories(
                        repositoryNames=batch, aws_retry=True, **_registry_args(registry_id)
                    )
                except is_boto3_error_code("RepositoryNotFoundException"):
                    response = None
            if response is not None:
                for entry in response.get("repositories") or []:
                    found[entry["repositoryName"]] = entry
                continue
            with translate_errors("list the repositories of the registry"):
                listing = {e["repositoryName"]: e for e in _list_all(client, registry_id)}
        for name in batch:
            if name in listing:
                found[name] = listing[name]
    return found


# ---------------------------------------------------------------------------------------------
# Converging
# ---------------------------------------------------------------------------------------------


def bulk_client(module, concurrency):
    """The ECR client for a run: ``ecr.ecr_client`` with a connection pool as large as the thread pool."""
    config = botocore.config.Config(max_pool_connections=max(10, concurrency))
    return module.client("ecr", retry_decorator=AWSRetry.jittered_backoff(), config=config)


def _without_unknown_tags(repository):
    """A repository dict without ``tags`` when they were not read (None)."""
    if repository and repository.get("tags") is None:
        repository = dict(repository)
        repository.pop("tags", None)
    return repository


def _lifecycle_shown(doc):
    return lifecycle_utils.normalize(doc) if doc else {}


class Converger:
    """Converges requests from ``validate_params``; one instance per run, used from many threads."""

    def __init__(self, client, check_mode=False, registry_id=None, registry_host=None, resolver=None):
        self.client = client
        self.check_mode = check_mode
        self.registry_id = registry_id
        self.registry_host = registry_host
        self.resolver = resolver or repository_utils.KmsKeyResolver()

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
        try:
            self._converge(request, entry, result)
        except ECRError as e:
            result["failed"] = True
            result["msg"] = f"{request['label']}: {e}"
            if error_code(e):
                result["error_code"] = error_code(e)
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
            tags = repository_utils.list_tags(self.client, entry["repositoryArn"], request["name"])
            if tags is None:
                return None  # deleted since the batch read
        current = repository_utils.repository_from_api(entry, tags, self.registry_host)
        if tags is None:
            current["tags"] = None  # not read: unknown, and left alone
        return current

    def _converge(self, request, entry, result):
        name, diff = request["name"], result["diff"]
        current = self._current(request, entry)
        changed, before, after = repository_utils.converge(
            self.client,
            request["repository"],
            check_mode=self.check_mode,
            resolver=self.resolver,
            registry_host=self.registry_host,
            current=current,
            read=False,
        )
        result["repository"] = _without_unknown_tags(after)
        diff["before"]["repository"] = _without_unknown_tags(repository_utils.settings_of(before))
        diff["after"]["repository"] = _without_unknown_tags(repository_utils.settings_of(after))
        if changed:
            result["changed"] = True
            result["action"] = (
                "created" if current is None else "deleted" if request["state"] == "absent" else "updated"
            )
        if request["state"] == "absent":
            return
        registry_id = (after or {}).get("registry_id") or self.registry_id
        exists = current is not None

        access = request["access"]
        if access is not None:
            current_policy = None
            if exists:
                current_policy = policy_utils.read_repository_policy(self.client, name, registry_id)[1]
            changed, before, after = policy_utils.converge_repository_policy(
                self.client,
                name,
                registry_id,
                access["desired"],
                access["purge_statements"],
                self.check_mode,
                access["state"],
                current=current_policy,
                read=False,
            )
            result["policy"] = after or {}
            diff["before"]["policy"] = policy_utils.normalize(before)
            diff["after"]["policy"] = policy_utils.normalize(after)
            self._mark(result, changed)

        wanted = request["lifecycle"]
        if wanted is not None:
            current_lifecycle = None
            if exists:
                current_lifecycle = lifecycle_utils.get_lifecycle_policy(self.client, name, registry_id)
            changed, before, after = lifecycle_utils.converge_lifecycle(
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


# ---------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------


def summarize(results):
    """Counts over the results: total, changed, created, updated, deleted, unchanged, failed, and names."""
    summary = {
        "total": len(results),
        "changed": 0,
        "created": 0,
        "updated": 0,
        "deleted": 0,
        "unchanged": 0,
        "failed": 0,
        "changed_names": [],
        "failed_names": [],
    }
    for result in results:
        failed = bool(result.get("failed"))
        if result.get("changed"):
            summary["changed"] += 1
            summary["changed_names"].append(result["name"])
        if failed:
            summary["failed"] += 1
            summary["failed_names"].append(result["name"])
        if not (failed and result["action"] == "unchanged"):
            summary[result["action"]] += 1
    return summary


def combined_diff(results):
    """Ansible's list form of ``diff``: one before/after pair per changed repository, headed by its name."""
    return [
        {
            "before_header": result["name"],
            "after_header": result["name"],
            "before": result["diff"]["before"],
            "after": result["diff"]["after"],
        }
        for result in results
        if result.get("changed")
    ]


def failure_message(results):
    """None when every repository converged; else one message naming the failed repositories."""
    failed = [r for r in results if r.get("failed")]
    if not failed:
        return None
    changed = sum(1 for r in results if r.get("changed") and not r.get("failed"))
    head = (
        f"{len(failed)} of {len(results)} repositories failed; the other {len(results) - len(failed)} converged "
        f"({changed} changed)"
    )
    messages = [r["msg"] for r in failed]
    more = f"; and {len(messages) - MAX_MESSAGES} more" if len(messages) > MAX_MESSAGES else ""
    return f"{head}: {'; '.join(messages[:MAX_MESSAGES])}{more}"
