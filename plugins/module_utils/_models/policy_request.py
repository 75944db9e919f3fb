# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""An ``ecr_policy`` request, pure: its validation, and the document that should be in force.

``validate_params`` checks a request before any AWS call; ``desired_document`` merges the request with the
current document (``purge_statements=False`` keeps statements the request does not own).
"""

import copy
import json

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
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_document import (
    DEFAULT_VERSION,
    parse_document,
    policy_text,
    same_statement,
    statements_of,
    validate_document,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_grants import (
    GRANT_SIDS,
    grants_to_statements,
    is_grant_sid,
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


def desired_document(current, desired=None, purge_statements=True, state="present", partition="aws", resource=None):
    """The document that should be in force (None: no policy), from the current one and the request.

    ``desired`` is a validated document, validated grants, or None. The statements the request owns
    are the document's Sids, or ``GRANT_SIDS`` for grants (and for state=absent without a request).
    - state=present, ``purge_statements``: exactly the request's statements (and, for a document, its
      Version and Id; grants get Version 2012-10-17; a document without Version gets 2012-10-17).
    - state=present, not ``purge_statements``: the current statements the request does not own (by
      Sid; statements equal to one of the request's are dropped, not doubled), then the request's.
    - state=absent, ``purge_statements``: None.
    - state=absent, not ``purge_statements``: the current statements the request does not own;
      None when nothing remains.
    """
    kind, value = classify_desired(desired)
    if kind == "grants":
        ours = grants_to_statements(value, partition, resource)
        owned = set(GRANT_SIDS)
        top = {"Version": DEFAULT_VERSION}
    elif kind == "policy":
        ours = copy.deepcopy(statements_of(value))
        owned = {s.get("Sid") for s in ours if isinstance(s, dict) and s.get("Sid")}
        top = {k: copy.deepcopy(v) for k, v in value.items() if k != "Statement"}
        top.setdefault("Version", DEFAULT_VERSION)
    else:
        ours, owned, top = [], set(GRANT_SIDS), {"Version": DEFAULT_VERSION}
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
        if not (isinstance(s, dict) and _owned(s.get("Sid"), owned)) and not any(same_statement(s, o) for o in ours)
    ]
    statements = kept + ours
    if not statements:
        return None
    if current:
        top = {k: copy.deepcopy(v) for k, v in current.items() if k != "Statement"}
    return dict(top, Statement=statements)


def _owned(sid, owned):
    """Whether the request owns a Sid: one of ``owned``, or, where grants own, any grant Sid (a scoped service
    grant removed from the request is still ours to remove)."""
    return sid in owned or (set(GRANT_SIDS) <= owned and is_grant_sid(sid))


def request_option(desired):
    return "pull" if classify_desired(desired)[0] == "grants" else "policy"


def check_fits(current, desired=None, purge_statements=True, state="present", partition="aws"):
    """Raise PolicyError when the document that should be in force would exceed ECR's size limit.

    What ``desired_document`` and ``policy_text`` decide at write time, done early by a caller that writes
    something else first (a bulk entry's repository settings, a new repository): with ``current=None`` it is the
    size of the request alone (with purge_statements=false a lower bound: the statements others wrote add to it).
    """
    target = desired_document(current, desired, purge_statements, state, partition)
    if target is not None:
        policy_text(target, request_option(desired))


def validate_params(params):
    """Check an ecr_policy request before any AWS call; return it normalised.

    Returns a dict with scope, state, repository, registry_id, desired (document, grants or None),
    purge_statements. Raises PolicyError naming the option and the fix.
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
    }
