# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Images, pure: tag validation, tag mutability, an image in snake_case.

Whether a tag may be moved follows the repository's ``imageTagMutability`` and, for the ``*_WITH_EXCLUSION``
settings, its wildcard exclusion filters (``*`` matches any run of characters, the rest literally), as ECR
applies them.
"""

import re

from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ImageError
from ansible_collections.dockyard.ecr.plugins.module_utils._models.manifests import (
    config_digest,
    manifest_media_type,
    parse_manifest,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.wildcards import tag_matches_pattern

# A tag as the OCI distribution spec and the container tools accept it.
TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")

MUTABLE = "mutable"
IMMUTABLE = "immutable"
MUTABLE_WITH_EXCLUSION = "mutable_with_exclusion"
IMMUTABLE_WITH_EXCLUSION = "immutable_with_exclusion"


def validate_tags(tags, option="image_tags"):
    """The tags without duplicates (first occurrence kept), or ImageError naming the bad one."""
    if tags is None:
        return None
    result = []
    for tag in tags:
        if not isinstance(tag, str) or not TAG_RE.fullmatch(tag):
            raise ImageError(
                message=(
                    f"{option}: {tag!r} is not a valid image tag; a tag has 1 to 128 letters, digits, '_', '.' "
                    "or '-' and does not start with '.' or '-' (for example 'v1.2.3' or '1a2b3c4d5e6f')"
                ),
                option=option,
            )
        if tag not in result:
            result.append(tag)
    return result


def tag_is_immutable(mutability, exclusion_filters, tag):
    """Whether ECR refuses to move ``tag`` once it exists, given a repository's settings (lower case)."""
    mutability = (mutability or MUTABLE).lower()
    excluded = any(tag_matches_pattern(tag, pattern) for pattern in exclusion_filters or [])
    if mutability == IMMUTABLE:
        return True
    if mutability == IMMUTABLE_WITH_EXCLUSION:
        return not excluded
    if mutability == MUTABLE_WITH_EXCLUSION:
        return excluded
    return False


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def image_from_api(detail, manifest_entry=None, uri=None):
    """A DescribeImages entry (plus, when known, its BatchGetImage entry) in snake_case."""
    document = parse_manifest((manifest_entry or {}).get("imageManifest"))
    media_type = manifest_media_type(
        document,
        detail.get("imageManifestMediaType") or (manifest_entry or {}).get("imageManifestMediaType"),
    )
    digest = detail.get("imageDigest")
    return {
        "image_digest": digest,
        "image_tags": sorted(detail.get("imageTags") or []),
        "config_digest": config_digest(document, media_type) if document else None,
        "image_manifest_media_type": media_type,
        "artifact_media_type": detail.get("artifactMediaType"),
        "image_size_in_bytes": detail.get("imageSizeInBytes"),
        "image_pushed_at": _iso(detail.get("imagePushedAt")),
        "image_uri": f"{uri}@{digest}" if uri and digest else None,
    }


def tag_entry(tag, digest, config, immutable, uri):
    return {
        "tag": tag,
        "found": digest is not None,
        "image_digest": digest,
        "config_digest": config,
        "immutable": immutable,
        "image_uri": f"{uri}:{tag}" if uri else None,
    }
