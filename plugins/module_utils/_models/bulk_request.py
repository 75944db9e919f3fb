# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""An ``ecr_repositories`` request, pure: every entry checked before any AWS call, and the run's report.

Entries are checked with the validators the single modules use (``repository_request``,
``policy_request``, ``lifecycle_request``); a message names the entry and the option
(``repositories[3] (name 'team/api'). lifecycle.rules[priority=2].count_unit: ...``), and all invalid
entries are reported at once.
"""

import copy
import json
import re

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import BulkError, ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.options import (
    GRANT_FLAGS,
    GRANT_OPTIONS,
    GRANT_SPEC,
    LIFECYCLE_RULE_OPTIONS,
    REPOSITORY_OPTIONS,
    STATES,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import validate_registry_id
from ansible_collections.dockyard.ecr.plugins.module_utils._models import (
    lifecycle_request,
    policy_request,
    repository_request,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_guard import validate_max_expire_percent
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_rules import plain_copy
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_grants import grant_warnings

# ECR's API rate limits are per account and region, shared by every caller, and most ECR control
# plane operations allow a few to a few tens of requests per second; AWSRetry backs off when one is
# throttled. 8 parallel requests keep a run well inside them while hiding the round trip latency.
DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 50
ACCESS_OPTIONS = GRANT_OPTIONS + GRANT_FLAGS + ("policy",)
MAX_MESSAGES = 20  # invalid entries or failures spelled out in one message

LIFECYCLE_OPTIONS = dict(
    state=dict(type="str", choices=list(STATES), default="present"),
    rules=dict(type="list", elements="dict", options=LIFECYCLE_RULE_OPTIONS),
    policy=dict(type="json"),
    keep_last=dict(type="int"),
    expire_untagged_after_days=dict(type="int"),
    keep_tag_prefixes=dict(type="list", elements="str"),
    preview=dict(type="bool", default=False),
    max_expire_percent=dict(type="int"),
)
# The keys of an entry's ``lifecycle`` that say how the policy is checked, not what it is.
LIFECYCLE_CHECK_OPTIONS = ("preview", "max_expire_percent")

# One entry of the ``repositories`` option: what ecr_repo, ecr_policy and ecr_lifecycle take for one
# repository. Checked per entry with Ansible's own ArgumentSpecValidator, so types are converted as in
# the single modules and every message can name the entry (Ansible's checks of list elements do not).
ENTRY_OPTIONS = dict(
    REPOSITORY_OPTIONS,
    **GRANT_SPEC,
    policy=dict(type="json"),
    purge_statements=dict(type="bool", default=True),
    owner=dict(type="str"),
    lifecycle=dict(type="dict", options=LIFECYCLE_OPTIONS),
)

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
    """Whether an entry's ``lifecycle`` asks for nothing: left out, null, or a dict of nulls ({}); ``preview`` and
    ``max_expire_percent`` alone ask for no policy either."""
    return value is None or (
        isinstance(value, dict) and all(v is None for k, v in value.items() if k not in LIFECYCLE_CHECK_OPTIONS)
    )


def _spec_errors(label, errors):
    messages = []
    for error in errors:
        text = str(error)
        if type(error).__name__ == "UnsupportedError":
            text = f"unsupported option(s) {text}"
        messages.append(located(label, text))
    return messages


def _access_request(params, name, registry_id, allow_public, partition="aws"):
    """None (the policy is left alone), or {desired, state, purge_statements, owner} for
    ``converge_repository_policy``.

    Grants given as empty lists only (and no ``policy``) mean nobody is granted anything: the grants'
    statements go, which is ecr_policy's state=absent (the whole policy with ``purge_statements``; the
    owner's statements only without).
    The document's size is checked here, before any AWS call: a new repository's policy is the request alone,
    so one over ECR's limit is refused before its CreateRepository (with purge_statements=false the statements
    already in force add to it; the converger checks that total before the repository's first write).
    """
    given = [option for option in GRANT_OPTIONS if params.get(option) is not None]
    purge = params.get("purge_statements")
    purge = True if purge is None else bool(purge)
    if params.get("policy") is None and not given:
        if params.get("owner") is not None:
            policy_request.validate_owner(params.get("owner"))
        return None
    state = "present"
    if params.get("policy") is None and not any(params[option] for option in given):
        state = "absent"
    request = policy_request.validate_params(
        dict(
            {option: params.get(option) for option in ACCESS_OPTIONS},
            **({option: None for option in GRANT_OPTIONS} if state == "absent" else {}),
            scope="repository",
            state=state,
            repository=name,
            registry_id=registry_id,
            purge_statements=purge,
            allow_public=allow_public,
            owner=params.get("owner"),
        )
    )
    if state == "present":
        policy_request.check_fits(None, request["desired"], purge, "present", partition, request["owner"])
    return {"desired": request["desired"], "state": state, "purge_statements": purge, "owner": request["owner"]}


def _lifecycle_request(raw, params, features, cache=None):
    """None (left alone), or {document, preview, max_expire_percent}: the validated policy to set (None to remove
    it) and how it is checked (``_converge.lifecycle.check_lifecycle``).

    ``cache`` (a dict shared by the entries of one request) keeps the documents already validated: a
    fleet usually gives most repositories the same lifecycle, and jsonschema is the costly part.
    """
    if _is_unset(raw):
        return None
    wanted = params.get("lifecycle") or {}
    checks = {
        "preview": bool(wanted.get("preview")),
        "max_expire_percent": validate_max_expire_percent(wanted.get("max_expire_percent")),
    }
    wanted = {key: value for key, value in wanted.items() if key not in LIFECYCLE_CHECK_OPTIONS}
    key = None if cache is None else ("lifecycle", json.dumps(wanted, sort_keys=True, default=str))
    return dict(checks, document=_cached(cache, key, lambda: lifecycle_request.desired_document(wanted, features)))


def _shown(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}..."


def _cached(cache, key, make):
    """``make()`` once per ``key`` of ``cache`` (a dict shared by the entries of one request), each caller getting its
    own copy as plain data, so that no two requests share a part; ``key`` None: ``make()``, not cached. What
    ``make`` raises is not cached: every entry that would raise it raises it, naming itself."""
    if key is None:
        return make()
    if key not in cache:
        cache[key] = make()
    return plain_copy(cache[key])


def _shape(entry, cache):
    """The entry without its name as a cache key (JSON text), when ``cache`` is given and the name is a string;
    else None. Entries of one shape differ only in their name: a fleet's usual entries."""
    if cache is None or not isinstance(entry.get("name"), str):
        return None
    try:
        return json.dumps({k: v for k, v in entry.items() if k != "name"}, sort_keys=True)
    except (TypeError, ValueError):
        return None


