# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Repository grants (``pull``, ``push``, ``services``, ``organizations``), pure: validation and statements.

Grants become one statement per kind with a stable Sid (``GRANT_SIDS``), principals sorted, so the
statements this code owns can be told from statements other people wrote (``purge_statements=False``
keeps those). The same grants give the consumer side (IAM policies in the consumer accounts).
"""

import re

from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import PolicyError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.options import (
    GRANT_FLAGS,
    GRANT_OPTIONS,
    SERVICE_GRANT_KEYS,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import ACCOUNT_ID_RE
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_document import (
    DEFAULT_VERSION,
    SERVICE_PRINCIPAL_RE,
    as_list,
    render_principal,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_validation import principal_error

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

# ``pull_through_cache: true``: pulling an image a pull through cache repository has not cached yet needs
# ecr:BatchImportUpstreamImage (a repository policy can grant it), and in a registry policy also
# ecr:CreateRepository, for a cache repository that does not exist yet (a repository policy cannot grant
# that). https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html
PULL_THROUGH_CACHE_ACTIONS = ("ecr:BatchImportUpstreamImage",)
PULL_THROUGH_CACHE_REGISTRY_ACTIONS = ("ecr:BatchImportUpstreamImage", "ecr:CreateRepository")

# Service grants scoped to the accounts and resources a service acts for (the confused deputy guidance:
# https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html). aws:SourceAccount is compared with
# StringEquals, aws:SourceArn with ArnLike (exact ARNs, or ARNs with * such as a Lambda function:*).
SOURCE_ACCOUNT_KEY = "aws:SourceAccount"
SOURCE_ARN_KEY = "aws:SourceArn"
SOURCE_ARN_RE = re.compile(r"arn:aws(?:-[a-z]+)*:[a-z0-9-]+:[a-z0-9*-]*:(?:[0-9]{12}|\*)?:.+")

SID_PULL = "DockyardPull"
SID_PUSH = "DockyardPush"
SID_SERVICE_PULL = "DockyardServicePull"
SID_ORG_PULL = "DockyardOrgPull"
GRANT_SIDS = (SID_PULL, SID_PUSH, SID_SERVICE_PULL, SID_ORG_PULL)
# A scoped service grant's Sid: SID_SERVICE_PULL followed by the service's name (DockyardServicePullCodebuild).

# arn:PARTITION:iam::ACCOUNT:root | role/PATH/NAME | user/PATH/NAME
IAM_PRINCIPAL_ARN_RE = re.compile(
    r"arn:(?P<partition>aws(?:-[a-z]+)*):iam::(?P<account>[0-9]{12}):"
    r"(?:root|(?:role|user)/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,128})"
)
ORG_ID_RE = re.compile(r"o-[a-z0-9]{10,32}")


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
        elif value.startswith("arn:") and ("*" in value or ":group/" in value):
            raise PolicyError(message=principal_error(f"{option}[{index}]", value), option=option)
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


def service_sid(service):
    """The Sid of a scoped service grant: ``DockyardServicePull`` + the service's name in CamelCase
    (codebuild.amazonaws.com: ``DockyardServicePullCodebuild``)."""
    name = service.split(".amazonaws.com")[0]
    return SID_SERVICE_PULL + "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def is_grant_sid(sid):
    """Whether a Sid is one grants write (``GRANT_SIDS`` or a scoped service grant's)."""
    return isinstance(sid, str) and (sid in GRANT_SIDS or sid.startswith(SID_SERVICE_PULL))


def _service_name(value, where):
    value = str(value).strip() if value is not None else ""
    if not SERVICE_PRINCIPAL_RE.fullmatch(value):
        hint = f" (did you mean {value}.amazonaws.com?)" if value and "." not in value else ""
        raise PolicyError(
            message=(
                f"{where}: {value!r} is not an AWS service principal{hint}; give the service's host name, for "
                "example codebuild.amazonaws.com or lambda.amazonaws.com"
            ),
            option="services",
        )
    return value


def _source_list(entry, key, where, check):
    values = entry.get(key)
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, (list, tuple)):
        raise PolicyError(message=f"{where}.{key}: give a list", option="services")
    return sorted(_unique_checked(values, key, lambda index, value: check(f"{where}.{key}[{index}]", value)))


