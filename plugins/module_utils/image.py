# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Images in an ECR repository: what a tag points at, and whether ECR lets it move.

Used by ``ecr_image_info`` and, through it, by the ``publish`` role, which compares a locally
built image with what each registry holds before pushing and after:

- a tag's **image digest** is the digest of the manifest ECR stores (what ``docker pull
  REPO@DIGEST`` names); its **config digest** is the digest of the image configuration the
  manifest points at, which is what docker, podman and buildah call the image ID. Two pushes of
  the same local image give the same config digest even when the manifests differ (compression,
  OCI or docker media types), so the config digest answers "is this the image I built?".
- ``BatchGetImage`` is asked for every manifest type a registry may hold (``acceptedMediaTypes``);
  real ECR otherwise may answer with a converted schema 1 manifest, which has no config digest.
- whether a tag may be moved follows the repository's ``imageTagMutability`` and, for the
  ``*_WITH_EXCLUSION`` settings, its wildcard exclusion filters (``*`` matches any run of
  characters, the rest literally), as ECR applies them.

No module object here: functions take a client made by ``ecr.ecr_client()`` (calls accept
``aws_retry=True``) and raise ``ECRError``.
"""

import json
import re

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.dockyard.ecr.plugins.module_utils.ecr import ECRError, translate_errors
from ansible_collections.dockyard.ecr.plugins.module_utils.repository import (
    describe_repository,
    repository_from_api,
    validate_name,
    validate_registry_id,
)

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"
DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
# Manifests that name one image configuration, and lists of manifests (multi-platform images).
IMAGE_MANIFESTS = (OCI_MANIFEST, DOCKER_MANIFEST)
INDEX_MANIFESTS = (OCI_INDEX, DOCKER_MANIFEST_LIST)
# Everything BatchGetImage may return as it is stored, best first.
ACCEPTED_MEDIA_TYPES = [OCI_MANIFEST, DOCKER_MANIFEST, OCI_INDEX, DOCKER_MANIFEST_LIST, DOCKER_SCHEMA1_SIGNED]

# A tag as the OCI distribution spec and the container tools accept it.
TAG_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
BATCH_GET_MAX = 100  # BatchGetImage takes up to 100 image IDs
DESCRIBE_MAX = 100  # so does DescribeImages

MUTABLE = "mutable"
IMMUTABLE = "immutable"
MUTABLE_WITH_EXCLUSION = "mutable_with_exclusion"
IMMUTABLE_WITH_EXCLUSION = "immutable_with_exclusion"


class ImageError(ECRError):
    """A request about images that cannot be carried out as asked; the message names the option."""


# ---------------------------------------------------------------------------------------------
# Validation (pure)
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Manifests and tag mutability (pure)
# ---------------------------------------------------------------------------------------------


def parse_manifest(manifest):
    """The manifest as a dict, or {} when it is not a JSON object."""
    if not manifest:
        return {}
    try:
        document = json.loads(manifest)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def manifest_media_type(document, declared=None):
    """The manifest's media type: what ECR declares, else the document's own, else guessed from its shape."""
    if declared:
        return declared
    if document.get("mediaType"):
        return document["mediaType"]
    if document.get("schemaVersion") == 1:
        return DOCKER_SCHEMA1
    if "manifests" in document:
        return OCI_INDEX
    if "config" in document:
        return OCI_MANIFEST
    return None


def config_digest(document, media_type=None):
    """The digest of the image configuration a single-image manifest names; None for lists and schema 1."""
    media_type = manifest_media_type(document, media_type)
    if media_type not in IMAGE_MANIFESTS:
        return None
    digest = (document.get("config") or {}).get("digest")
    return digest if isinstance(digest, str) and digest else None


def wildcard_match(pattern, tag):
    """Whether ``tag`` matches an ECR exclusion filter: ``*`` is any run of characters, the rest literal."""
    expression = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(expression, tag) is not None


def tag_is_immutable(mutability, exclusion_filters, tag):
    """Whether ECR refuses to move ``tag`` once it exists, given a repository's settings (lower case)."""
    mutability = (mutability or MUTABLE).lower()
    excluded = any(wildcard_match(pattern, tag) for pattern in exclusion_filters or [])
    if mutability == IMMUTABLE:
        return True
    if mutability == IMMUTABLE_WITH_EXCLUSION:
        return not excluded
    if mutability == MUTABLE_WITH_EXCLUSION:
        return excluded
    return False


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def _registry_args(registry_id):
    return {"registryId": registry_id} if registry_id else {}


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start : start + size]


