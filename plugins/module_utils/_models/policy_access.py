# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Who may do what under a policy document, pure: the access model, its comparison and how it is shown.

A document's access is the set of tuples ``(effect, principal, action, resource, condition)`` its statements
expand into, one per principal, action and resource they name. Two documents with the same set grant the same
access, whatever their Sids, statement order, split or merge of statements, single values or lists, account IDs
or account root ARNs, the case of action names and condition keys, and ``Version`` (which only changes how
policy variables such as ``${aws:username}`` are read, so it counts only in documents that use one).

The comparison is sound, not complete: equal sets always grant the same; a few equivalent documents still
differ (``ecr:*`` against the full list of ECR actions, a Resource against the repository's ARN), and then the
document is written once more, which is harmless. A ``NotPrincipal``, ``NotAction`` or ``NotResource`` stays
one element (everyone but these), and a Condition stays with each of its statement's tuples.
"""

import json

from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import PolicyError
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_document import (
    ROOT_ARN_RE,
    as_list,
    parse_document,
    render_principal,
    statements_of,
)

NO_RESOURCE = ""  # a statement without Resource: the resource the policy is attached to
# How IAM reads a document without Version: policy variables are plain text there.
IMPLIED_VERSION = "2008-10-17"
_VARIABLE = "${"


def _document(document):
    """The document as a dict, None for no policy, or the text itself when it is not JSON (compared as text)."""
    if isinstance(document, (str, bytes, bytearray)):
        try:
            return parse_document(document)
        except PolicyError:  # not a JSON object: compared as it is
            return document
    return document or None


def _text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def _aws_principal(value):
    """An account root ARN (any partition) as its account ID, so the two forms ECR accepts compare equal."""
    value = _text(value)
    match = ROOT_ARN_RE.fullmatch(value)
    return match.group("account") if match else value


def _principal_tokens(principal):
    if principal == "*":
        return [("AWS", "*")]
    if not isinstance(principal, dict):
        return [("?", _text(principal))]
    tokens = []
    for kind, values in principal.items():
        for value in as_list(values):
            tokens.append((kind, _aws_principal(value) if kind == "AWS" else _text(value)))
    return tokens


def _principals(statement):
    if "NotPrincipal" in statement:
        return [("NotPrincipal", frozenset(_principal_tokens(statement["NotPrincipal"])))]
    return _principal_tokens(statement.get("Principal"))


def _actions(statement):
    if "NotAction" in statement:
        return [("NotAction", frozenset(_text(a).lower() for a in as_list(statement["NotAction"])))]
    return [_text(a).lower() for a in as_list(statement.get("Action"))]


def _resources(statement):
    if "NotResource" in statement:
        return [("NotResource", frozenset(_text(r) for r in as_list(statement["NotResource"])))]
    if "Resource" not in statement:
        return [NO_RESOURCE]
    return [_text(r) for r in as_list(statement["Resource"])]


def _condition(statement):
    condition = statement.get("Condition") or {}
    if not isinstance(condition, dict):
        return frozenset([("?", _text(condition), frozenset())])
    entries = []
    for operator, keys in condition.items():
        if not isinstance(keys, dict):
            entries.append((operator, "?", frozenset([_text(keys)])))
            continue
        for key, values in keys.items():
            entries.append((operator, key.lower(), frozenset(_text(v) for v in as_list(values))))
    return frozenset(entries)


def statement_access(statement):
    """The access tuples of one statement (an empty set for what is not a statement)."""
    if not isinstance(statement, dict):
        return frozenset()
    effect = statement.get("Effect")
    condition = _condition(statement)
    return frozenset(
        (effect, principal, action, resource, condition)
        for principal in _principals(statement)
        for action in _actions(statement)
        for resource in _resources(statement)
    )


def access_of(document):
    """The access a document grants or denies: a frozenset of tuples; None for text that is not JSON."""
    document = _document(document)
    if isinstance(document, (str, bytes, bytearray)):
        return None
    access = set()
    for statement in statements_of(document):
        access |= statement_access(statement)
    return frozenset(access)


def _uses_variables(document):
    return isinstance(document, dict) and _VARIABLE in json.dumps(document.get("Statement"))


def same_access(a, b):
    """Whether two documents (dicts, JSON text, or None/{} for no policy) grant and deny exactly the same."""
    a, b = _document(a), _document(b)
    access_a, access_b = access_of(a), access_of(b)
    if access_a is None or access_b is None:
        return a == b
    if access_a != access_b:
        return False
    if _uses_variables(a) or _uses_variables(b):
        return (a or {}).get("Version", IMPLIED_VERSION) == (b or {}).get("Version", IMPLIED_VERSION)
    return True


# ---------------------------------------------------------------------------------------------
# How access is shown (diff, warnings)
# ---------------------------------------------------------------------------------------------


def _spellings(document):
    """The first spelling of each action and condition key in the document, by lower case (for display)."""
    spelled = {}
    for statement in statements_of(document):
        if not isinstance(statement, dict):
            continue
        for key in ("Action", "NotAction"):
            for action in as_list(statement.get(key)):
                spelled.setdefault(_text(action).lower(), _text(action))
        condition = statement.get("Condition")
        if isinstance(condition, dict):
            for keys in condition.values():
                if isinstance(keys, dict):
                    for key in keys:
                        spelled.setdefault(key.lower(), key)
    return spelled


def _principal_label(token, partition):
    kind, value = token
    if kind == "NotPrincipal":
        return "everyone except " + ", ".join(sorted(_principal_label(t, partition) for t in value))
    if kind == "AWS":
        return render_principal(value, partition)
    return f"{kind}:{value}"


def _condition_shown(condition, spelled):
    shown = {}
    for operator, key, values in sorted(condition, key=lambda e: (e[0], e[1])):
        shown.setdefault(operator, {})[spelled.get(key, key)] = sorted(values)
    return shown


def _action_shown(action, spelled):
    if isinstance(action, tuple):
        return "all but " + ", ".join(sorted(spelled.get(a, a) for a in action[1]))
    return spelled.get(action, action)


def _resource_shown(resource):
    if isinstance(resource, tuple):
        return "all but " + ", ".join(sorted(resource[1]))
    return resource


def _grouped(access, spelled, partition):
    """{principal: [{effect, actions, resource?, condition?}]}: the tuples grouped, sorted, readable."""
    groups = {}
    for effect, principal, action, resource, condition in access:
        condition_shown = _condition_shown(condition, spelled)
        key = json.dumps(
            [_principal_label(principal, partition), effect, _resource_shown(resource), condition_shown], sort_keys=True
        )
        groups.setdefault(key, set()).add(_action_shown(action, spelled))
    shown = {}
    for key in sorted(groups):
        principal, effect, resource, condition = json.loads(key)
        entry = {"effect": effect, "actions": sorted(groups[key])}
        if resource:
            entry["resource"] = resource
        if condition:
            entry["condition"] = condition
        shown.setdefault(principal, []).append(entry)
    return shown


def access_view(document, partition="aws"):
    """What the diff shows of a document: who may do what, not how it is written; {} for no policy.

    ``access``: per principal (account root ARNs, role ARNs, ``*``, ``Service:codebuild.amazonaws.com``), the
    effect, actions and, when there are any, the resource and the condition. ``sids``: the statements' Sids,
    which say whose statements these are when several owners share the policy.
    """
    document = _document(document)
    if not document:
        return {}
    if not isinstance(document, dict):
        return {"text": document}
    spelled = _spellings(document)
    sids = sorted(
        s.get("Sid") or "(no Sid)" if isinstance(s, dict) else "(not a statement)" for s in statements_of(document)
    )
    return {"access": _grouped(access_of(document), spelled, partition), "sids": sids}


def describe_access(access, document=None, partition="aws"):
    """Access tuples in one line: ``arn:aws:iam::111122223333:root: Allow ecr:BatchGetImage; ...``."""
    spelled = _spellings(document) if isinstance(document, dict) else {}
    parts = []
    for principal, entries in _grouped(access, spelled, partition).items():
        for entry in entries:
            text = f"{principal}: {entry['effect']} {', '.join(entry['actions'])}"
            if entry.get("resource"):
                text += f" on {entry['resource']}"
            if entry.get("condition"):
                text += f" if {json.dumps(entry['condition'], sort_keys=True)}"
            parts.append(text)
    return "; ".join(parts)
