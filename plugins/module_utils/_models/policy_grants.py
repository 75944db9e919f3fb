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
from ansible_collections.dockyard.ecr.plugins.module_utils._common.options import GRANT_OPTIONS
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import ACCOUNT_ID_RE
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_document import (
    DEFAULT_VERSION,
    SERVICE_PRINCIPAL_RE,
    as_list,
    render_principal,
)

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

SID_PULL = "DockyardPull"
SID_PUSH = "DockyardPush"
SID_SERVICE_PULL = "DockyardServicePull"
SID_ORG_PULL = "DockyardOrgPull"
GRANT_SIDS = (SID_PULL, SID_PUSH, SID_SERVICE_PULL, SID_ORG_PULL)

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
    return cleaned


def _aws_principals(values, partition):
    rendered = {render_principal(v, partition) for v in values}
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
