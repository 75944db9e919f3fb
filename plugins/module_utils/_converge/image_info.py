# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What ``ecr_image_info`` reads: a repository, its images and what each tag asked for points at (read only)."""

from ansible_collections.dockyard.ecr.plugins.module_utils._api.images import batch_get_images, describe_images
from ansible_collections.dockyard.ecr.plugins.module_utils._api.repositories import describe_repository
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import (
    validate_name,
    validate_registry_id,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.image import (
    image_from_api,
    tag_entry,
    tag_is_immutable,
    validate_tags,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.repository_settings import repository_from_api


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
            "tag_details": [tag_entry(tag, None, None, False, None) for tag in (tags or [])],
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
            tag_entries.append(tag_entry(tag, None, None, immutable, uri))
            continue
        detail = details.get(digest) or {"imageDigest": digest, "imageTags": [tag]}
        image = image_from_api(detail, by_digest[digest], uri)
        tag_entries.append(tag_entry(tag, digest, image["config_digest"], immutable, uri))
        if digest not in seen:
            seen.add(digest)
            images.append(image)
    return {"repository": repo, "images": images, "tag_details": tag_entries}
