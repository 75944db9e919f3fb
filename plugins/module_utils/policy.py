# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ECR resource policies (a repository's, the registry's): grants, validation, normalisation, comparison.

Written for one repository per call *and* for a bulk caller (``ecr_repositories``) converging a
hundred repositories in one process with a thread pool, and for a role that derives the IAM
policies of consumer accounts from the same grants, so:

- no module object: functions take a client (``ecr_client()``, whose calls accept ``aws_retry=True``)
  and plain dicts, and raise ``PolicyError`` (an ``ECRError`` whose ``option`` names the option at
  fault) or ``ECRError`` (AWS refused), which the caller reports with ``module.fail_json_aws_error(e)``;
- nothing keeps state between calls.

Grants (``pull``, ``push``, ``services``, ``organizations``) become one statement per kind with a
stable Sid (``GRANT_SIDS``), principals sorted, so the statements this code owns can be told from
statements other people wrote (``purge_statements=False`` keeps those).

Documents are compared semantically: statement order, list order, a single value against a one-item
list, an account ID against the ``arn:PARTITION:iam::ID:root`` ECR stores it as, and ``Version``
make no difference. ``normalize`` gives the canonical form (what the diff shows); ``policies_differ``
compares two documents with amazon.aws's ``compare_policies`` after that normalisation.
"""

import copy
import json
import re

try:
    import jsonschema

    HAS_JSONSCHEMA = True
except ImportError:
    HAS_JSONSCHEMA = False

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.dockyard.ecr.plugins.module_utils.ecr import ECRError, translate_errors
from ansible_collections.dockyard.ecr.plugins.module_utils.repository import validate_name, validate_registry_id

# The actions AWS documents for pulling from and pushing to a private repository
# (https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html and
# https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html). Pushing also needs
# BatchCheckLayerAvailability, which is in both sets. ecr:GetAuthorizationToken cannot be granted
# by a repository policy: consumers need it in an IAM policy of their own account.
PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)
PUSH_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)
# What a push grant gives: pull and push (a pusher that cannot pull breaks most clients).
PULL_PUSH_ACTIONS = tuple(sorted(set(PULL_ACTIONS) | set(PUSH_ACTIONS)))

# The only actions ECR enforces in a registry policy (replication, pull through cache); ECR refuses
# a registry policy with others ("Invalid registry policy provided"). ecr:* is accepted too.
REGISTRY_ACTIONS = ("ecr:BatchImportUpstreamImage", "ecr:CreateRepository", "ecr:ReplicateImage")

SID_PULL = "DockyardPull"
SID_PUSH = "DockyardPush"
SID_SERVICE_PULL = "DockyardServicePull"
SID_ORG_PULL = "DockyardOrgPull"
GRANT_SIDS = (SID_PULL, SID_PUSH, SID_SERVICE_PULL, SID_ORG_PULL)
GRANT_OPTIONS = ("pull", "push", "services", "organizations")

DEFAULT_VERSION = "2012-10-17"
VERSIONS = ("2008-10-17", "2012-10-17")
POLICY_TEXT_MAX = 10240  # RepositoryPolicyText / RegistryPolicyText in the ECR API
SCOPES = ("repository", "registry")
STATES = ("present", "absent")

ACCOUNT_ID_RE = re.compile(r"[0-9]{12}")
# arn:PARTITION:iam::ACCOUNT:root | role/PATH/NAME | user/PATH/NAME
IAM_PRINCIPAL_ARN_RE = re.compile(
    r"arn:(?P<partition>aws(?:-[a-z]+)*):iam::(?P<account>[0-9]{12}):"
    r"(?:root|(?:role|user)/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,128})"
)
ROOT_ARN_RE = re.compile(r"arn:(?P<partition>aws(?:-[a-z]+)*):iam::(?P<account>[0-9]{12}):root")
SERVICE_PRINCIPAL_RE = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+amazonaws\.com(?:\.cn)?")
ORG_ID_RE = re.compile(r"o-[a-z0-9]{10,32}")


class PolicyError(ECRError):
    """A request that cannot be carried out as asked; the message names the option and the fix."""


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _statements(document):
    """The document's statements as a list (``Statement`` may be a single object)."""
    if not isinstance(document, dict):
        return []
    return [s for s in _as_list(document.get("Statement")) if s is not None]


