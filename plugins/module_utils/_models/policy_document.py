# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Policy documents (a repository's, the registry's), pure: parse, validate, normalise, compare, serialise.

Documents are compared semantically: statement order, list order, a single value against a one-item
list, an account ID against the ``arn:PARTITION:iam::ID:root`` ECR stores it as, and ``Version`` make no
difference. ``normalize`` gives the canonical form (what the diff shows); ``policies_differ`` compares two
documents with amazon.aws's ``compare_policies`` after that normalisation.
"""

import copy
import json
import re

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.dockyard.ecr.plugins.module_utils._common import lazy_imports
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import PolicyError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import ACCOUNT_ID_RE

# jsonschema is imported when a document is validated (lazy_imports), not with this module.
HAS_JSONSCHEMA = lazy_imports.available("jsonschema")

# The only actions ECR enforces in a registry policy (replication, pull through cache); ECR refuses
# a registry policy with others ("Invalid registry policy provided"). ecr:* is accepted too.
REGISTRY_ACTIONS = ("ecr:BatchImportUpstreamImage", "ecr:CreateRepository", "ecr:ReplicateImage")

DEFAULT_VERSION = "2012-10-17"
VERSIONS = ("2008-10-17", "2012-10-17")
POLICY_TEXT_MAX = 10240  # RepositoryPolicyText / RegistryPolicyText in the ECR API

# An AWS service principal (codebuild.amazonaws.com; amazonaws.com.cn in China).
SERVICE_PRINCIPAL_RE = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+amazonaws\.com(?:\.cn)?")
ROOT_ARN_RE = re.compile(r"arn:(?P<partition>aws(?:-[a-z]+)*):iam::(?P<account>[0-9]{12}):root")


def as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def statements_of(document):
    """The document's statements as a list (``Statement`` may be a single object)."""
    if not isinstance(document, dict):
        return []
    return [s for s in as_list(document.get("Statement")) if s is not None]


def _path(option, parts):
    text = option
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def root_arn(account_id, partition="aws"):
    """``arn:PARTITION:iam::ACCOUNT:root``, the form ECR stores an account principal in."""
    return f"arn:{partition}:iam::{account_id}:root"


def parse_document(document, option="policy"):
    """A policy document as a dict from a dict or a JSON string; None/'' give None."""
    if document is None:
        return None
    if isinstance(document, (bytes, bytearray)):
        document = document.decode("utf-8")
    if isinstance(document, str):
        if not document.strip():
            return None
        try:
            document = json.loads(document)
        except ValueError as e:
            raise PolicyError(
                message=f"{option}: not valid JSON ({e}); give the document as a dict or as a JSON string",
                option=option,
            ) from e
    if not isinstance(document, dict):
        raise PolicyError(
            message=(
                f"{option}: a policy document is a JSON object with Version and Statement, "
                f"not {type(document).__name__}"
            ),
            option=option,
        )
    return copy.deepcopy(document)


_NON_EMPTY_STRING = {"type": "string", "minLength": 1}


def _list_of(item_schema=None):
    return {"type": "array", "minItems": 1, "items": item_schema or _NON_EMPTY_STRING}


# The schema describes documents in the list form ``_listified`` gives (a single Statement, action,
# principal... as a one-item list; Principal "*" as {"AWS": ["*"]}), so every error points at one
# element instead of "not valid under any of the given schemas".
_AWS_PRINCIPAL = {
    "type": "string",
    # *, an account ID, an IAM/STS principal ARN, or the unique ID (AIDA…/AROA…) ECR shows for a
    # principal that was deleted.
    "pattern": r"^(\*|[0-9]{12}|arn:aws(-[a-z]+)*:(iam|sts)::[0-9]{12}:.+|A[A-Z0-9]{15,127})$",
}
_SERVICE_PRINCIPAL = {"type": "string", "pattern": f"^{SERVICE_PRINCIPAL_RE.pattern}$"}
_PRINCIPAL = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": False,
    "properties": {
        "AWS": _list_of(_AWS_PRINCIPAL),
        "Service": _list_of(_SERVICE_PRINCIPAL),
        "Federated": _list_of(),
        "CanonicalUser": _list_of(),
    },
}
_ACTION = {"type": "string", "pattern": r"^(\*|[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+)$"}
_CONDITION_VALUE = {"type": ["string", "boolean", "number"]}

