# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What ECR accepts in a repository or registry policy, checked before any AWS call (pure).

``check_statements`` runs after the jsonschema check of ``policy_document.validate_document``: the actions
a repository policy can grant (``ecr:GetAuthorizationToken`` sent to the IAM side), the kinds of principal
a resource policy can name (no IAM groups, no wildcards inside an ARN), condition operator names and
non-empty condition values. ``check_registry_scope`` checks a registry policy against the account's
``REGISTRY_POLICY_SCOPE`` once it has been read (V1: replication and pull through cache actions only; V2:
every ECR action).
"""

import difflib
import fnmatch
import re

from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import PolicyError
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_document import as_list, statements_of

# ECR's actions whose resource is a repository (the Service Authorization Reference for ECR): the ones a
# repository policy can grant. ecr:BatchImportUpstreamImage is a permission-only action (pulling a
# pull-through-cache image ECR has not cached yet); ecr:ReplicateImage and ecr:CreateRepository are
# repository actions too, although registry policies are where they are usually granted.
REPOSITORY_POLICY_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchDeleteImage",
    "ecr:BatchGetImage",
    "ecr:BatchGetRepositoryScanningConfiguration",
    "ecr:BatchImportUpstreamImage",
    "ecr:CompleteLayerUpload",
    "ecr:CreateRepository",
    "ecr:DeleteLifecyclePolicy",
    "ecr:DeleteRepository",
    "ecr:DeleteRepositoryPolicy",
    "ecr:DescribeImageReplicationStatus",
    "ecr:DescribeImageScanFindings",
    "ecr:DescribeImageSigningStatus",
    "ecr:DescribeImages",
    "ecr:DescribeRepositories",
    "ecr:GetDownloadUrlForLayer",
    "ecr:GetImageCopyStatus",
    "ecr:GetLifecyclePolicy",
    "ecr:GetLifecyclePolicyPreview",
    "ecr:GetRepositoryPolicy",
    "ecr:InitiateLayerUpload",
    "ecr:ListImages",
    "ecr:ListTagsForResource",
    "ecr:PutImage",
    "ecr:PutImageScanningConfiguration",
    "ecr:PutImageTagMutability",
    "ecr:PutLifecyclePolicy",
    "ecr:ReplicateImage",
    "ecr:SetRepositoryPolicy",
    "ecr:StartImageScan",
    "ecr:StartLifecyclePolicyPreview",
    "ecr:TagResource",
    "ecr:UntagResource",
    "ecr:UpdateImageStorageClass",
    "ecr:UploadLayerPart",
)
# ECR's actions on the registry (or on no resource): a registry policy of scope V2 can grant them, a
# repository policy cannot.
REGISTRY_LEVEL_ACTIONS = (
    "ecr:CreatePullThroughCacheRule",
    "ecr:CreateRepositoryCreationTemplate",
    "ecr:DeletePullThroughCacheRule",
    "ecr:DeleteRegistryPolicy",
    "ecr:DeleteRepositoryCreationTemplate",
    "ecr:DeleteSigningConfiguration",
    "ecr:DeregisterPullTimeUpdateExclusion",
    "ecr:DescribePullThroughCacheRules",
    "ecr:DescribeRegistry",
    "ecr:DescribeReplicationBackfillResults",
    "ecr:DescribeRepositoryCreationTemplates",
    "ecr:GetAccountSetting",
    "ecr:GetAuthorizationToken",
    "ecr:GetRegistryPolicy",
    "ecr:GetRegistryScanningConfiguration",
    "ecr:GetSigningConfiguration",
    "ecr:ListPullTimeUpdateExclusions",
    "ecr:ListReplicationBackfills",
    "ecr:PutAccountSetting",
    "ecr:PutRegistryPolicy",
    "ecr:PutRegistryScanningConfiguration",
    "ecr:PutReplicationConfiguration",
    "ecr:PutSigningConfiguration",
    "ecr:RegisterPullTimeUpdateExclusion",
    "ecr:StartReplicationBackfill",
    "ecr:StopReplicationBackfill",
    "ecr:UpdatePullThroughCacheRule",
    "ecr:UpdateRepositoryCreationTemplate",
    "ecr:ValidatePullThroughCacheRule",
)
ECR_ACTIONS = REPOSITORY_POLICY_ACTIONS + REGISTRY_LEVEL_ACTIONS
# What a registry policy of scope V1 enforces (replication and pull through cache); ECR refuses others there.
V1_REGISTRY_ACTIONS = ("ecr:BatchImportUpstreamImage", "ecr:CreateRepository", "ecr:ReplicateImage")
REGISTRY_POLICY_SCOPES = ("V1", "V2")
REGISTRY_POLICY_SCOPE = "REGISTRY_POLICY_SCOPE"

# IAM's condition operators (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
# Every one but Null takes the IfExists suffix; ForAllValues: and ForAnyValue: prefix them for multivalued keys.
CONDITION_OPERATORS = (
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
)
SET_OPERATOR_PREFIXES = ("ForAllValues:", "ForAnyValue:")
IF_EXISTS = "IfExists"

# The principal ARNs a resource policy can name: an account root, a role, a user, an assumed-role session,
# a federated user session. Groups, instance profiles and policies are not principals.
_PRINCIPAL_ARN_RE = re.compile(
    r"arn:aws(?:-[a-z]+)*:(?:iam::[0-9]{12}:(?:root|(?:role|user)/.+)"
    r"|sts::[0-9]{12}:(?:assumed-role/[^/]+/.+|federated-user/.+))"
)
_IAM_ARN_KIND_RE = re.compile(r"arn:aws(?:-[a-z]+)*:(?:iam|sts)::[0-9]{12}:(?P<kind>[a-z-]+)")


def _lower(values):
    return {v.lower() for v in values}


_REPOSITORY_LOWER = _lower(REPOSITORY_POLICY_ACTIONS)
_REGISTRY_LEVEL_LOWER = _lower(REGISTRY_LEVEL_ACTIONS)
_ECR_LOWER = _REPOSITORY_LOWER | _REGISTRY_LEVEL_LOWER
_V1_LOWER = _lower(V1_REGISTRY_ACTIONS)


def _matches(action, known):
    """The known actions (lower case) an action, possibly with * or ? wildcards, stands for (IAM ignores case)."""
    pattern = action.lower()
    if "*" in pattern or "?" in pattern:
        return {name for name in known if fnmatch.fnmatchcase(name, pattern)}
    return {pattern} & known


def _suggestion(action, known_names):
    close = difflib.get_close_matches(action, known_names, n=1, cutoff=0.8)
    return f" (did you mean {close[0]}?)" if close else ""


def _action_error(where, action, scope):
    if action.lower() == "ecr:getauthorizationtoken":
        return (
            f"{where}: ecr:GetAuthorizationToken cannot be granted by a {scope} policy (ECR refuses it there): "
            "consumers need it in an IAM policy of their own account, which the remote_access role and the "
            "ecr_remote_access module write. Leave it out of this policy"
        )
    if not action.lower().startswith("ecr:") and action != "*":
        return (
            f"{where}: {action!r} is not an Amazon ECR action; a {scope} policy grants ecr: actions only "
            "(for example ecr:BatchGetImage)"
        )
    if scope == "repository" and _matches(action, _REGISTRY_LEVEL_LOWER) and not _matches(action, _REPOSITORY_LOWER):
        return (
            f"{where}: {action!r} acts on the registry, not on a repository, so a repository policy cannot grant "
            "it; grant it in an IAM policy, or in the registry policy (scope=registry, on the V2 registry policy "
            "scope)"
        )
    return (
        f"{where}: {action!r} is not an Amazon ECR action{_suggestion(action, ECR_ACTIONS)}; use the names of the "
        "ECR API (for example ecr:BatchGetImage, ecr:GetDownloadUrlForLayer) or a wildcard such as ecr:Describe*"
    )


def check_actions(document, scope="repository", option="policy"):
    """Every Action/NotAction is an ECR action the policy's kind can hold (wildcards: at least one)."""
    known = _REPOSITORY_LOWER if scope == "repository" else _ECR_LOWER
    for index, statement in enumerate(statements_of(document)):
        for key in ("Action", "NotAction"):
            for action in as_list(statement.get(key)):
                if not isinstance(action, str) or action == "*":
                    continue
                if not _matches(action, known):
                    raise PolicyError(
                        message=_action_error(f"{option}.Statement[{index}].{key}", action, scope), option=option
                    )