def _path(option, parts):
    text = option
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def root_arn(account_id, partition="aws"):
    """``arn:PARTITION:iam::ACCOUNT:root``, the form ECR stores an account principal in."""
    return f"arn:{partition}:iam::{account_id}:root"


def principal_account_id(principal):
    """The account ID an account ID or IAM principal ARN belongs to; None for anything else (``*``)."""
    if not isinstance(principal, str):
        return None
    if ACCOUNT_ID_RE.fullmatch(principal):
        return principal
    match = IAM_PRINCIPAL_ARN_RE.fullmatch(principal)
    return match.group("account") if match else None


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


# ---------------------------------------------------------------------------------------------
# Validation (pure: no AWS call)
# ---------------------------------------------------------------------------------------------

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
_SERVICE_PRINCIPAL = {"type": "string", "pattern": r"^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$"}
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
        return "*" in _as_list(principal.get("AWS"))
    return False


def check_public(document, option="policy"):
    """Raise PolicyError for an Allow statement open to everyone without a Condition.

    That is ``Principal: "*"`` or ``{"AWS": "*"}`` (or a list holding ``*``), or a ``NotPrincipal``
    (everyone except a few), in an Allow statement without a Condition.
    """
    for index, statement in enumerate(_statements(document)):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow" or statement.get("Condition"):
            continue
        public = _is_public_principal(statement.get("Principal")) or "NotPrincipal" in statement
        if public:
            raise PolicyError(
                message=(
                    f"{option}.Statement[{index}]: allows everyone (a * principal or NotPrincipal without a Condition), "
                    "which opens it to every AWS account. Name the accounts, roles or services, add a "
                    "Condition (for example aws:PrincipalOrgID), or set allow_public=true if that is what you want"
                ),
                option=option,
            )


def _check_registry_actions(document, option):
    allowed = set(REGISTRY_ACTIONS) | {"ecr:*"}
    for index, statement in enumerate(_statements(document)):
        if statement.get("Effect") != "Allow":
            continue
        for action in _as_list(statement.get("Action")):
            if action not in allowed:
                raise PolicyError(
                    message=(
                        f"{option}.Statement[{index}].Action: {action!r} cannot be granted by a registry policy; ECR only "
                        f"enforces {', '.join(REGISTRY_ACTIONS)} there (replication and pull through cache). Grant pull "
                        "and push in repository policies (scope=repository)"
                    ),
                    option=option,
                )