def _check_source_account(where, value):
    if not ACCOUNT_ID_RE.fullmatch(value):
        raise PolicyError(
            message=(
                f"{where}: {value!r} is not a 12-digit AWS account ID (quote it in YAML, for example "
                "'111122223333', so leading zeros are kept)"
            ),
            option="services",
        )


def _check_source_arn(where, value):
    if not SOURCE_ARN_RE.fullmatch(value):
        raise PolicyError(
            message=(
                f"{where}: {value!r} is not the ARN of the resource the service acts for; give one such as "
                "arn:aws:codebuild:eu-west-1:111122223333:project/build-app or "
                "arn:aws:lambda:eu-west-1:111122223333:function:* (* matches any part)"
            ),
            option="services",
        )


def _validate_services(values, option):
    """Service grants as [{service, source_accounts, source_arns}] (plain strings: unscoped), each service once."""
    cleaned, seen = [], {}
    for index, value in enumerate(values):
        where = f"{option}[{index}]"
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(SERVICE_GRANT_KEYS))
            if unknown:
                raise PolicyError(
                    message=(
                        f"{where}.{unknown[0]}: not a key of a service grant; give {', '.join(SERVICE_GRANT_KEYS)}"
                    ),
                    option=option,
                )
            entry = {
                "service": _service_name(value.get("service"), f"{where}.service"),
                "source_accounts": _source_list(value, "source_accounts", where, _check_source_account),
                "source_arns": _source_list(value, "source_arns", where, _check_source_arn),
            }
        elif isinstance(value, (list, tuple)) or value is None or isinstance(value, bool):
            raise PolicyError(
                message=(
                    f"{where}: give a service principal (codebuild.amazonaws.com) or "
                    "{service, source_accounts, source_arns}"
                ),
                option=option,
            )
        else:
            entry = {"service": _service_name(value, where), "source_accounts": [], "source_arns": []}
        if entry["service"] in seen:
            if entry == cleaned[seen[entry["service"]]]:
                continue
            raise PolicyError(
                message=(
                    f"{where}: {entry['service']} is also {option}[{seen[entry['service']]}]; give each service once, "
                    "with all the accounts and ARNs it may act for"
                ),
                option=option,
            )
        seen[entry["service"]] = len(cleaned)
        cleaned.append(entry)
    return cleaned


def is_scoped(entry):
    """Whether a validated service grant names the accounts or resources the service acts for."""
    return bool(entry.get("source_accounts") or entry.get("source_arns"))


def grant_warnings(grants):
    """What a user should hear about validated grants: services granted without aws:SourceAccount/SourceArn."""
    services = grants.get("services") if isinstance(grants, dict) else None
    unscoped = [e["service"] for e in services or [] if isinstance(e, dict) and not is_scoped(e)]
    if not unscoped:
        return []
    return [
        f"services: {', '.join(unscoped)} {'is' if len(unscoped) == 1 else 'are'} granted without "
        "aws:SourceAccount or aws:SourceArn, so the service may pull on behalf of any AWS account (the confused "
        "deputy problem). Give {service: ..., source_accounts: [...], source_arns: [...]} to scope it"
    ]


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
    unknown = sorted(set(grants) - set(GRANT_OPTIONS) - set(GRANT_FLAGS))
    if unknown:
        raise PolicyError(
            message=f"{unknown[0]}: not a grant; grants are {', '.join(GRANT_OPTIONS)}",
            option=unknown[0],
        )
    given = [name for name in GRANT_OPTIONS if grants.get(name) is not None]
    pull_through_cache = bool(grants.get("pull_through_cache"))
    if not given:
        if pull_through_cache:
            raise PolicyError(
                message=(
                    "pull_through_cache: adds ecr:BatchImportUpstreamImage to the grants, and none is given; give "
                    "pull, push, services or organizations"
                ),
                option="pull_through_cache",
            )
        return None
    for name in given:
        if not isinstance(grants[name], (list, tuple)):
            raise PolicyError(message=f"{name}: give a list", option=name)
    cleaned = {
        "pull": _validate_principals(as_list(grants.get("pull")), "pull", allow_public),
        "push": _validate_principals(as_list(grants.get("push")), "push", allow_public),
        "services": _validate_services(as_list(grants.get("services")), "services"),
        "organizations": _validate_organizations(as_list(grants.get("organizations")), "organizations"),
    }
    if not any(cleaned.values()):
        raise PolicyError(
            message=(
                f"{given[0]}: the grants ({', '.join(given)}) are empty, so the policy would grant nothing; name at "
                "least one account, role, service or organisation, or use state=absent to remove the policy"
            ),
            option=given[0],
        )
    if pull_through_cache:
        cleaned["pull_through_cache"] = True
    return cleaned