def principal_error(where, value):
    """Why a principal ARN cannot be named (an IAM group, a wildcard, another kind of ARN), and the fix."""
    kind = _IAM_ARN_KIND_RE.match(value)
    if kind and kind.group("kind") == "group":
        return (
            f"{where}: {value!r} is an IAM group, and a group cannot be the principal of a resource policy; name "
            "the group's roles or users, the account (its 12-digit ID), or grant the group in an IAM policy"
        )
    if "*" in value or "?" in value:
        return (
            f"{where}: {value!r} has a wildcard, which a principal ARN cannot have; name the account and add a "
            'Condition such as {"ArnLike": {"aws:PrincipalArn": "' + value + '"}}'
        )
    return (
        f"{where}: {value!r} is not a principal a resource policy can name; give an account ID, an account root, "
        "role or user ARN (arn:aws:iam::111122223333:role/deploy), an assumed-role session ARN, or *"
    )


def check_principals(document, option="policy"):
    """Principal/NotPrincipal AWS entries are accounts, roots, roles, users, sessions, unique IDs or ``*``."""
    for index, statement in enumerate(statements_of(document)):
        for key in ("Principal", "NotPrincipal"):
            principal = statement.get(key)
            if not isinstance(principal, dict):
                continue
            for value in as_list(principal.get("AWS")):
                if not isinstance(value, str) or not value.startswith("arn:"):
                    continue  # *, account IDs and unique IDs: the schema checked their shape
                if not _PRINCIPAL_ARN_RE.fullmatch(value) or "*" in value or "?" in value:
                    where = f"{option}.Statement[{index}].{key}.AWS"
                    raise PolicyError(message=principal_error(where, value), option=option)


