# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Repository creation templates, pure: the request validated, ECR's shape and back, the comparison.

A template gives the repositories ECR creates for replication, pull through cache or a push to a repository
that does not exist yet (create on push) their settings: tag mutability, encryption, tags, lifecycle policy and
repository policy. The settings are checked by the same code as a repository's (``repository_request``), the
lifecycle policy by ``lifecycle_request`` and the repository policy is built from grants by ``policy_grants``,
so a template and a repository say the same thing the same way.
"""

import re

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import (
    ECRError,
    RegistrySettingsError,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._common.options import STATES, WITH_EXCLUSION
from ansible_collections.dockyard.ecr.plugins.module_utils._models import lifecycle_request, lifecycle_rules
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_document import (
    policies_differ,
    policy_from_text,
    policy_text,
    validate_document,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_grants import (
    grants_to_document,
    validate_grants,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.repository_request import (
    _validate_encryption,
    _validate_mutability,
    _validate_tags,
)

APPLIED_FOR = ("replication", "pull_through_cache", "create_on_push")
# Prefix in ECR's API model: a repository name prefix, or ROOT for every repository no other template matches.
PREFIX_RE = re.compile(r"(?:[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*/?|ROOT)")
PREFIX_MAX = 256
DESCRIPTION_MAX = 256
# KmsKeyForRepositoryCreationTemplate: a key ARN only (no alias, no bare key ID).
TEMPLATE_KMS_KEY_RE = re.compile(r"arn:aws[a-z0-9-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-z0-9-]+")
ROLE_ARN_RE = re.compile(r"arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role/[\w+=,.@/-]+")
GRANTS = ("pull", "push", "services", "organizations")
SETTINGS = (
    "description",
    "applied_for",
    "image_tag_mutability",
    "image_tag_mutability_exclusion_filters",
    "encryption",
    "tags",
    "lifecycle_policy",
    "repository_policy",
    "custom_role_arn",
)


def _fail(option, message):
    raise RegistrySettingsError(message=f"{option}: {message}", option=option)


def _prefix(value):
    text = to_text(value if value is not None else "").strip()
    if not text or len(text) > PREFIX_MAX or not PREFIX_RE.fullmatch(text):
        _fail(
            "prefix",
            f"{text or '(empty)'!s} is not a template prefix; give the start of repository names in lower case "
            "(for example 'prod/' or 'team/app'), or ROOT for every repository no other template matches",
        )
    return text


def _applied_for(values):
    if values is None:
        return None
    if not isinstance(values, (list, tuple)) or not values:
        _fail("applied_for", f"give at least one of {', '.join(APPLIED_FOR)}")
    cleaned = set()
    for value in values:
        text = to_text(value if value is not None else "").strip().lower()
        if text not in APPLIED_FOR:
            _fail("applied_for", f"{value!r} is not one of {', '.join(APPLIED_FOR)}")
        cleaned.add(text)
    return sorted(cleaned)


def _lifecycle(lifecycle, features):
    if not lifecycle or all(value is None for value in lifecycle.values()):
        return None
    wanted = dict(lifecycle, state="present")
    try:
        return lifecycle_rules.normalize(lifecycle_request.desired_document(wanted, features))
    except ECRError as e:
        message = e.message if e.message.startswith("lifecycle") else f"lifecycle.{e.message}"
        raise RegistrySettingsError(message=message, option="lifecycle") from e


def _repository_policy(params, partition):
    grants = {name: params.get(name) for name in GRANTS if params.get(name) is not None}
    policy = params.get("policy")
    if grants and policy is not None:
        _fail("policy", f"give either the grants ({', '.join(sorted(grants))}) or a whole policy, not both")
    allow_public = bool(params.get("allow_public"))
    try:
        if policy is not None:
            return validate_document(policy, allow_public=allow_public)
        if grants or params.get("pull_through_cache"):
            # pull_through_cache adds ecr:BatchImportUpstreamImage to the grants (refused without any grant).
            flags = {"pull_through_cache": True} if params.get("pull_through_cache") else {}
            cleaned = validate_grants(dict(grants, **flags), allow_public=allow_public)
            return grants_to_document(cleaned, partition) if cleaned else None
    except ECRError as e:
        raise RegistrySettingsError(message=e.message, option=e.option) from e
    return None


def validate_params(params, features=None, partition="aws"):
    """``ecr_creation_template``'s request, checked before any AWS call.

    ``features``: the lifecycle features the installed botocore knows (``lifecycle_rules.supported_features``).
    Settings left out (None) are left alone; ``wanted`` holds only those given, in the module's spelling.
    """
    state = params.get("state") or "present"
    if state not in STATES:
        _fail("state", f"{state!r} is not one of present, absent")
    request = {"state": state, "prefix": _prefix(params.get("prefix"))}
    if state == "absent":
        return request
    description = params.get("description")
    if description is not None and len(to_text(description)) > DESCRIPTION_MAX:
        _fail("description", f"{len(to_text(description))} characters; ECR takes at most {DESCRIPTION_MAX}")
    try:
        mutability, filters = _validate_mutability(
            params.get("image_tag_mutability"), params.get("image_tag_mutability_exclusion_filters")
        )
        encryption = _validate_encryption(params.get("encryption"))
        tags = _validate_tags(params.get("tags"))
    except ECRError as e:
        raise RegistrySettingsError(message=e.message, option=e.option) from e
    if mutability in WITH_EXCLUSION and filters is None:
        _fail(
            "image_tag_mutability_exclusion_filters",
            f"required with image_tag_mutability={mutability}; give 1 to 5 tag filters such as ['latest', 'dev-*']",
        )
    if encryption and encryption.get("kms_key") and not TEMPLATE_KMS_KEY_RE.fullmatch(encryption["kms_key"]):
        _fail(
            "encryption.kms_key",
            f"{encryption['kms_key']!r}: a template takes a KMS key ARN only "
            "(arn:aws:kms:REGION:ACCOUNT:key/KEY-ID), not an alias or a bare key ID",
        )
    role = params.get("custom_role_arn")
    if role is not None:
        role = to_text(role).strip()
        if not ROLE_ARN_RE.fullmatch(role):
            _fail("custom_role_arn", f"{role!r} is not the ARN of an IAM role (arn:aws:iam::ACCOUNT:role/NAME)")
    wanted = {
        "description": None if description is None else to_text(description),
        "applied_for": _applied_for(params.get("applied_for")),
        "image_tag_mutability": mutability,
        "image_tag_mutability_exclusion_filters": sorted(filters) if filters else None,
        "encryption": encryption,
        "tags": tags,
        "lifecycle_policy": _lifecycle(params.get("lifecycle"), features),
        "repository_policy": _repository_policy(params, partition),
        "custom_role_arn": role,
    }
    request["purge_tags"] = params.get("purge_tags") is not False
    request["wanted"] = {key: value for key, value in wanted.items() if value is not None}
    if mutability is not None and filters is None:
        # A mutability without exclusions clears the filters a *_WITH_EXCLUSION template had.
        request["wanted"]["image_tag_mutability_exclusion_filters"] = []
    return request


def from_api(template):
    """A DescribeRepositoryCreationTemplates template in the module's spelling (None stays None)."""
    if template is None:
        return None
    encryption = template.get("encryptionConfiguration") or {"encryptionType": "AES256"}
    result = {
        "prefix": template.get("prefix"),
        "description": template.get("description") or "",
        "applied_for": sorted(value.lower() for value in template.get("appliedFor") or []),
        "image_tag_mutability": (template.get("imageTagMutability") or "MUTABLE").lower(),
        "image_tag_mutability_exclusion_filters": sorted(
            item.get("filter") for item in template.get("imageTagMutabilityExclusionFilters") or []
        ),
        "encryption": {"type": encryption.get("encryptionType"), "kms_key": encryption.get("kmsKey") or None},
        "tags": boto3_tag_list_to_ansible_dict(template.get("resourceTags") or []),
        "lifecycle_policy": (
            lifecycle_rules.normalize(template.get("lifecyclePolicy")) if template.get("lifecyclePolicy") else None
        ),
        "repository_policy": policy_from_text(template.get("repositoryPolicy")),
        "custom_role_arn": template.get("customRoleArn") or None,
    }
    for camel, snake in (("createdAt", "created_at"), ("updatedAt", "updated_at")):
        if template.get(camel) is not None:
            value = template[camel]
            result[snake] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return result


