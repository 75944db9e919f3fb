# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""``repository:tag`` and ``repository@digest`` as users write them (pure)."""

import re

DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
DEFAULT_TAG = "latest"


class ReferenceError(Exception):
    """A reference that names no image; the message says what was expected."""


def parse_reference(term):
    """``(repository, tag, digest)`` from ``REPO[:TAG]`` or ``REPO@DIGEST``; the tag defaults to latest.

    A registry host in front (``HOST/REPO:TAG``, with a dot or a port in the first part) is refused:
    the registry is chosen with ``registry_id``/``region``, not by host name.
    """
    if not isinstance(term, str) or not term.strip():
        raise ReferenceError(f"{term!r} is not an image reference; give REPOSITORY:TAG or REPOSITORY@DIGEST")
    term = term.strip()
    first = term.split("/", 1)[0]
    if "/" in term and ("." in first or ":" in first) and first != term:
        raise ReferenceError(
            f"{term!r} starts with a registry host ({first}); give the repository without it and choose the registry "
            "with registry_id and region"
        )
    if "@" in term:
        repository, digest = term.split("@", 1)
        if not DIGEST_RE.match(digest):
            raise ReferenceError(f"{term!r}: {digest!r} is not an image digest (sha256: and 64 hex digits)")
        return repository, None, digest
    repository, sep, tag = term.rpartition(":")
    if not sep:
        return term, DEFAULT_TAG, None
    if not tag:
        raise ReferenceError(f"{term!r} has an empty tag; give REPOSITORY:TAG")
    return repository, tag, None
