# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Promoting an image that is already in ECR: what has to move where (pure, no boto3).

``ecr_image_promote`` reads the source image and, for every destination, what its tags point at;
this module turns that into a plan and checks it before anything is written:

- a destination whose tags all name the source digest: nothing to do;
- the source digest is already in the destination repository (the same repository, or an earlier
  promotion): **retag** server-side, ``PutImage`` of the same manifest for the missing tags, no layer
  traffic;
- otherwise: **copy** the image registry to registry (``skopeo copy --all --preserve-digests``, the
  whole index of a multi-platform image) to the first tag, then retag for the others;
- a tag that exists, names another image and that ECR keeps immutable: an error naming the tag and
  both digests, raised for all destinations before the first write.

Also the skopeo command line (no secret in it: the credentials go in a 0600 auth file whose content
``auth_file_document`` builds) and the diff.
"""

import base64
import json
import re

from ansible_collections.dockyard.ecr.plugins.module_utils._common.partitions import is_region_name

DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
REGISTRY_ID_RE = re.compile(r"^[0-9]{12}$")
ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$")
HOST_RE = re.compile(r"^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")

NONE, RETAG, COPY = "none", "retag", "copy"


class PromoteError(Exception):
    """Bad input or a plan ECR would refuse; ``option`` names the option at fault."""

    def __init__(self, message, option=None):
        super().__init__(message)
        self.message = message
        self.option = option


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def _check(pattern, value, option, what, example):
    if value is None:
        return None
    if not isinstance(value, str) or not pattern.match(value):
        raise PromoteError(f"{option}: {value!r} is not {what} (for example {example})", option=option)
    return value


def _host(value, option):
    if not value:
        return None
    host = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", value.strip()).rstrip("/")
    return _check(HOST_RE, host, option, "a host name with an optional port", "127.0.0.1:5000")


def _tags(tags):
    result = []
    for tag in tags or []:
        if tag not in result:
            result.append(tag)
    return result


def _common(spec, option, default_region):
    region = spec.get("region") or default_region
    if not region:
        raise PromoteError(f"{option}.region: no region; set it or the module's region", option=f"{option}.region")
    if not is_region_name(region):
        raise PromoteError(
            f"{option}.region: {region!r} is not an AWS region name (for example eu-west-1)", option=f"{option}.region"
        )
    return {
        "registry_id": _check(
            REGISTRY_ID_RE, spec.get("registry_id"), f"{option}.registry_id", "an AWS account ID", "'123456789012'"
        ),
        "region": region,
        "role_arn": _check(
            ROLE_ARN_RE,
            spec.get("role_arn"),
            f"{option}.role_arn",
            "an IAM role ARN",
            "arn:aws:iam::111111111111:role/promote",
        ),
        "registry_host": _host(spec.get("registry_host"), f"{option}.registry_host"),
    }


def validate_source(source, default_region):
    """The source with defaults applied; PromoteError naming ``source.<key>`` otherwise.

    Repository names and tags are checked by the shared validators before this (the module does it).
    """
    source = dict(source or {})
    result = _common(source, "source", default_region)
    result["repository"] = source.get("repository")
    if not result["repository"]:
        raise PromoteError("source.repository: required (the repository that holds the image)", option="source")
    tag, digest = source.get("tag"), source.get("digest")
    if bool(tag) == bool(digest):
        raise PromoteError(
            "source: give exactly one of source.tag and source.digest (the image to promote)", option="source"
        )
    result["tag"] = tag or None
    result["digest"] = _check(DIGEST_RE, digest, "source.digest", "an image digest", "sha256:<64 hex digits>")
    return result


def validate_destinations(destinations, source):
    """The destinations with defaults from ``source``; PromoteError naming ``destinations[i].<key>`` otherwise."""
    if not destinations:
        raise PromoteError("destinations: give at least one destination", option="destinations")
    result = []
    for index, spec in enumerate(destinations):
        option = f"destinations[{index}]"
        spec = dict(spec or {})
        entry = _common(spec, option, source["region"])
        entry["repository"] = spec.get("repository") or source["repository"]
        tags = _tags(spec.get("tags"))
        if not tags and source["tag"]:
            tags = [source["tag"]]
        if not tags:
            raise PromoteError(
                f"{option}.tags: the source is given by digest, so name the tags the image gets here "
                "(for example [v1.4.0])",
                option=f"{option}.tags",
            )
        entry["tags"] = tags
        entry["index"] = index
        result.append(entry)
    return result


# ---------------------------------------------------------------------------------------------
# Plan
# ---------------------------------------------------------------------------------------------


def where(destination):
    registry = destination.get("registry_id") or "the caller's registry"
    return f"{destination['repository']} in {registry} {destination['region']}"


def plan_destination(digest, destination, state):
    """What one destination needs, from ``state`` (what was read there).

    ``state``: ``{"repository": {...} or None, "tags": {tag: digest or None}, "immutable": set of the
    tags ECR would not move (from the repository's tag mutability and exclusion filters),
    "has_digest": bool}``.

    Returns ``{"action", "copy_tag", "retag", "moved", "unchanged", "before", "after"}``: ``copy_tag``
    is the tag the copy lands on (None unless ``action`` is copy); ``retag`` the tags to point at the
    digest with PutImage (after the copy); ``moved`` the tags among them that named another image.
    """
    repository = state.get("repository")
    option = f"destinations[{destination['index']}]"
    if not repository:
        raise PromoteError(
            f"{option}.repository: {where(destination)} does not exist; create it first "
            "(dockyard.ecr.ecr_repo or the repositories role)",
            option=f"{option}.repository",
        )
    current = state.get("tags") or {}
    missing, moved, unchanged, conflicts = [], [], [], []
    for tag in destination["tags"]:
        now = current.get(tag)
        if now == digest:
            unchanged.append(tag)
            continue
        if now is not None:
            if tag in (state.get("immutable") or ()):
                conflicts.append(f"tag '{tag}' is immutable and points at {now}")
                continue
            moved.append(tag)
        missing.append(tag)
    if conflicts:
        listed = "; ".join(conflicts)
        raise PromoteError(
            f"{option}.tags: in {where(destination)}, {listed}, not at {digest}. "
            "ECR does not move immutable tags: promote under another tag or leave these out.",
            option=f"{option}.tags",
        )
    before = {tag: current.get(tag) for tag in destination["tags"]}
    after = {tag: digest for tag in destination["tags"]}
    if not missing:
        action, copy_tag, retag = NONE, None, []
    elif state.get("has_digest"):
        action, copy_tag, retag = RETAG, None, missing
    else:
        action, copy_tag, retag = COPY, missing[0], missing[1:]
    return {
        "action": action,
        "copy_tag": copy_tag,
        "retag": retag,
        "moved": moved,
        "unchanged": unchanged,
        "before": before,
        "after": after,
    }


def same_repository(source, destination):
    """Whether a destination names the source repository itself (same registry, region and name)."""

    def side(entry):
        return (entry["repository"], entry["region"], entry.get("registry_id") or None)

    return side(destination) == side(source)


# ---------------------------------------------------------------------------------------------
# skopeo and its auth file
# ---------------------------------------------------------------------------------------------


def image_reference(host, repository, tag=None, digest=None):
    """``docker://HOST/REPO@DIGEST`` or ``docker://HOST/REPO:TAG`` (skopeo's transport syntax)."""
    if digest:
        return f"docker://{host}/{repository}@{digest}"
    return f"docker://{host}/{repository}:{tag}"


def skopeo_argv(skopeo, authfile, source_ref, destination_ref, digestfile):
    """The skopeo command: the whole image (every platform of an index), digests kept, no secret in argv."""
    return [
        skopeo,
        "copy",
        "--all",
        "--preserve-digests",
        "--retry-times",
        "3",
        "--authfile",
        authfile,
        "--digestfile",
        digestfile,
        source_ref,
        destination_ref,
    ]


def auth_file_document(logins):
    """``{"auths": {host: {"auth": base64(user:password)}}}`` for ``{host: (user, password)}``."""
    auths = {}
    for host, (username, password) in sorted(logins.items()):
        auths[host] = {"auth": base64.b64encode(f"{username}:{password}".encode("utf-8")).decode("ascii")}
    return json.dumps({"auths": auths}, indent=2, sort_keys=True) + "\n"


def diff(destinations):
    """Before/after per destination: ``{"REGISTRY/REGION/REPO": {tag: digest}}``."""
    before, after = {}, {}
    for entry in destinations:
        key = f"{entry['registry_id'] or ''}/{entry['region']}/{entry['repository']}"
        before[key] = entry["plan"]["before"]
        after[key] = entry["plan"]["after"]
    return {"before": before, "after": after}