def operator_known(name):
    """Whether a condition operator name is IAM's (case as IAM ignores it), with IfExists and set prefixes."""
    base = name.lower()
    prefix = next((p.lower() for p in SET_OPERATOR_PREFIXES if base.startswith(p.lower())), "")
    base = base.replace(prefix, "", 1)
    if base.endswith(IF_EXISTS.lower()) and base != "null" + IF_EXISTS.lower():
        base = base.rsplit(IF_EXISTS.lower(), 1)[0]
    return base in _lower(CONDITION_OPERATORS)


def check_conditions(document, option="policy"):
    """Condition operators are IAM's; no key has an empty list of values."""
    for index, statement in enumerate(statements_of(document)):
        condition = statement.get("Condition")
        if not isinstance(condition, dict):
            continue
        for operator, entries in condition.items():
            where = f"{option}.Statement[{index}].Condition.{operator}"
            if not operator_known(operator):
                raise PolicyError(
                    message=(
                        f"{where}: {operator!r} is not an IAM condition operator{_suggestion(operator, CONDITION_OPERATORS)}; "
                        "use one such as StringEquals, StringLike, ArnLike or Bool, optionally with IfExists or a "
                        "ForAllValues:/ForAnyValue: prefix"
                    ),
                    option=option,
                )
            if not isinstance(entries, dict):
                continue
            for key, values in entries.items():
                if isinstance(values, (list, tuple)) and not values:
                    raise PolicyError(
                        message=(
                            f"{where}.{key}: an empty list of values, which matches nothing (ECR refuses it); give "
                            "at least one value, or leave the key out"
                        ),
                        option=option,
                    )


def check_statements(document, scope="repository", option="policy"):
    """What ECR accepts beyond the document's structure: actions, principal kinds, conditions."""
    check_principals(document, option)
    check_conditions(document, option)
    check_actions(document, scope, option)


def registry_scope_hint(scope_value):
    return (
        f"the account's {REGISTRY_POLICY_SCOPE} is {scope_value}. Switch the registry to V2 (the default for new "
        "registries) with the dockyard.ecr.ecr_account_setting module (name: REGISTRY_POLICY_SCOPE, value: V2) or "
        "`aws ecr put-account-setting --name REGISTRY_POLICY_SCOPE --value V2`"
    )


def check_registry_scope(document, scope_value, option="policy"):
    """A registry policy checked against the account's REGISTRY_POLICY_SCOPE (V1 or V2; None: V2, ECR's default).

    V1 enforces only replication and pull through cache actions (``V1_REGISTRY_ACTIONS``, or ``ecr:*``) and
    ECR refuses others; V2 takes every ECR action (``check_actions`` already checked the names).
    """
    if (scope_value or "V2") != "V1":
        return
    for index, statement in enumerate(statements_of(document)):
        if statement.get("Effect") != "Allow":
            continue
        for action in as_list(statement.get("Action")):
            if not isinstance(action, str) or action.lower() == "ecr:*":
                continue
            if not _matches(action, _V1_LOWER) or _matches(action, _ECR_LOWER) - _V1_LOWER:
                raise PolicyError(
                    message=(
                        f"{option}.Statement[{index}].Action: {action!r} cannot be granted by this registry policy: "
                        f"on the V1 registry policy scope ECR only enforces {', '.join(V1_REGISTRY_ACTIONS)} "
                        f"(replication and pull through cache), and {registry_scope_hint('V1')}; or grant pull and "
                        "push in repository policies (scope=repository)"
                    ),
                    option=option,
                )


def needs_v2_scope(document):
    """Whether a registry policy grants anything beyond V1's actions (then the account setting matters)."""
    for statement in statements_of(document):
        if statement.get("Effect") != "Allow":
            continue
        for action in as_list(statement.get("Action")):
            if isinstance(action, str) and action.lower() != "ecr:*" and _matches(action, _ECR_LOWER) - _V1_LOWER:
                return True
    return False


def check_registry_grants(scope_value, option="pull"):
    """Registry-wide grants (pull, push, organizations in a registry policy) need the V2 scope (None: V2)."""
    if (scope_value or "V2") == "V1":
        raise PolicyError(
            message=(
                f"{option}: registry-wide grants need the V2 registry policy scope, where a registry policy governs "
                f"every ECR action; {registry_scope_hint('V1')}. Or grant per repository (scope=repository)"
            ),
            option=option,
        )