def validate_document(document, allow_public=False, scope="repository", option="policy"):
    """Check a policy document (dict or JSON string) before any AWS call; return it as a dict.

    jsonschema checks the structure (Version, Statement, Effect, Principal, Action, Condition), then:
    each statement has exactly one of Action/NotAction and of Principal/NotPrincipal, Allow statements
    are not public unless ``allow_public``, and a registry policy grants only registry actions.
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
    validator = jsonschema.Draft7Validator(POLICY_SCHEMA)
    errors = sorted(
        validator.iter_errors(_listified(document)),
        key=lambda e: [(0, p) if isinstance(p, int) else (1, p) for p in e.absolute_path],
    )
    if errors:
        raise _schema_error(errors[0], document, option)
    for index, statement in enumerate(_statements(document)):
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
    if scope == "registry":
        _check_registry_actions(document, option)
    return document


def _unique_checked(values, option, check):
    """The values stripped (None as ""), each passed to ``check(index, value)``, which raises
    PolicyError for a bad one; repeats dropped, first one kept."""
    cleaned = []
    for index, value in enumerate(values):
        value = str(value).strip() if value is not None else ""
        check(index, value)
        if value not in cleaned:
            cleaned.append(value)
    return cleaned


def _validate_principals(values, option, allow_public):
    def check(index, value):
        if not value:
            raise PolicyError(
                message=f"{option}[{index}]: empty; give a 12-digit account ID or an IAM role/user ARN",
                option=option,
            )
        if value == "*":
            if not allow_public:
                raise PolicyError(
                    message=(
                        f"{option}[{index}]: '*' grants every AWS account, which makes the repository public; name the "
                        "accounts, use organizations to grant a whole organisation, or set allow_public=true"
                    ),
                    option=option,
                )
        elif not (ACCOUNT_ID_RE.fullmatch(value) or IAM_PRINCIPAL_ARN_RE.fullmatch(value)):
            hint = ""
            if value.isdigit():
                hint = (
                    f" (it has {len(value)} digits: quote account IDs in YAML, for example '012345678901', so "
                    "leading zeros are kept)"
                )
            raise PolicyError(
                message=(
                    f"{option}[{index}]: {value!r} is not an AWS account ID or IAM principal ARN{hint}. Give 12 digits "
                    "(111122223333), the account root ARN (arn:aws:iam::111122223333:root) or a role or user ARN "
                    "(arn:aws:iam::111122223333:role/deploy)"
                ),
                option=option,
            )

    return _unique_checked(values, option, check)


def _validate_services(values, option):
    def check(index, value):
        if not SERVICE_PRINCIPAL_RE.fullmatch(value):
            hint = f" (did you mean {value}.amazonaws.com?)" if value and "." not in value else ""
            raise PolicyError(
                message=(
                    f"{option}[{index}]: {value!r} is not an AWS service principal{hint}; give the service's host "
                    "name, for example codebuild.amazonaws.com or lambda.amazonaws.com"
                ),
                option=option,
            )

    return _unique_checked(values, option, check)


def _validate_organizations(values, option):
    def check(index, value):
        if not ORG_ID_RE.fullmatch(value):
            raise PolicyError(
                message=(
                    f"{option}[{index}]: {value!r} is not an AWS Organizations ID; give the organisation's ID, "
                    "o- followed by 10 to 32 lower-case letters or digits (for example o-a1b2c3d4e5), not its root "
                    "(r-...) or an organizational unit (ou-...)"
                ),
                option=option,
            )

    return _unique_checked(values, option, check)


def validate_grants(grants, allow_public=False):
    """Check the grants (a dict with pull, push, services, organizations); return them cleaned.

    Options left out (None) count as empty lists; None comes back when all are left out. Lists are
    de-duplicated, surrounding blanks dropped. Raises PolicyError naming the option (``pull[2]``) for
    a malformed account ID or ARN, service or organisation ID, for ``*`` without ``allow_public``,
    and when every grant given is empty.
    """
    grants = grants or {}
    unknown = sorted(set(grants) - set(GRANT_OPTIONS))
    if unknown:
        raise PolicyError(
            message=f"{unknown[0]}: not a grant; grants are {', '.join(GRANT_OPTIONS)}",
            option=unknown[0],
        )
    given = [name for name in GRANT_OPTIONS if grants.get(name) is not None]
    if not given:
        return None
    for name in given:
        if not isinstance(grants[name], (list, tuple)):
            raise PolicyError(message=f"{name}: give a list", option=name)
    cleaned = {
        "pull": _validate_principals(_as_list(grants.get("pull")), "pull", allow_public),
        "push": _validate_principals(_as_list(grants.get("push")), "push", allow_public),
        "services": _validate_services(_as_list(grants.get("services")), "services"),
        "organizations": _validate_organizations(_as_list(grants.get("organizations")), "organizations"),
    }
    if not any(cleaned.values()):
        raise PolicyError(
            message=(
                f"{given[0]}: the grants ({', '.join(given)}) are empty, so the policy would grant nothing; name at "
                "least one account, role, service or organisation, or use state=absent to remove the policy"
            ),
            option=given[0],
        )
    return cleaned


# ---------------------------------------------------------------------------------------------
# Grants -> statements
# ---------------------------------------------------------------------------------------------


def _render_principal(value, partition):
    return root_arn(value, partition) if ACCOUNT_ID_RE.fullmatch(value) else value


def _aws_principals(values, partition):
    rendered = {_render_principal(v, partition) for v in values}
    return sorted(rendered)


def grants_to_statements(grants, partition="aws"):
    """The statements for validated grants: one per kind, stable Sids, principals sorted.

    - ``DockyardPull``: the ``pull`` principals (accounts as ``arn:PARTITION:iam::ID:root``) get
      ``PULL_ACTIONS``; principals that also push are left out here (push includes pull).
    - ``DockyardPush``: the ``push`` principals get ``PULL_PUSH_ACTIONS``.
    - ``DockyardServicePull``: the ``services`` principals (``{"Service": [...]}``) get ``PULL_ACTIONS``.
    - ``DockyardOrgPull``: everyone in the ``organizations`` (``Principal: "*"`` with
      ``StringEquals aws:PrincipalOrgID``) gets ``PULL_ACTIONS``.
    Kinds with no principals give no statement.
    """
    grants = grants or {}
    statements = []
    push = _aws_principals(grants.get("push") or [], partition)
    pull = [p for p in _aws_principals(grants.get("pull") or [], partition) if p not in push]
    if pull:
        statements.append(
            {"Sid": SID_PULL, "Effect": "Allow", "Principal": {"AWS": pull}, "Action": list(PULL_ACTIONS)}
        )
    if push:
        statements.append(
            {"Sid": SID_PUSH, "Effect": "Allow", "Principal": {"AWS": push}, "Action": list(PULL_PUSH_ACTIONS)}
        )
    services = sorted(set(grants.get("services") or []))
    if services:
        statements.append(
            {
                "Sid": SID_SERVICE_PULL,
                "Effect": "Allow",
                "Principal": {"Service": services},
                "Action": list(PULL_ACTIONS),
            }
        )
    organizations = sorted(set(grants.get("organizations") or []))
    if organizations:
        statements.append(
            {
                "Sid": SID_ORG_PULL,
                "Effect": "Allow",
                "Principal": "*",
                "Action": list(PULL_ACTIONS),
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": organizations}},
            }
        )
    return statements


def grants_to_document(grants, partition="aws"):
    """A whole policy document holding only the grants' statements."""
    return {"Version": DEFAULT_VERSION, "Statement": grants_to_statements(grants, partition)}


