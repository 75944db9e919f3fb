# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Registry arguments, registry hosts and repository URIs (the ``registry_host`` override).

Pure: the ECR host of an account and region comes from ``partitions`` (botocore's endpoint data).
"""

import re

from ansible_collections.dockyard.ecr.plugins.module_utils._common import partitions


def registry_args(registry_id):
    """``{"registryId": ...}`` for an ECR call when a registry is named; {} for the caller's own."""
    return {"registryId": registry_id} if registry_id else {}


def normalize_registry_host(registry_host):
    """``https://host:port/`` -> ``host:port``; None and empty stay None."""
    if not registry_host:
        return None
    host = registry_host.strip()
    host = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", host)
    host = host.rstrip("/")
    return host or None


def registry_host_for(registry_id, region, registry_host=None):
    """The registry host for an account and region (any partition), or ``registry_host`` when one is given."""
    host = normalize_registry_host(registry_host)
    if host:
        return host
    return partitions.registry_host(registry_id, region)


def repository_uri(uri, registry_host=None):
    """Replace the host part of an ECR repository URI with ``registry_host`` (when given).

    ``123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app`` with ``127.0.0.1:5000`` gives
    ``127.0.0.1:5000/team/app``. None and empty URIs are returned as they are.
    """
    host = normalize_registry_host(registry_host)
    if not uri or not host:
        return uri
    parts = uri.split("/", 1)
    if len(parts) == 1:
        return host
    return f"{host}/{parts[1]}"