@AWSRetry.jittered_backoff()
def _paginate(client, operation, result_key, **kwargs):
    return client.get_paginator(operation).paginate(**kwargs).build_full_result().get(result_key, [])


def batch_get_images(client, repository, image_ids, registry_id=None):
    """BatchGetImage for ``image_ids`` (``imageTag``/``imageDigest`` dicts), 100 at a time.

    Returns (images, failures) as ECR gives them. Failures with code ``ImageNotFound`` (or
    ``ImageTagDoesNotMatchDigest``) mean the tag or digest is not there; any other failure code
    is raised as ImageError, naming the image and ECR's reason.
    """
    images, missing = [], []
    for chunk in _chunks(list(image_ids), BATCH_GET_MAX):
        with translate_errors(f"read images of repository {repository!r}"):
            response = client.batch_get_image(
                repositoryName=repository,
                imageIds=chunk,
                acceptedMediaTypes=ACCEPTED_MEDIA_TYPES,
                aws_retry=True,
                **_registry_args(registry_id),
            )
        images.extend(response.get("images") or [])
        for failure in response.get("failures") or []:
            code = failure.get("failureCode")
            if code in ("ImageNotFound", "ImageTagDoesNotMatchDigest"):
                missing.append(failure)
                continue
            image_id = failure.get("imageId") or {}
            which = image_id.get("imageTag") or image_id.get("imageDigest")
            raise ImageError(
                message=(
                    f"Failed to read image {repository}:{which}: {code}: {failure.get('failureReason')}"
                    + (
                        " (the manifest is of a type this module does not ask for)"
                        if code == "UnsupportedImageType"
                        else ""
                    )
                )
            )
    return images, missing


def describe_images(client, repository, digests=None, registry_id=None):
    """DescribeImages entries for ``digests`` (100 per call), or all images of the repository."""
    if digests is None:
        with translate_errors(f"list images of repository {repository!r}"):
            return _paginate(
                client, "describe_images", "imageDetails", repositoryName=repository, **_registry_args(registry_id)
            )
    details = []
    for chunk in _chunks(list(dict.fromkeys(digests)), DESCRIBE_MAX):
        with translate_errors(f"describe images of repository {repository!r}"):
            try:
                details.extend(
                    _paginate(
                        client,
                        "describe_images",
                        "imageDetails",
                        repositoryName=repository,
                        imageIds=[{"imageDigest": d} for d in chunk],
                        **_registry_args(registry_id),
                    )
                )
            except is_boto3_error_code("ImageNotFoundException"):
                # An image deleted between the two calls: ask for the others one by one.
                for digest in chunk:
                    try:
                        details.extend(
                            client.describe_images(
                                repositoryName=repository,
                                imageIds=[{"imageDigest": digest}],
                                aws_retry=True,
                                **_registry_args(registry_id),
                            ).get("imageDetails")
                            or []
                        )
                    except is_boto3_error_code("ImageNotFoundException"):
                        continue
    return details


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