def accounts_by_access(grants):
    """{account ID: "pull" or "push"} for the account and IAM principals in validated grants.

    For deriving the IAM policies consumer accounts need (``ecr:GetAuthorizationToken`` plus the
    same actions on the repository) from the same grants.
    """
    access = {}
    for level in ("pull", "push"):
        for principal in (grants or {}).get(level) or []:
            account = principal_account_id(principal)
            if account and access.get(account) != "push":
                access[account] = level
    return access


# ---------------------------------------------------------------------------------------------
# Normalisation and comparison
# ---------------------------------------------------------------------------------------------


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
        values = _as_list(values)
        if kind == "AWS":
            values = [_render_principal(v, partition) if isinstance(v, str) else v for v in values]
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
            normalized[key] = _sorted_unique(_as_list(value))
        elif key == "Condition" and isinstance(value, dict):
            normalized[key] = {
                operator: (
                    {k: _sorted_unique(_condition_value(v) for v in _as_list(vs)) for k, vs in entries.items()}
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
        normalized["Statement"] = _sorted_unique(_normalize_statement(s, partition) for s in _statements(document))
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


# ---------------------------------------------------------------------------------------------
# The desired document
# ---------------------------------------------------------------------------------------------


def classify_desired(desired):
    """("policy", document) or ("grants", grants) or (None, None) for what converge_* accept."""
    if desired is None:
        return None, None
    if isinstance(desired, str):
        return "policy", parse_document(desired)
    if isinstance(desired, dict):
        if "Statement" in desired:
            return "policy", desired
        if set(desired) <= set(GRANT_OPTIONS):
            return "grants", desired
    raise PolicyError(
        message=(
            "policy: expected a policy document (with Statement) or grants (pull, push, services, organizations), "
            f"got {json.dumps(desired)[:200]}"
        ),
        option="policy",
    )


def desired_document(current, desired=None, purge_statements=True, state="present", partition="aws"):
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
        ours = grants_to_statements(value, partition)
        owned = set(GRANT_SIDS)
        top = {"Version": DEFAULT_VERSION}
    elif kind == "policy":
        ours = copy.deepcopy(_statements(value))
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
        for s in _statements(current)
        if not (isinstance(s, dict) and s.get("Sid") in owned) and not any(same_statement(s, o) for o in ours)
    ]
    statements = kept + ours
    if not statements:
        return None
    if current:
        top = {k: copy.deepcopy(v) for k, v in current.items() if k != "Statement"}
    return dict(top, Statement=statements)


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


def _loads(text):
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


# ---------------------------------------------------------------------------------------------
# Repository policy: read, converge
# ---------------------------------------------------------------------------------------------


def _registry_args(registry_id):
    return {"registryId": registry_id} if registry_id else {}


def _missing_repository(repository, registry_id):
    where = f" in registry {registry_id}" if registry_id else ""
    return PolicyError(
        message=(
            f"repository: repository {repository!r} does not exist{where}; create it first (dockyard.ecr.ecr_repo), "
            "or check the name, registry_id and region"
        ),
        option="repository",
    )


def read_repository_policy(client, repository, registry_id=None):
    """(registry ID, document) of a repository's policy; the document is None when there is none.

    The registry ID is ECR's when it returns one, else ``registry_id``. Raises PolicyError
    (option ``repository``) when the repository does not exist.
    """
    with translate_errors(f"get the policy of repository {repository!r}"):
        try:
            response = client.get_repository_policy(
                repositoryName=repository, aws_retry=True, **_registry_args(registry_id)
            )
        except is_boto3_error_code("RepositoryPolicyNotFoundException"):
            return registry_id, None
        except is_boto3_error_code("RepositoryNotFoundException") as e:  # pylint: disable=duplicate-except
            raise _missing_repository(repository, registry_id) from e
    return response.get("registryId") or registry_id, _loads(response.get("policyText"))


def _client_partition(client, partition=None):
    if partition:
        return partition
    meta = getattr(client, "meta", None)
    return getattr(meta, "partition", None) or "aws"


def _request_option(desired):
    return "pull" if classify_desired(desired)[0] == "grants" else "policy"


def converge_repository_policy(
    client,
    repository,
    registry_id=None,
    desired=None,
    purge_statements=True,
    check_mode=False,
    state="present",
    partition=None,
    current=None,
    read=True,
):
    """Make a repository's policy match the request. Returns (changed, before, after).

    ``desired`` is a validated document (``validate_document``), validated grants
    (``validate_grants``) or None (with state=absent). ``before``/``after`` are documents (dicts as
    ECR returns them; None for no policy); in check mode ``after`` is the document that would be
    written. ``read=False`` with ``current`` lets a bulk caller pass what it read. ``partition``
    (for account root ARNs) defaults to the client's. Raises PolicyError (nothing written) or
    ECRError (AWS refused).
    """
    partition = _client_partition(client, partition)
    if read:
        try:
            registry_id, current = read_repository_policy(client, repository, registry_id)
        except PolicyError:
            if state == "absent":
                return False, None, None  # no repository, no policy
            raise
    target = desired_document(current, desired, purge_statements, state, partition)
    if not policies_differ(current, target):
        return False, current, current
    if target is None:
        if not check_mode:
            with translate_errors(f"delete the policy of repository {repository!r}"):
                try:
                    client.delete_repository_policy(
                        repositoryName=repository, aws_retry=True, **_registry_args(registry_id)
                    )
                except is_boto3_error_code("RepositoryPolicyNotFoundException"):
                    pass
                except is_boto3_error_code("RepositoryNotFoundException") as e:  # pylint: disable=duplicate-except
                    raise _missing_repository(repository, registry_id) from e
        return True, current, None
    text = policy_text(target, _request_option(desired))
    if check_mode:
        return True, current, target
    with translate_errors(f"set the policy of repository {repository!r}"):
        try:
            response = client.set_repository_policy(
                repositoryName=repository, policyText=text, aws_retry=True, **_registry_args(registry_id)
            )
        except is_boto3_error_code("RepositoryNotFoundException") as e:
            raise _missing_repository(repository, registry_id) from e
    return True, current, _loads(response.get("policyText")) or target


# ---------------------------------------------------------------------------------------------
# Registry policy: read, converge
# ---------------------------------------------------------------------------------------------


def read_registry_policy(client):
    """(registry ID, document) of the caller's registry policy; (None, None) when there is none."""
    with translate_errors("get the registry policy"):
        try:
            response = client.get_registry_policy(aws_retry=True)
        except is_boto3_error_code("RegistryPolicyNotFoundException"):
            return None, None
    return response.get("registryId"), _loads(response.get("policyText"))


def converge_registry_policy(
    client, desired=None, purge_statements=True, check_mode=False, state="present", current=None, read=True
):
    """Make the registry policy (of the credentials' account) match the request: (changed, before, after).

    ``desired`` is a validated document (``validate_document(..., scope="registry")``) or None; grants
    are refused (pull and push are repository permissions). Same rules as
    ``converge_repository_policy`` otherwise.
    """
    if classify_desired(desired)[0] == "grants":
        raise PolicyError(
            message=(
                "pull: grants (pull, push, services, organizations) are repository permissions; a registry policy "
                f"only takes {', '.join(REGISTRY_ACTIONS)}: give the whole document in policy"
            ),
            option="pull",
        )
    if read:
        current = read_registry_policy(client)[1]
    target = desired_document(current, desired, purge_statements, state)
    if not policies_differ(current, target):
        return False, current, current
    if target is None:
        if not check_mode:
            with translate_errors("delete the registry policy"):
                try:
                    client.delete_registry_policy(aws_retry=True)
                except is_boto3_error_code("RegistryPolicyNotFoundException"):
                    pass
        return True, current, None
    text = policy_text(target)
    if check_mode:
        return True, current, target
    with translate_errors("put the registry policy"):
        response = client.put_registry_policy(policyText=text, aws_retry=True)
    return True, current, _loads(response.get("policyText")) or target


# ---------------------------------------------------------------------------------------------
# A module's request
# ---------------------------------------------------------------------------------------------


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
        if grants_given:
            raise PolicyError(
                message=(
                    f"{grants_given[0]}: grants are repository permissions; the registry policy only takes "
                    f"{', '.join(REGISTRY_ACTIONS)}: give the whole document in policy (or use scope=repository)"
                ),
                option=grants_given[0],
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
    if policy is not None:
        desired = validate_document(policy, allow_public=allow_public, scope=scope)
    elif grants_given:
        desired = validate_grants({name: params.get(name) for name in GRANT_OPTIONS}, allow_public=allow_public)
    else:
        desired = None
    if state == "present" and desired is None:
        what = (
            "a document in policy"
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


def converge(client, request, check_mode=False, partition=None):
    """Converge the policy a ``validate_params`` request names. Returns (changed, before, after, registry ID)."""
    if request["scope"] == "registry":
        registry_id, current = read_registry_policy(client)
        changed, before, after = converge_registry_policy(
            client,
            request["desired"],
            request["purge_statements"],
            check_mode,
            request["state"],
            current=current,
            read=False,
        )
        return changed, before, after, registry_id
    try:
        registry_id, current = read_repository_policy(client, request["repository"], request["registry_id"])
    except PolicyError:
        if request["state"] == "absent":
            return False, None, None, request["registry_id"]
        raise
    changed, before, after = converge_repository_policy(
        client,
        request["repository"],
        registry_id,
        request["desired"],
        request["purge_statements"],
        check_mode,
        request["state"],
        partition=partition,
        current=current,
        read=False,
    )
    return changed, before, after, registry_id
