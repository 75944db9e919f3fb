# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""An ``ecr_repo`` request (one repository's settings), pure: validation before any AWS call.

Settings use the modules' spelling: ``image_tag_mutability`` in lower case (``immutable``), encryption
types in upper case (``AES256``, ``KMS``, ``KMS_DSSE``), tags as a dict.
"""

import re

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import RepositoryError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.options import (
    ENCRYPTION_TYPES,
    KMS_ENCRYPTION_TYPES,
    MUTABILITIES,
    STATES,
    WITH_EXCLUSION,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import (
    validate_name,
    validate_registry_id,
)

# ImageTagMutabilityExclusionFilter: filterType WILDCARD, filter ^[0-9a-zA-Z._*-]{1,128}$, 1 to 5 of them.
FILTER_RE = re.compile(r"[0-9a-zA-Z._*-]{1,128}")
FILTERS_MAX = 5
# What ECR's kmsKey takes: a key ID (or multi-Region key ID), an alias name, or the ARN of either.
_KMS_KEY_ID = r"(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|mrk-[0-9a-fA-F]{32})"
_KMS_ALIAS = r"alias/[A-Za-z0-9/_-]{1,250}"
KMS_KEY_RE = re.compile(
    rf"(?:{_KMS_KEY_ID}|{_KMS_ALIAS}|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{{12}}:(?:key/{_KMS_KEY_ID}|{_KMS_ALIAS}))"
)
# ECR's tag limits: keys 1 to 128 characters, values up to 256, at most 50 tags; "aws:" keys are AWS's own.
MAX_TAGS = 50
MAX_TAG_KEY_LENGTH = 128
MAX_TAG_VALUE_LENGTH = 256


def _validate_mutability(mutability, filters):
    if mutability is not None:
        mutability = to_text(mutability).lower()
        if mutability not in MUTABILITIES:
            raise RepositoryError(
                message=f"image_tag_mutability: {mutability!r} is not one of {', '.join(MUTABILITIES)}",
                option="image_tag_mutability",
            )
    if filters is None:
        return mutability, None
    option = "image_tag_mutability_exclusion_filters"
    if mutability not in WITH_EXCLUSION:
        asked = f"image_tag_mutability={mutability}" if mutability else "image_tag_mutability is not set"
        raise RepositoryError(
            message=(
                f"{option}: exclusion filters only apply with image_tag_mutability=mutable_with_exclusion or "
                f"immutable_with_exclusion, but {asked}; set one of those or leave the filters out"
            ),
            option=option,
        )
    if not isinstance(filters, (list, tuple)):
        raise RepositoryError(
            message=f"{option}: give a list of wildcard filters such as ['latest', 'dev-*']", option=option
        )
    cleaned = []
    for item in filters:
        item = to_text(item) if item is not None else ""
        if not FILTER_RE.fullmatch(item):
            raise RepositoryError(
                message=(
                    f"{option}: {item!r} is not a valid filter; a filter has 1 to 128 characters from "
                    "letters, digits, '.', '_', '-' and the wildcard '*' (for example 'release-*')"
                ),
                option=option,
            )
        if item not in cleaned:
            cleaned.append(item)
    if not 1 <= len(cleaned) <= FILTERS_MAX:
        raise RepositoryError(
            message=(
                f"{option}: ECR takes 1 to {FILTERS_MAX} filters with image_tag_mutability={mutability}, "
                f"{len(cleaned)} given"
            ),
            option=option,
        )
    return mutability, cleaned


def _validate_encryption(encryption):
    if encryption is None:
        return None
    if not isinstance(encryption, dict):
        raise RepositoryError(message="encryption: give a dict with type and, optionally, kms_key", option="encryption")
    unknown = sorted(set(encryption) - {"type", "kms_key"})
    if unknown:
        raise RepositoryError(
            message=f"encryption: unknown key(s) {', '.join(unknown)}; encryption takes type and kms_key",
            option="encryption",
        )
    enc_type = encryption.get("type")
    kms_key = encryption.get("kms_key")
    if kms_key is not None:
        kms_key = to_text(kms_key).strip()
        if not kms_key:
            raise RepositoryError(
                message=(
                    "encryption.kms_key: empty; give a KMS key ID, key ARN, alias name or alias ARN, or leave it out"
                ),
                option="encryption.kms_key",
            )
        if not KMS_KEY_RE.fullmatch(kms_key):
            raise RepositoryError(
                message=(
                    f"encryption.kms_key: {kms_key!r} is not a KMS key ID, key ARN, alias name or alias ARN; give "
                    "for example 1234abcd-12ab-34cd-56ef-1234567890ab, alias/ecr, or "
                    "arn:aws:kms:REGION:ACCOUNT:key/KEY-ID with a 12-digit ACCOUNT"
                ),
                option="encryption.kms_key",
            )
    if enc_type is None:
        if kms_key is not None:
            raise RepositoryError(
                message=(
                    "encryption.kms_key: a KMS key needs encryption.type=KMS or KMS_DSSE; "
                    "add type: KMS (or KMS_DSSE) next to kms_key"
                ),
                option="encryption.kms_key",
            )
        raise RepositoryError(
            message=f"encryption.type: required when encryption is given; use one of {', '.join(ENCRYPTION_TYPES)}",
            option="encryption.type",
        )
    enc_type = to_text(enc_type).upper()
    if enc_type not in ENCRYPTION_TYPES:
        raise RepositoryError(
            message=(
                f"encryption.type: {encryption.get('type')!r} is not an ECR encryption type; "
                f"use one of {', '.join(ENCRYPTION_TYPES)}"
            ),
            option="encryption.type",
        )
    if kms_key is not None and enc_type not in KMS_ENCRYPTION_TYPES:
        raise RepositoryError(
            message=(
                f"encryption.kms_key: a KMS key needs encryption.type=KMS or KMS_DSSE, not {enc_type}; "
                "set type: KMS (or KMS_DSSE), or remove kms_key to use AES256"
            ),
            option="encryption.kms_key",
        )
    return {"type": enc_type, "kms_key": kms_key}


def _validate_tags(tags):
    if tags is None:
        return None
    if not isinstance(tags, dict):
        raise RepositoryError(message="tags: give a dict of tag names and values", option="tags")
    cleaned = {}
    for key, value in tags.items():
        if value is None:
            raise RepositoryError(
                message=f"tags: tag {key!r} has no value; give a string ('' for an empty value)",
                option="tags",
            )
        cleaned[to_text(key)] = to_text(value)
    # ECR's limits (InvalidTagParameterException, TooManyTagsException), checked before any call so that a
    # bad tag fails the task before anything is written.
    if len(cleaned) > MAX_TAGS:
        raise RepositoryError(
            message=f"tags: {len(cleaned)} tags; a repository can have at most {MAX_TAGS}", option="tags"
        )
    for key, value in cleaned.items():
        if not 1 <= len(key) <= MAX_TAG_KEY_LENGTH:
            raise RepositoryError(
                message=f"tags: tag key {key!r} has {len(key)} characters; give 1 to {MAX_TAG_KEY_LENGTH}",
                option="tags",
            )
        if key.lower().startswith("aws:"):
            raise RepositoryError(
                message=f"tags: tag key {key!r} starts with 'aws:', which AWS reserves for its own tags; rename it",
                option="tags",
            )
        if len(value) > MAX_TAG_VALUE_LENGTH:
            raise RepositoryError(
                message=(
                    f"tags: the value of tag {key!r} has {len(value)} characters; ECR allows at most "
                    f"{MAX_TAG_VALUE_LENGTH}"
                ),
                option="tags",
            )
    return cleaned


def validate_params(params):
    """Check a repository request before any AWS call; return it normalised (the ``desired`` dict).

    ``params`` holds the ecr_repo options (missing keys count as left out). Raises RepositoryError
    whose message names the option and the fix.
    """
    state = params.get("state") or "present"
    if state not in STATES:
        raise RepositoryError(message=f"state: {state!r} is not one of present, absent", option="state")
    mutability, filters = _validate_mutability(
        params.get("image_tag_mutability"), params.get("image_tag_mutability_exclusion_filters")
    )
    scan_on_push = params.get("scan_on_push")
    if scan_on_push is not None and not isinstance(scan_on_push, bool):
        raise RepositoryError(message="scan_on_push: give true or false", option="scan_on_push")
    purge_tags = params.get("purge_tags")
    return {
        "name": validate_name(params.get("name")),
        "state": state,
        "registry_id": validate_registry_id(params.get("registry_id")),
        "image_tag_mutability": mutability,
        "image_tag_mutability_exclusion_filters": filters,
        "scan_on_push": scan_on_push,
        "encryption": _validate_encryption(params.get("encryption")),
        "tags": _validate_tags(params.get("tags")),
        "purge_tags": True if purge_tags is None else bool(purge_tags),
        "force": bool(params.get("force")),
    }