POLICY_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["Statement"],
    "additionalProperties": False,
    "properties": {
        "Version": {"enum": list(VERSIONS)},
        "Id": {"type": "string"},
        "Statement": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/statement"}},
    },
    "definitions": {
        "statement": {
            "type": "object",
            "required": ["Effect"],
            "additionalProperties": False,
            "properties": {
                "Sid": {"type": "string"},
                "Effect": {"enum": ["Allow", "Deny"]},
                "Principal": _PRINCIPAL,
                "NotPrincipal": _PRINCIPAL,
                "Action": _list_of(_ACTION),
                "NotAction": _list_of(_ACTION),
                "Resource": _list_of(),
                "NotResource": _list_of(),
                "Condition": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "minProperties": 1,
                        "additionalProperties": {"type": "array", "items": _CONDITION_VALUE},
                    },
                },
            },
        }
    },
}

_SCHEMA_HINTS = {
    "Effect": "use Allow or Deny",
    "Version": "use 2012-10-17 (or leave Version out)",
    "AWS": "give 12-digit account IDs (quoted in YAML), IAM role/user ARNs or account root ARNs",
    "Service": "give service principals such as codebuild.amazonaws.com",
    "Principal": (
        'use "*" or an object with AWS (account IDs, IAM ARNs), Service (for example codebuild.amazonaws.com), '
        "Federated or CanonicalUser"
    ),
    "NotPrincipal": "use an object with AWS, Service, Federated or CanonicalUser",
    "Action": "give actions such as ecr:BatchGetImage (a string or a non-empty list)",
    "NotAction": "give actions such as ecr:BatchGetImage (a string or a non-empty list)",
    "Condition": (
        'use {"OPERATOR": {"KEY": VALUE or [VALUES]}}, '
        'for example {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}'
    ),
    "Statement": "give a non-empty list of statements, each with Effect, Principal and Action",
}


def _listified(document):
    """A copy of the document in the list form POLICY_SCHEMA describes (for validation only)."""
    listed = dict(document)
    if "Statement" in listed and not isinstance(listed["Statement"], list):
        listed["Statement"] = [listed["Statement"]]
    statements = []
    for statement in listed.get("Statement") or []:
        if isinstance(statement, dict):
            statement = dict(statement)
            for key in ("Action", "NotAction", "Resource", "NotResource"):
                if key in statement and not isinstance(statement[key], list):
                    statement[key] = [statement[key]]
            for key in ("Principal", "NotPrincipal"):
                principal = statement.get(key)
                if principal == "*":
                    statement[key] = {"AWS": ["*"]}
                elif isinstance(principal, dict):
                    statement[key] = {k: v if isinstance(v, list) else [v] for k, v in principal.items()}
            condition = statement.get("Condition")
            if isinstance(condition, dict):
                statement["Condition"] = {
                    op: (
                        {k: v if isinstance(v, list) else [v] for k, v in entries.items()}
                        if isinstance(entries, dict)
                        else entries
                    )
                    for op, entries in condition.items()
                }
        statements.append(statement)
    if "Statement" in listed:
        listed["Statement"] = statements
    return listed


