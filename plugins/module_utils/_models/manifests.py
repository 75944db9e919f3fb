# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure image manifests: media types, parsing, the config digest, the digests a manifest list names."""

import json

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


def child_digests(manifest):
    """The digests a manifest list (image index) references, from its text; [] for anything else."""
    document = parse_manifest(manifest)
    return [m.get("digest") for m in document.get("manifests") or [] if isinstance(m, dict) and m.get("digest")]
