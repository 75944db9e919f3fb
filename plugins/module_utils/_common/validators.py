# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Validators shared by every entry point (pure): account IDs, repository names, registry hosts, regions.

Each raises an ``ECRError`` subclass whose message names the option and the fix, before any AWS call.
"""

import re

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.dockyard.ecr.plugins.module_utils._common import partitions
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError, RepositoryError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.registry import normalize_registry_host

# An AWS account ID (a registry ID): exactly 12 digits.
ACCOUNT_ID_RE = re.compile(r"[0-9]{12}")
# An IAM role ARN in any partition: arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME
ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$")
# ECR's RepositoryName pattern as the current botocore service model gives it (it follows the OCI
# distribution spec: components joined by '.', '_', '__' or runs of '-'); 2 to 256 characters.
# The older pattern in the ECR API reference and in moto, (?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*...,
# is stricter: it refuses '__' and '--', which ECR itself accepts.
_NAME_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
NAME_RE = re.compile(rf"{_NAME_COMPONENT}(?:/{_NAME_COMPONENT})*")
NAME_MIN, NAME_MAX = 2, 256
# What registry_host may be: a host name or IPv4 address, or an [IPv6] address, with an optional port.
REGISTRY_HOST_RE = re.compile(r"^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")


def validate_name(name, option="name"):
    """Raise RepositoryError unless ``name`` is a valid ECR repository name."""
    if not isinstance(name, str) or not name:
        raise RepositoryError(message=f"{option}: a repository name is required", option=option)
    if not NAME_MIN <= len(name) <= NAME_MAX:
        raise RepositoryError(
            message=(
                f"{option}: {name!r} is {len(name)} characters long; "
                f"an ECR repository name has {NAME_MIN} to {NAME_MAX} characters"
            ),
            option=option,
        )
    if NAME_RE.fullmatch(name):
        return name
    hint = ""
    if name != name.lower() and NAME_RE.fullmatch(name.lower()):
        hint = f" (ECR names are lower case: use {name.lower()!r})"
    raise RepositoryError(
        message=(
            f"{option}: {name!r} is not a valid ECR repository name{hint}. Use lower-case letters and digits, "
            "with '.', '_', '__' or '-' between them and '/' between path components, starting and ending with a "
            "letter or digit (for example 'team/app-api')"
        ),
        option=option,
    )


def validate_registry_id(registry_id, option="registry_id", error=RepositoryError):
    """The 12-digit account ID ``registry_id`` (stripped), None when left out; ``error`` naming ``option`` else."""
    if registry_id is None:
        return None
    registry_id = to_text(registry_id).strip()
    if not ACCOUNT_ID_RE.fullmatch(registry_id):
        raise error(
            message=(
                f"{option}: {registry_id!r} is not an AWS account ID; give the 12 digits of the account "
                "that owns the registry (as a quoted string, so leading zeros stay), or leave it out for your own"
            ),
            option=option,
        )
    return registry_id


def validate_role_arn(role_arn, option="role_arn", error=ECRError):
    """The IAM role ARN ``role_arn`` (stripped), None when left out or empty; ``error`` naming ``option`` else."""
    if role_arn is None or not to_text(role_arn).strip():
        return None
    role_arn = to_text(role_arn).strip()
    if not ROLE_ARN_RE.match(role_arn):
        raise error(
            message=(
                f"{option}: {role_arn!r} is not an IAM role ARN; give arn:aws:iam::ACCOUNT:role/NAME (with the "
                "partition of the account: aws, aws-cn, aws-us-gov...)"
            ),
            option=option,
        )
    return role_arn


def validate_registry_host(registry_host, option="registry_host", error=ECRError):
    """Reject a registry_host that is not a host[:port] (after dropping a scheme and slashes)."""
    host = normalize_registry_host(registry_host)
    if host is None:
        return None
    if not REGISTRY_HOST_RE.match(host):
        raise error(
            message=(
                f"{option}: {registry_host!r} is not a host name with an optional port; give it as HOST or "
                "HOST:PORT without a path (for example 123456789012.dkr.ecr.eu-west-1.amazonaws.com or 127.0.0.1:5000)"
            ),
            option=option,
        )
    return _check_host_parts(host, option, error)


def _check_host_parts(host, option, error):
    """Refuse what the shape regex lets through: a port outside 1-65535, a name label starting or ending
    with ``-`` (``-oProxyCommand``-like values read as options by the tools the host is given to) or empty."""
    if host.startswith("["):
        name, _bracket, rest = host.partition("]")
        port = rest[1:] if rest.startswith(":") else None
    else:
        name, sep, port = host.rpartition(":")
        if not sep:
            name, port = host, None
        labels = name.split(".")
        if any(not label or label.startswith("-") or label.endswith("-") for label in labels):
            raise error(
                message=(
                    f"{option}: {host!r} is not a host name: each dot-separated part is letters, digits, '-' and '_'"
                    " and starts and ends with a letter or digit; give the registry's host name (for example"
                    " 123456789012.dkr.ecr.eu-west-1.amazonaws.com or 127.0.0.1:5000)"
                ),
                option=option,
            )
    if port is not None and not (port.isdigit() and 1 <= int(port) <= 65535):
        raise error(
            message=f"{option}: {host!r} has port {port or '(empty)'}; a port is a number from 1 to 65535",
            option=option,
        )
    return host


def validate_region(region, option="region", error=ECRError):
    """``region`` when it has the shape of an AWS region name; ``error`` naming ``option`` else."""
    if not partitions.is_region_name(region):
        raise error(message=f"{option}: {region!r} is not an AWS region; give one like 'eu-west-1'", option=option)
    return region