def _original_path(document, parts):
    """The error path as the user wrote the document: no [0] where they gave a single value."""
    path, node = [], document
    for part in parts:
        if isinstance(part, int) and not isinstance(node, list):
            continue  # a single value the schema saw as a one-item list
        path.append(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return path


def _schema_error(error, document, option):
    parts = list(error.absolute_path)
    named = parts + (list(error.validator_value) if error.validator == "required" else [])
    hint = next((_SCHEMA_HINTS[p] for p in reversed(named) if isinstance(p, str) and p in _SCHEMA_HINTS), "")
    if error.validator == "additionalProperties":
        if not parts:
            hint = "a policy document takes Version, Id and Statement"
        elif len(parts) == 2 and parts[0] == "Statement":
            hint = (
                "a statement takes Sid, Effect, Principal or NotPrincipal, Action or NotAction, Resource or "
                "NotResource, Condition"
            )
    if error.validator == "pattern":
        detail = f"{error.instance!r} is not valid here"
    else:
        detail = error.message
    message = f"{_path(option, _original_path(document, parts))}: {detail}"
    if hint:
        message += f"; {hint}"
    return PolicyError(message=message, option=option)


def _is_public_principal(principal):
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any("*" in as_list(values) for values in principal.values())
    return False


# The public check reasons as IAM Access Analyzer does: a statement open to everyone (a * principal, or a
# NotPrincipal) is restricted only by a condition on a key that pins who the caller is, or on whose behalf a
# service calls (the keys Access Analyzer reports for such findings), with a fixed value. Keys about the request
# (aws:SecureTransport, aws:SourceIp, aws:CurrentTime, aws:UserAgent...) leave it open to every AWS account.
_ACCOUNT_VALUE_RE = re.compile(r"[0-9]{12}")
_ORG_VALUE_RE = re.compile(r"o-[a-z0-9]{10,32}")
_ORG_PATH_VALUE_RE = re.compile(r"o-[a-z0-9]{10,32}/.*")
_WILDCARDS = ("*", "?")


def _exact(value):
    return bool(value) and not any(w in value for w in _WILDCARDS)


def _pins_account(value):
    return bool(_ACCOUNT_VALUE_RE.fullmatch(value))


def _pins_organization(value):
    return bool(_ORG_VALUE_RE.fullmatch(value))


def _pins_organization_path(value):
    # o-xxxxxxxxxx/r-xxxx/ou-xxxx/* stays within one organisation: a wildcard after the organisation ID is fine
    return bool(_ORG_PATH_VALUE_RE.fullmatch(value))


def _pins_arn(value):
    # an ARN in one account (a wildcard in its resource part is fine), or an exact ARN without an account (S3)
    parts = value.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return False
    return bool(_ACCOUNT_VALUE_RE.fullmatch(parts[4])) or _exact(value)


def _pins_user_id(value):
    # AROAEXAMPLE:session-* stays one role (or user): a wildcard after the unique ID is fine
    return _exact(value.split(":", 1)[0])


PRINCIPAL_CONDITION_KEYS = {
    "aws:principalorgid": _pins_organization,
    "aws:principalorgpaths": _pins_organization_path,
    "aws:principalaccount": _pins_account,
    "aws:principalarn": _pins_arn,
    "aws:sourceaccount": _pins_account,
    "aws:sourceowner": _pins_account,
    "aws:sourcearn": _pins_arn,
    "aws:sourcevpc": _exact,
    "aws:sourcevpce": _exact,
    "aws:userid": _pins_user_id,
}
# Operators that fail when the key is absent and match only the values given. Negated operators (StringNotEquals,
# ArnNotLike...) match everything else, ...IfExists passes when the key is absent, ForAllValues: passes on an
# empty or absent key, Null only asks whether a key is there: none of those restricts.
RESTRICTING_OPERATORS = ("StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike")


def _condition_restriction(operator, key, values):
    """None when ``operator`` on ``key`` with ``values`` pins who the caller is; otherwise why it does not."""
    base = operator.split(":", 1)[1] if operator.startswith("ForAnyValue:") else operator
    check = PRINCIPAL_CONDITION_KEYS.get(str(key).lower())
    if check is None:
        return f"{key} does not say who the caller is"
    if base not in RESTRICTING_OPERATORS:
        if base.endswith("IfExists"):
            return f"{operator} on {key} also passes when the key is absent"
        if operator.startswith("ForAllValues:"):
            return f"{operator} on {key} also passes when the key is absent"
        return f"{operator} on {key} does not limit it to the values given"
    values = [_condition_value(v) for v in as_list(values)]
    if not values:
        return f"{operator} on {key} has no value"
    for value in values:
        if not isinstance(value, str) or "${" in value or not check(value):
            return f"{key} value {value!r} is not one fixed account, organisation, ARN or endpoint"
    return None


def public_statement_reason(statement):
    """None when the statement is not open to everyone; otherwise why it is (for the error message).

    An Allow statement is open to everyone when its principal is ``*`` (``"*"``, ``{"AWS": "*"}``, any ``*``
    in a principal list) or it has a NotPrincipal, unless one of its conditions restricts the caller
    (``_condition_restriction``): conditions are all required, so one restricting condition is enough.
    """
    if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
        return None
    if "NotPrincipal" in statement:
        opening = "a NotPrincipal (everyone except the principals named)"
    elif _is_public_principal(statement.get("Principal")):
        opening = "a * principal"
    else:
        return None
    condition = statement.get("Condition")
    if not isinstance(condition, dict) or not condition:
        return f"{opening} without a Condition"
    reasons = []
    for operator, keys in condition.items():
        if not isinstance(keys, dict):
            continue
        for key, values in keys.items():
            reason = _condition_restriction(operator, key, values)
            if reason is None:
                return None
            reasons.append(reason)
    return f"{opening} whose Condition does not restrict who may call ({'; '.join(reasons) or 'no condition keys'})"


def check_public(document, option="policy"):
    """Raise PolicyError for an Allow statement open to everyone (``public_statement_reason``).

    That is a ``*`` principal or a NotPrincipal in an Allow statement, unless a condition pins the caller to
    fixed accounts, organisations, ARNs or endpoints (``PRINCIPAL_CONDITION_KEYS``) with a restricting
    operator (``RESTRICTING_OPERATORS``, or its ForAnyValue: form).
    """
    for index, statement in enumerate(statements_of(document)):
        reason = public_statement_reason(statement)
        if reason:
            raise PolicyError(
                message=(
                    f"{option}.Statement[{index}]: allows everyone ({reason}), which opens it to every AWS "
                    "account and is what IAM Access Analyzer reports as public. Name the accounts, roles or "
                    "services, or restrict the caller with a condition such as StringEquals on aws:PrincipalOrgID, "
                    "aws:PrincipalAccount or aws:SourceAccount with exact values, or set allow_public=true if that is "
                    "what you want"
                ),
                option=option,
            )


def validate_document(document, allow_public=False, scope="repository", option="policy"):
    """Check a policy document (dict or JSON string) before any AWS call; return it as a dict.

    jsonschema checks the structure (Version, Statement, Effect, Principal, Action, Condition), then:
    each statement has exactly one of Action/NotAction and of Principal/NotPrincipal, Allow statements
    are not public unless ``allow_public``, then ``policy_validation.check_statements`` (ECR actions the
    policy's kind can hold, principal kinds, condition operators and values).
    Raises PolicyError whose message names the element (``policy.Statement[1].Effect``) and the fix.
    """
    document = parse_document(document, option)
    if document is None:
        raise PolicyError(message=f"{option}: empty; give a policy document with a Statement list", option=option)
    if not HAS_JSONSCHEMA:
        raise PolicyError(
            message=f"{option}: the Python library jsonschema is needed to validate policy documents; install it",
            option=option,
        )
    validator = lazy_imports.load("jsonschema").Draft7Validator(POLICY_SCHEMA)
    errors = sorted(
        validator.iter_errors(_listified(document)),
        key=lambda e: [(0, p) if isinstance(p, int) else (1, p) for p in e.absolute_path],
    )
    if errors:
        raise _schema_error(errors[0], document, option)
    for index, statement in enumerate(statements_of(document)):
        where = f"{option}.Statement[{index}]"
        actions = [key for key in ("Action", "NotAction") if key in statement]
        if len(actions) != 1:
            raise PolicyError(
                message=(
                    f"{where}: needs exactly one of Action and NotAction, "
                    f"{'both' if actions else 'neither'} given; list the actions, for example ecr:BatchGetImage"
                ),
                option=option,
            )
        principals = [key for key in ("Principal", "NotPrincipal") if key in statement]
        if len(principals) != 1:
            raise PolicyError(
                message=(
                    f"{where}: needs exactly one of Principal and NotPrincipal, "
                    f"{'both' if principals else 'neither'} given; a resource policy names who it applies to, for "
                    'example {"AWS": ["111122223333"]}'
                ),
                option=option,
            )
    if not allow_public:
        check_public(document, option)
    # What ECR accepts beyond the structure (actions, principal kinds, conditions); the registry policy's
    # V1/V2 scope is checked once the account setting has been read (policy_validation.check_registry_scope).
    from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_validation import check_statements

    check_statements(document, scope, option)
    return document


def render_principal(value, partition):
    return root_arn(value, partition) if ACCOUNT_ID_RE.fullmatch(value) else value


def _condition_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def _sorted_unique(values):
    """Sorted (by their JSON text, so mixed types sort too), without duplicates."""
    seen = {}
    for value in values:
        seen.setdefault(json.dumps(value, sort_keys=True), value)
    return [seen[k] for k in sorted(seen)]


def _normalize_principal(principal, partition):
    if principal == "*":
        principal = {"AWS": "*"}
    if not isinstance(principal, dict):
        return principal
    normalized = {}
    for kind, values in principal.items():
        values = as_list(values)
        if kind == "AWS":
            values = [render_principal(v, partition) if isinstance(v, str) else v for v in values]
        normalized[kind] = _sorted_unique(values)
    return normalized


def _normalize_statement(statement, partition):
    if not isinstance(statement, dict):
        return statement
    normalized = {}
    for key, value in statement.items():
        if key in ("Principal", "NotPrincipal"):
            normalized[key] = _normalize_principal(value, partition)
        elif key in ("Action", "NotAction", "Resource", "NotResource"):
            normalized[key] = _sorted_unique(as_list(value))
        elif key == "Condition" and isinstance(value, dict):
            normalized[key] = {
                operator: (
                    {k: _sorted_unique(_condition_value(v) for v in as_list(vs)) for k, vs in entries.items()}
                    if isinstance(entries, dict)
                    else entries
                )
                for operator, entries in value.items()
            }
        else:
            normalized[key] = value
    return normalized


def normalize(document, partition="aws"):
    """The canonical form of a policy document (dict or JSON text); {} for no document.

    Statement is a list, sorted, without duplicates; Principal ``*`` is ``{"AWS": ["*"]}``; every
    principal, action, resource and condition value is a sorted list without duplicates; account
    IDs are written ``arn:PARTITION:iam::ID:root`` as ECR stores them; condition booleans and
    numbers are strings (as AWS returns them). Version and Id are kept as they are.
    """
    if isinstance(document, (str, bytes, bytearray)):
        try:
            document = parse_document(document)
        except PolicyError:
            return document
    if not document:
        return {}
    if not isinstance(document, dict):
        return document
    normalized = {key: value for key, value in document.items() if key != "Statement"}
    if "Statement" in document:
        normalized["Statement"] = _sorted_unique(_normalize_statement(s, partition) for s in statements_of(document))
    return normalized


def _comparable_principal(value):
    if isinstance(value, str):
        match = ROOT_ARN_RE.fullmatch(value)
        if match:
            return match.group("account")
    return value


def _comparable(document):
    """normalize() without Version, with account root ARNs of any partition reduced to the account ID."""
    normalized = normalize(document)
    if not isinstance(normalized, dict) or not normalized:
        return {}
    normalized.pop("Version", None)
    for statement in normalized.get("Statement", []):
        if not isinstance(statement, dict):
            continue
        for key in ("Principal", "NotPrincipal"):
            principal = statement.get(key)
            if isinstance(principal, dict) and "AWS" in principal:
                principal["AWS"] = sorted(_comparable_principal(v) for v in principal["AWS"])
    return normalized


def policies_differ(current, desired):
    """Whether two documents (dicts, JSON text or None for no policy) grant differently.

    Statement and list order, a value against a one-item list, an account ID against its root ARN,
    duplicate statements and Version make no difference; a Sid does.
    """
    a, b = _comparable(current), _comparable(desired)
    if not a or not b:
        return bool(a) != bool(b)
    return compare_policies(a, b, default_version=None)


def same_statement(a, b):
    """Whether two statements are the same, by the rules of ``policies_differ``."""
    return not policies_differ({"Statement": [a]}, {"Statement": [b]})


def policy_text(document, option="policy"):
    """The JSON text to send: indented when it fits in ECR's 10240 characters, compact otherwise."""
    text = json.dumps(document, indent=2)
    if len(text) <= POLICY_TEXT_MAX:
        return text
    text = json.dumps(document, separators=(",", ":"))
    if len(text) > POLICY_TEXT_MAX:
        raise PolicyError(
            message=(
                f"{option}: the policy document would be {len(text)} characters, and ECR takes at most "
                f"{POLICY_TEXT_MAX}; grant whole accounts or an organisation instead of many roles, or split the "
                "repositories"
            ),
            option=option,
        )
    return text


def policy_from_text(text):
    """A policy text as AWS returns it, as a dict; None for none; the text itself when it is not JSON."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