def _differs(key, current, desired):
    if key == "lifecycle_policy":
        return lifecycle_rules.documents_differ(current, desired)
    if key == "repository_policy":
        if current is None or desired is None:
            return current != desired
        return policies_differ(current, desired)
    if key == "encryption":
        return (current or {}).get("type") != desired.get("type") or (current or {}).get("kms_key") != desired.get(
            "kms_key"
        )
    return current != desired


def plan(request, current):
    """("none" | "create" | "update" | "delete", the template after (module spelling), the keys that change)."""
    if request["state"] == "absent":
        return ("delete", None, []) if current else ("none", None, [])
    wanted = dict(request["wanted"])
    if current is not None and "tags" in wanted and not request["purge_tags"]:
        wanted["tags"] = dict(current["tags"], **wanted["tags"])
    if current is None:
        if not wanted.get("applied_for"):
            _fail("applied_for", f"required to create a template; give one or more of {', '.join(APPLIED_FOR)}")
        if "image_tag_mutability_exclusion_filters" in wanted and not wanted["image_tag_mutability_exclusion_filters"]:
            del wanted["image_tag_mutability_exclusion_filters"]
        base = {
            "prefix": request["prefix"],
            "description": "",
            "image_tag_mutability": "mutable",
            "image_tag_mutability_exclusion_filters": [],
            "encryption": {"type": "AES256", "kms_key": None},
            "tags": {},
            "lifecycle_policy": None,
            "repository_policy": None,
            "custom_role_arn": None,
        }
        return "create", dict(base, **wanted), sorted(wanted)
    changed = sorted(key for key, value in wanted.items() if _differs(key, current.get(key), value))
    after = dict(current, **{key: wanted[key] for key in changed})
    return ("update" if changed else "none"), after, changed


def to_api(template):
    """Create/UpdateRepositoryCreationTemplate's parameters for a whole template in the module's spelling."""
    params = {
        "prefix": template["prefix"],
        "description": template.get("description") or "",
        "appliedFor": [value.upper() for value in template["applied_for"]],
        "imageTagMutability": template["image_tag_mutability"].upper(),
        "resourceTags": ansible_dict_to_boto3_tag_list(template.get("tags") or {}),
    }
    filters = template.get("image_tag_mutability_exclusion_filters")
    if filters:
        params["imageTagMutabilityExclusionFilters"] = [{"filterType": "WILDCARD", "filter": item} for item in filters]
    encryption = template.get("encryption") or {"type": "AES256"}
    params["encryptionConfiguration"] = {"encryptionType": encryption["type"]}
    if encryption.get("kms_key"):
        params["encryptionConfiguration"]["kmsKey"] = encryption["kms_key"]
    if template.get("lifecycle_policy"):
        params["lifecyclePolicy"] = lifecycle_rules.policy_text(template["lifecycle_policy"])
    if template.get("repository_policy"):
        params["repositoryPolicy"] = policy_text(template["repository_policy"], option="repository policy")
    if template.get("custom_role_arn"):
        params["customRoleArn"] = template["custom_role_arn"]
    return params