def read_images(client, repository, tags=None, registry_id=None, registry_host=None):
    """The repository, its images and, for each tag asked for, what it points at.

    Returns ``{"repository": {...} or {}, "images": [...], "tag_details": [...]}``:

    - ``repository``: name, registry_id, arn, uri (with ``registry_host``), image_tag_mutability
      and its exclusion filters; ``{}`` when the repository does not exist (then nothing else is
      read, ``images`` is empty and every tag is reported missing).
    - ``images``: with ``tags``, the images those tags point at; without, every image of the
      repository; each with its digest, all its tags and its config digest.
    - ``tag_details``: one entry per tag asked for, in that order: ``found``, ``image_digest``,
      ``config_digest``, ``immutable`` (ECR would refuse to move it) and ``image_uri``.
    """
    repository = validate_name(repository, option="repository")
    registry_id = validate_registry_id(registry_id)
    tags = validate_tags(tags)

    entry = describe_repository(client, repository, registry_id)
    if entry is None:
        return {
            "repository": {},
            "images": [],
            "tag_details": [_tag_entry(tag, None, None, False, None) for tag in (tags or [])],
        }
    full = repository_from_api(entry, registry_host=registry_host)
    repo = {
        key: full[key]
        for key in (
            "name",
            "registry_id",
            "arn",
            "uri",
            "image_tag_mutability",
            "image_tag_mutability_exclusion_filters",
        )
    }
    registry_id = registry_id or repo["registry_id"]
    uri = repo["uri"]

    if tags is None:
        details = describe_images(client, repository, registry_id=registry_id)
        digests = [d["imageDigest"] for d in details if d.get("imageDigest")]
        manifests, _missing = batch_get_images(
            client, repository, [{"imageDigest": d} for d in digests], registry_id=registry_id
        )
        by_digest = {m["imageId"]["imageDigest"]: m for m in manifests if (m.get("imageId") or {}).get("imageDigest")}
        images = [image_from_api(d, by_digest.get(d.get("imageDigest")), uri) for d in details]
        images.sort(key=lambda i: (i["image_pushed_at"] or "", i["image_digest"] or ""))
        return {"repository": repo, "images": images, "tag_details": []}

    manifests, _missing = batch_get_images(client, repository, [{"imageTag": t} for t in tags], registry_id=registry_id)
    by_digest = {}
    for manifest in manifests:
        by_digest.setdefault((manifest.get("imageId") or {}).get("imageDigest"), manifest)
    by_digest.pop(None, None)
    details = {
        d["imageDigest"]: d for d in describe_images(client, repository, list(by_digest), registry_id=registry_id)
    }
    # Which image each tag names: from DescribeImages' tag lists. (BatchGetImage's imageId.imageTag
    # is the requested tag in ECR, but moto 5.2 answers with another tag of the same image.)
    tag_digest = {}
    for digest, detail in details.items():
        for tag in detail.get("imageTags") or []:
            tag_digest[tag] = digest
    for digest, manifest in by_digest.items():
        # An image deleted between the two calls: fall back on what BatchGetImage said.
        if digest not in details and manifest["imageId"].get("imageTag"):
            tag_digest.setdefault(manifest["imageId"]["imageTag"], digest)

    images, seen, tag_entries = [], set(), []
    for tag in tags:
        immutable = tag_is_immutable(repo["image_tag_mutability"], repo["image_tag_mutability_exclusion_filters"], tag)
        digest = tag_digest.get(tag)
        if digest is None:
            tag_entries.append(_tag_entry(tag, None, None, immutable, uri))
            continue
        detail = details.get(digest) or {"imageDigest": digest, "imageTags": [tag]}
        image = image_from_api(detail, by_digest[digest], uri)
        tag_entries.append(_tag_entry(tag, digest, image["config_digest"], immutable, uri))
        if digest not in seen:
            seen.add(digest)
            images.append(image)
    return {"repository": repo, "images": images, "tag_details": tag_entries}


def _tag_entry(tag, digest, config, immutable, uri):
    return {
        "tag": tag,
        "found": digest is not None,
        "image_digest": digest,
        "config_digest": config,
        "immutable": immutable,
        "image_uri": f"{uri}:{tag}" if uri else None,
    }
