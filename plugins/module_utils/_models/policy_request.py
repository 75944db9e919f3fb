# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""An ``ecr_policy`` request, pure: its validation, and the document that should be in force.

``validate_params`` checks a request before any AWS call; ``desired_document`` merges the request with the
current document (``purge_statements=False`` keeps statements the request does not own); ``plan`` says whether
that changes anyone's access and names the statements of others it would remove.

Ownership: grants write one statement per kind with the Sid ``GRANT_SIDS`` + ``owner`` (``DockyardPullTeamA``),
so several owners share a policy, each adding, changing and removing only its own statements; a whole document
owns the Sids of its statements.
"""

import copy
import json
import re

from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import PolicyError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.options import (
    GRANT_FLAGS,
    GRANT_OPTIONS,
    SCOPES,
    STATES,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import (
    validate_name,
    validate_registry_id,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_access import (
    access_of,
    describe_access,
    same_access,
    statement_access,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_document import (
    DEFAULT_VERSION,
    as_list,
    parse_document,
    policies_differ,
    policy_text,
    same_statement,
    statements_of,
    validate_document,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_grants import (
    GRANT_SIDS,
    SID_SERVICE_PULL,
    grants_to_statements,
    service_sid,
    validate_grants,
)


def classify_desired(desired):
    """("policy", document) or ("grants", grants) or (None, None) for what converge_* accept."""
    if desired is None:
        return None, None
    if isinstance(desired, str):
        return "policy", parse_document(desired)
    if isinstance(desired, dict):
        if "Statement" in desired:
            return "policy", desired
        if set(desired) <= set(GRANT_OPTIONS) | set(GRANT_FLAGS):
            return "grants", desired
    raise PolicyError(
        message=(
            "policy: expected a policy document (with Statement) or grants (pull, push, services, organizations), "
            f"got {json.dumps(desired)[:200]}"
        ),
        option="policy",
    )


# An owner becomes part of Sids, which take ASCII letters and digits only (IAM's rule for Sid). 64 keeps the
# longest Sid (DockyardServicePull + owner) short beside ECR's 10240-character policy limit.
OWNER_RE = re.compile(r"[A-Za-z0-9]{1,64}")


def validate_owner(owner, option="owner"):
    """The owner (None when not given) checked: 1 to 64 ASCII letters and digits, as it becomes part of Sids."""
    if owner is None:
        return None
    owner = str(owner)
    if OWNER_RE.fullmatch(owner):
        return owner
    suggestion = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", owner) if part)[:64]
    hint = f" (for example {suggestion})" if suggestion and suggestion != owner else " (for example TeamA)"
    raise PolicyError(
        message=(
            f"{option}: {owner!r} cannot be part of a statement ID; give 1 to 64 ASCII letters and digits{hint}. "
            "The grants' statements get Sids such as DockyardPull<owner>, and a Sid takes only A-Z, a-z and 0-9"
        ),
        option=option,
    )


def grant_sids(owner=None):
    """The Sids grants write for this owner (``DockyardPull``... without one)."""
    return {sid + (owner or "") for sid in GRANT_SIDS}


def _ours(desired, partition, owner, resource=None):
    """(the request's statements, the Sids it owns, the document's top-level keys, the grants' owner).

    The grants' owner is ``owner`` ("" without one) for grants and for a request without any (state=absent),
    None for a whole document: ``owns`` then also claims that owner's scoped service statements.
    """
    kind, value = classify_desired(desired)
    if kind == "grants":
        ours = grants_to_statements(value, partition, resource)
        for statement in ours:
            statement["Sid"] = statement["Sid"] + (owner or "")
        owned = grant_sids(owner) | {s["Sid"] for s in ours}
        return ours, owned, {"Version": DEFAULT_VERSION}, owner or ""
    if kind == "policy":
        ours = copy.deepcopy(statements_of(value))
        owned = {s.get("Sid") for s in ours if isinstance(s, dict) and s.get("Sid")}
        top = {k: copy.deepcopy(v) for k, v in value.items() if k != "Statement"}
        top.setdefault("Version", DEFAULT_VERSION)
        return ours, owned, top, None
    return [], grant_sids(owner), {"Version": DEFAULT_VERSION}, owner or ""


def owned_sids(desired=None, owner=None, partition="aws"):
    """The Sids a request owns: its grants' (for its owner), or the Sids of its document's statements.

    Grants also own the scoped service statements of their owner that they no longer list (see ``owns``).
    """
    return _ours(desired, partition, owner)[1]


def desired_document(
    current, desired=None, purge_statements=True, state="present", partition="aws", owner=None, resource=None
):
    """The document that should be in force (None: no policy), from the current one and the request.

    ``desired`` is a validated document, validated grants, or None. The statements the request owns
    are the document's Sids, or the grants' Sids (``GRANT_SIDS``, or ``service_sid`` for a scoped service,
    followed by ``owner``; also for state=absent without a request; see ``owns``). ``resource`` (registry-wide
    grants) is every grant statement's Resource.
    - state=present, ``purge_statements``: exactly the request's statements (and, for a document, its
      Version and Id; grants get Version 2012-10-17; a document without Version gets 2012-10-17).
    - state=present, not ``purge_statements``: the current statements the request does not own (by
      Sid; statements equal to one of the request's are dropped, not doubled), then the request's.
    - state=absent, ``purge_statements``: None.
    - state=absent, not ``purge_statements``: the current statements the request does not own;
      None when nothing remains.
    """
    ours, owned, top, grant_owner = _ours(desired, partition, owner, resource)
    if state == "present" and not ours:
        # Never read "nothing asked for" as "delete the policy": that is state=absent.
        raise PolicyError(
            message=(
                "policy: state=present needs a document with statements or grants that grant something; "
                "use state=absent to remove the policy"
            ),
            option="policy",
        )

    if state == "absent":
        ours = []
        if purge_statements:
            return None
    if purge_statements:
        return dict(top, Statement=ours) if ours else None

    current = current if isinstance(current, dict) else None
    kept = [
        copy.deepcopy(s)
        for s in statements_of(current)
        if not owns(s, owned, grant_owner) and not any(same_statement(s, o) for o in ours)
    ]
    statements = kept + ours
    if not statements:
        return None
    if current:
        top = {k: copy.deepcopy(v) for k, v in current.items() if k != "Statement"}
    return dict(top, Statement=statements)


def owns(statement, owned, grant_owner=None):
    """Whether a statement is the request's: its Sid is one the request owns (``owned_sids``).

    For grants (``grant_owner``: their owner, "" without one) also a scoped service grant of that owner which the
    request no longer lists, so it is still the request's to remove: a single ``Service`` principal S and the Sid
    ``service_sid(S)`` followed by the owner. A task without owner so never claims another owner's statements.
    """
    if not isinstance(statement, dict):
        return False
    sid = statement.get("Sid")
    if sid in owned:
        return True
    if grant_owner is None or not isinstance(sid, str) or not sid.startswith(SID_SERVICE_PULL):
        return False
    principal = statement.get("Principal")
    if not isinstance(principal, dict) or set(principal) != {"Service"}:
        return False
    services = as_list(principal["Service"])
    return len(services) == 1 and isinstance(services[0], str) and sid == service_sid(services[0]) + grant_owner


def _statement_name(statement, index):
    sid = statement.get("Sid") if isinstance(statement, dict) else None
    if sid:
        return f"statement {sid!r}"
    return f"statement {index} (no Sid)"


def foreign_removals(current, target, owned, partition="aws", grant_owner=None):
    """One message per statement of ``current`` that is gone from ``target`` and is not the request's (``owns``).

    Each names the statement (its Sid, or its position) and says whose access goes with it, or that the
    remaining statements still grant it.
    """
    if not isinstance(current, dict):
        return []
    kept = statements_of(target) if isinstance(target, dict) else []
    remaining = (access_of(target) or frozenset()) if isinstance(target, dict) else frozenset()
    messages = []
    for index, statement in enumerate(statements_of(current)):
        if owns(statement, owned, grant_owner):
            continue
        if any(same_statement(statement, other) for other in kept):
            continue
        lost = statement_access(statement) - remaining
        if lost:
            what = f"access removed: {describe_access(lost, current, partition)}"
        else:
            what = "the access it granted stays (the new statements grant it)"
        gone = "removed" if target else "deleted with the policy"
        messages.append(
            f"{_statement_name(statement, index)} was not written by this task and is {gone} "
            f"(purge_statements=true); {what}. Set purge_statements=false to keep the statements of others"
        )
    return messages


def plan(current, desired=None, purge_statements=True, state="present", partition="aws", owner=None, resource=None):
    """What a request does to the current document: {target, changed, warnings}.

    ``target`` is ``desired_document``'s. With ``purge_statements`` the request owns the whole policy and a
    change is a change of access (``same_access``: Sids, Version, statement split and formatting do not count),
    and every statement of others it removes is named in ``warnings``. Without, ownership is by Sid, so the
    request's statements must be there as written (``policies_differ``).
    """
    target = desired_document(current, desired, purge_statements, state, partition, owner, resource)
    if purge_statements:
        changed = not same_access(current, target)
    else:
        changed = policies_differ(current, target)
    warnings = []
    if changed and purge_statements:
        owned, grant_owner = _ours(desired, partition, owner, resource)[1::2]
        warnings = foreign_removals(current, target, owned, partition, grant_owner)
    return {"target": target, "changed": changed, "warnings": warnings}


def request_option(desired):
    return "pull" if classify_desired(desired)[0] == "grants" else "policy"


def check_fits(current, desired=None, purge_statements=True, state="present", partition="aws", owner=None):
    """Raise PolicyError when the document that should be in force would exceed ECR's size limit.

    What ``desired_document`` and ``policy_text`` decide at write time, done early by a caller that writes
    something else first (a bulk entry's repository settings, a new repository): with ``current=None`` it is the
    size of the request alone (with purge_statements=false a lower bound: the statements others wrote add to it).
    """
    target = desired_document(current, desired, purge_statements, state, partition, owner)
    if target is not None:
        policy_text(target, request_option(desired))


def validate_params(params):
    """Check an ecr_policy request before any AWS call; return it normalised.

    Returns a dict with scope, state, repository, registry_id, desired (document, grants or None),
    purge_statements, allow_public and owner. Raises PolicyError naming the option and the fix.
    """
    scope = params.get("scope") or "repository"
    if scope not in SCOPES:
        raise PolicyError(message=f"scope: {scope!r} is not one of {', '.join(SCOPES)}", option="scope")
    state = params.get("state") or "present"
    if state not in STATES:
        raise PolicyError(message=f"state: {state!r} is not one of {', '.join(STATES)}", option="state")
    allow_public = bool(params.get("allow_public"))
    purge = params.get("purge_statements")
    purge = True if purge is None else bool(purge)
    grants_given = [name for name in GRANT_OPTIONS if params.get(name) is not None]
    owner = validate_owner(params.get("owner"))
    policy = params.get("policy")
    if isinstance(policy, str) and not policy.strip():
        raise PolicyError(message="policy: empty; give a policy document, or leave policy out", option="policy")

    if scope == "registry":
        if params.get("repository") is not None:
            raise PolicyError(
                message=(
                    "repository: scope=registry manages the registry's own policy, which has no repository; leave "
                    "repository out, or use scope=repository for a repository's policy"
                ),
                option="repository",
            )
        if params.get("services"):
            raise PolicyError(
                message=(
                    "services: service grants are per repository (scope=repository); a registry policy takes "
                    "registry-wide pull, push and organizations grants (on the V2 registry policy scope)"
                ),
                option="services",
            )
        repository = None
    else:
        if params.get("repository") is None:
            raise PolicyError(
                message=(
                    "repository: required with scope=repository (the default); give the repository's name, or "
                    "scope=registry for the registry policy"
                ),
                option="repository",
            )
        repository = validate_name(params.get("repository"), option="repository")

    if policy is not None and grants_given:
        raise PolicyError(
            message=(
                f"policy: give either a whole document in policy or grants ({', '.join(grants_given)}), not both; "
                "put the grants' statements into the document, or leave policy out"
            ),
            option="policy",
        )
    if owner is not None and policy is not None:
        raise PolicyError(
            message=(
                "owner: names the statements the grants (pull, push, services, organizations) write, such as "
                f"DockyardPull{owner}; a whole document owns the Sids of its own statements, so give each statement "
                "a Sid of yours and leave owner out"
            ),
            option="owner",
        )
    if policy is not None and params.get("pull_through_cache"):
        raise PolicyError(
            message=(
                "pull_through_cache: adds ecr:BatchImportUpstreamImage to grants; with a whole document in policy, "
                "list the action in the document's statements instead"
            ),
            option="pull_through_cache",
        )
    if policy is not None:
        desired = validate_document(policy, allow_public=allow_public, scope=scope)
    elif grants_given:
        desired = validate_grants(
            {name: params.get(name) for name in GRANT_OPTIONS + GRANT_FLAGS}, allow_public=allow_public
        )
    else:
        desired = None
    if state == "present" and desired is None:
        what = (
            "a document in policy or grants (pull, push, organizations)"
            if scope == "registry"
            else "a document in policy or grants (pull, push, services, organizations)"
        )
        raise PolicyError(
            message=f"policy: state=present needs {what}; use state=absent to remove the policy",
            option="policy",
        )
    return {
        "scope": scope,
        "state": state,
        "repository": repository,
        "registry_id": validate_registry_id(params.get("registry_id")),
        "desired": desired,
        "purge_statements": purge,
        "allow_public": allow_public,
        "owner": owner,
    }