def _checked_options(entry, label, cache=None, shape=None):
    """The entry's options checked against ``ENTRY_OPTIONS`` (types converted, defaults filled), or BulkError.

    ``cache`` (a dict shared by the entries of one request) and ``shape`` (``_shape``): entries that differ only in
    their name are checked once; the name is a string, which the check keeps as it is."""

    def check():
        checked = ArgumentSpecValidator(ENTRY_OPTIONS).validate(copy.deepcopy(entry))
        if checked.error_messages:
            raise BulkError(message="; ".join(_spec_errors(label, checked.errors)), option="repositories")
        return checked.validated_parameters

    if shape is None:
        return check()
    return dict(_cached(cache, ("options", shape), check), name=entry["name"])


def validate_entry(index, entry, registry_id=None, allow_public=False, features=None, cache=None, partition="aws"):
    """Check one entry; return its request, or raise BulkError whose message names the entry.

    A non-dict entry (the module and the role take the list's elements as they come, so that this message can
    name the entry's index) is refused with the index and the shape to give.

    The request: index, label, name, state, ``repository`` (``repository.validate_params``), ``access``
    (None: left alone) and ``lifecycle`` (None: left alone).
    """
    label = entry_label(index, entry.get("name") if isinstance(entry, dict) else None)
    if not isinstance(entry, dict):
        raise BulkError(
            message=(
                f"{label}: give a dict with at least name, for example {{name: team/app}} (a list item of "
                f"'key: value' lines), not the {type(entry).__name__} {_shown(entry)}"
            ),
            option="repositories",
        )
    shape = _shape(entry, cache)
    params = _checked_options(entry, label, cache, shape)
    section = None
    try:
        desired = repository_request.validate_params(dict(params, registry_id=registry_id))
        # The access request does not depend on the name (checked above): one per shape of entry.
        access = _cached(
            cache,
            None if shape is None else ("access", shape, registry_id, allow_public, partition),
            lambda: _access_request(params, desired["name"], registry_id, allow_public, partition),
        )
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


def validate_params(params, features=None, partition="aws"):
    """Check the whole request before any AWS call; return the requests, one per entry, in input order.

    ``params``: ``repositories`` (list of entries), ``registry_id``, ``allow_public``. ``features``: what
    the installed botocore supports for lifecycle policies (``lifecycle.supported_features``); None (the
    module's way) checks none here: writing needs none, and the evaluation checks what it needs. ``partition``
    the client's (account root ARNs in policies, which count in the policy's size).
    Raises BulkError naming every invalid entry (up to MAX_MESSAGES in the message), or the option.
    """
    registry_id = validate_registry_id(params.get("registry_id"))
    entries = params.get("repositories")
    if not isinstance(entries, (list, tuple)):
        raise BulkError(message="repositories: give a list of repositories (dicts with name)", option="repositories")
    allow_public = bool(params.get("allow_public"))
    requests, messages, seen, cache = [], [], {}, {}
    for index, entry in enumerate(entries):
        try:
            request = validate_entry(index, entry, registry_id, allow_public, features, cache, partition)
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


def request_warnings(requests):
    """The grants' warnings (unscoped service grants), one per distinct warning, naming up to five entries."""
    by_message = {}
    for request in requests:
        access = request.get("access") or {}
        if policy_request.classify_desired(access.get("desired"))[0] != "grants":
            continue
        for message in grant_warnings(access["desired"]):
            by_message.setdefault(message, []).append(request["label"])
    warnings = []
    for message, labels in by_message.items():
        named = ", ".join(labels[:5]) + (f" and {len(labels) - 5} more" if len(labels) > 5 else "")
        warnings.append(f"{named}: {message}")
    return warnings


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


# What an entry keeps when O(unchanged_details=false) leaves out the details of a repository that did not change.
BRIEF_KEYS = ("name", "state", "changed", "action")


def brief_unchanged(results):
    """The results with each entry of a repository that did not change reduced to ``BRIEF_KEYS``. An entry that
    changed, failed, warned or holds a lifecycle preview (asked for, or computed by the guard) keeps everything:
    what is left out is only what the run found already in place."""
    return [
        result if _keeps_details(result) else {key: result[key] for key in BRIEF_KEYS if key in result}
        for result in results
    ]


def _keeps_details(result):
    return (
        bool(result.get("changed") or result.get("failed") or result.get("warnings")) or "lifecycle_preview" in result
    )


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
