# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Promote an image: read the source and every destination, plan all, then write (same path in check mode).

Reads are ``DescribeRepositories`` and ``DescribeImages`` only; a destination whose tags already name
the source digest costs no write and no pull. Every destination is planned (and its immutable-tag
conflicts raised) before the first write, so a refused promotion changes nothing anywhere.
"""

from ansible_collections.dockyard.ecr.plugins.module_utils._api.images_copy import (
    describe_image,
    get_manifest,
    login,
    put_tag,
    skopeo_copy,
    wait_for_digest,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._api.repositories import describe_repository
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._models.image import tag_is_immutable
from ansible_collections.dockyard.ecr.plugins.module_utils._models.manifests import INDEX_MANIFESTS
from ansible_collections.dockyard.ecr.plugins.module_utils._models.promote_plan import (
    COPY,
    NONE,
    PromoteError,
    diff,
    image_reference,
    plan_destination,
    same_repository,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.repository_settings import repository_from_api

# How long a copied image may take to show in DescribeImages (ECR answers at once; a registry that
# indexes pushes asynchronously, like the local emulator, takes a moment).
VERIFY_TIMEOUT = 30.0


def _fail(message, option):
    raise ECRError(message=message, option=option)


def read_source(clients, source):
    client = clients.get("ecr", source["region"], source["role_arn"])
    entry = describe_repository(client, source["repository"], source["registry_id"])
    if entry is None:
        _fail(
            f"source.repository: {source['repository']} does not exist in "
            f"{source['registry_id'] or 'the caller'}'s registry in {source['region']}",
            "source.repository",
        )
    repository = repository_from_api(entry, registry_host=source["registry_host"])
    detail = describe_image(
        client, source["repository"], repository["registry_id"], tag=source["tag"], digest=source["digest"]
    )
    if detail is None:
        which = f"tag {source['tag']!r}" if source["tag"] else f"digest {source['digest']}"
        option = "source.tag" if source["tag"] else "source.digest"
        _fail(f"{option}: {source['repository']} has no image with {which}", option)
    media_type = detail.get("imageManifestMediaType")
    return {
        "repository": repository,
        "digest": detail["imageDigest"],
        "media_type": media_type,
        "is_index": media_type in INDEX_MANIFESTS,
        "tags": sorted(detail.get("imageTags") or []),
    }


def read_destination(clients, source, destination, digest):
    client = clients.get("ecr", destination["region"], destination["role_arn"])
    entry = describe_repository(client, destination["repository"], destination["registry_id"])
    if entry is None:
        return {"repository": None}
    repository = repository_from_api(entry, registry_host=destination["registry_host"])
    registry_id = repository["registry_id"]
    tags, immutable = {}, set()
    for tag in destination["tags"]:
        detail = describe_image(client, destination["repository"], registry_id, tag=tag)
        tags[tag] = detail["imageDigest"] if detail else None
        if tag_is_immutable(
            repository["image_tag_mutability"], repository["image_tag_mutability_exclusion_filters"], tag
        ):
            immutable.add(tag)
    has_digest = digest in tags.values() or same_repository(source, destination)
    if not has_digest:
        has_digest = describe_image(client, destination["repository"], registry_id, digest=digest) is not None
    return {"repository": repository, "tags": tags, "immutable": immutable, "has_digest": has_digest}


def _host(uri):
    return uri.split("/", 1)[0]


def _copy(clients, run_command, source, src, destination, entry, digest):
    """skopeo copy of the whole image to ``copy_tag``, then check the digest that landed."""
    src_client = clients.get("ecr", source["region"], source["role_arn"])
    dst_client = clients.get("ecr", destination["region"], destination["role_arn"])
    src_host, dst_host = _host(src["repository"]["uri"]), _host(entry["uri"])
    logins = {src_host: login(src_client, source["region"])}
    logins[dst_host] = login(dst_client, destination["region"])
    written = skopeo_copy(
        run_command,
        logins,
        image_reference(src_host, source["repository"], digest=digest),
        image_reference(dst_host, destination["repository"], tag=entry["plan"]["copy_tag"]),
    )
    if written != digest:
        raise ECRError(
            message=(
                f"Failed to promote to {entry['uri']}: the registry stored digest {written}, not the source's {digest}"
            )
        )
    detail = wait_for_digest(dst_client, destination["repository"], digest, entry["registry_id"], VERIFY_TIMEOUT)
    if detail is None:
        raise ECRError(message=f"Failed to promote to {entry['uri']}: {digest} does not show in DescribeImages")


def _retag(clients, destination, entry, digest, tags):
    client = clients.get("ecr", destination["region"], destination["role_arn"])
    manifest, media_type = get_manifest(client, destination["repository"], digest, entry["registry_id"])
    for tag in tags:
        put_tag(client, destination["repository"], tag, manifest, media_type, digest, entry["registry_id"])


def promote(clients, source, destinations, check_mode=False, run_command=None):
    """Read, plan (raising on any conflict), then write unless ``check_mode``. Returns the result dict."""
    src = read_source(clients, source)
    digest = src["digest"]
    planned = []
    for destination in destinations:
        state = read_destination(clients, source, destination, digest)
        try:
            plan = plan_destination(digest, destination, state)
        except PromoteError as e:
            raise ECRError(message=e.message, option=e.option) from e
        repository = state["repository"]
        planned.append(
            {
                "repository": destination["repository"],
                "registry_id": repository["registry_id"],
                "region": destination["region"],
                "uri": repository["uri"],
                "image_uri": f"{repository['uri']}@{digest}",
                "action": plan["action"],
                "tags": destination["tags"],
                "tags_added": plan["retag"] + ([plan["copy_tag"]] if plan["copy_tag"] else []),
                "tags_moved": plan["moved"],
                "plan": plan,
                "spec": destination,
            }
        )
    if not check_mode:
        for entry in planned:
            plan = entry["plan"]
            if plan["action"] == COPY:
                _copy(clients, run_command, source, src, entry["spec"], entry, digest)
            if plan["retag"]:
                _retag(clients, entry["spec"], entry, digest, plan["retag"])
    destinations_out = []
    for entry in planned:
        out = {k: v for k, v in entry.items() if k not in ("plan", "spec")}
        out["tags_added"] = [t for t in entry["tags"] if t in out["tags_added"]]
        destinations_out.append(out)
    return {
        "changed": any(entry["action"] != NONE for entry in planned),
        "image": {
            "digest": digest,
            "media_type": src["media_type"],
            "is_index": src["is_index"],
            "source_uri": f"{src['repository']['uri']}@{digest}",
            "source_tags": src["tags"],
        },
        "destinations": destinations_out,
        "diff": diff(planned),
    }