def _aws_principals(values, partition):
    rendered = {render_principal(v, partition) for v in values}
    return sorted(rendered)


def _service_statement(sid, services, actions, entry=None):
    statement = {"Sid": sid, "Effect": "Allow", "Principal": {"Service": services}, "Action": actions}
    condition = {}
    if entry and entry.get("source_accounts"):
        condition["StringEquals"] = {SOURCE_ACCOUNT_KEY: list(entry["source_accounts"])}
    if entry and entry.get("source_arns"):
        condition["ArnLike"] = {SOURCE_ARN_KEY: list(entry["source_arns"])}
    if condition:
        statement["Condition"] = condition
    return statement


def registry_resource(partition, region, account):
    """Every repository of a registry, the Resource of registry-wide grants: arn:P:ecr:REGION:ACCOUNT:repository/*."""
    return f"arn:{partition}:ecr:{region}:{account}:repository/*"


def grants_to_statements(grants, partition="aws", resource=None):
    """The statements for validated grants: one per kind (one per scoped service), stable Sids, principals sorted.

    - ``DockyardPull``: the ``pull`` principals (accounts as ``arn:PARTITION:iam::ID:root``) get
      ``PULL_ACTIONS``; principals that also push are left out here (push includes pull).
    - ``DockyardPush``: the ``push`` principals get ``PULL_PUSH_ACTIONS``.
    - ``DockyardServicePull``: the unscoped ``services`` principals (``{"Service": [...]}``) get
      ``PULL_ACTIONS``; a scoped service gets its own statement (``service_sid``) with
      ``StringEquals aws:SourceAccount`` and/or ``ArnLike aws:SourceArn``.
    - ``DockyardOrgPull``: everyone in the ``organizations`` (``Principal: "*"`` with
      ``StringEquals aws:PrincipalOrgID``) gets ``PULL_ACTIONS``.
    ``pull_through_cache`` adds ``PULL_THROUGH_CACHE_ACTIONS`` to every statement (with ``resource``, a
    registry policy, ``PULL_THROUGH_CACHE_REGISTRY_ACTIONS``). ``resource`` (``registry_resource``) is set as
    every statement's Resource. Kinds with no principals give no statement.
    """
    grants = grants or {}
    extra = ()
    if grants.get("pull_through_cache"):
        extra = PULL_THROUGH_CACHE_REGISTRY_ACTIONS if resource else PULL_THROUGH_CACHE_ACTIONS

    def actions(base):
        return sorted(set(base) | set(extra))

    statements = []
    push = _aws_principals(grants.get("push") or [], partition)
    pull = [p for p in _aws_principals(grants.get("pull") or [], partition) if p not in push]
    if pull:
        statements.append(
            {"Sid": SID_PULL, "Effect": "Allow", "Principal": {"AWS": pull}, "Action": actions(PULL_ACTIONS)}
        )
    if push:
        statements.append(
            {"Sid": SID_PUSH, "Effect": "Allow", "Principal": {"AWS": push}, "Action": actions(PULL_PUSH_ACTIONS)}
        )
    entries = [e if isinstance(e, dict) else {"service": e} for e in grants.get("services") or []]
    unscoped = sorted({e["service"] for e in entries if not is_scoped(e)})
    if unscoped:
        statements.append(_service_statement(SID_SERVICE_PULL, unscoped, actions(PULL_ACTIONS)))
    for entry in sorted((e for e in entries if is_scoped(e)), key=lambda e: e["service"]):
        statements.append(
            _service_statement(service_sid(entry["service"]), [entry["service"]], actions(PULL_ACTIONS), entry)
        )
    organizations = sorted(set(grants.get("organizations") or []))
    if organizations:
        statements.append(
            {
                "Sid": SID_ORG_PULL,
                "Effect": "Allow",
                "Principal": "*",
                "Action": actions(PULL_ACTIONS),
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": organizations}},
            }
        )
    if resource:
        for statement in statements:
            statement["Resource"] = resource
    return statements


def grants_to_document(grants, partition="aws", resource=None):
    """A whole policy document holding only the grants' statements."""
    return {"Version": DEFAULT_VERSION, "Statement": grants_to_statements(grants, partition, resource)}
