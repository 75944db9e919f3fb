# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Partitions, DNS suffixes, registry hosts and ARNs, from botocore's own endpoint data.

The one home of "which partition is this region in" and "what is the ECR registry host of this
account and region". botocore ships the partitions (``endpoints.json``: each partition's region list,
region regex and DNS suffix); reading it here keeps the collection right for partitions added after
it was written (aws-iso-e, aws-iso-f, aws-eusc, ...) without a table of our own.

Nothing here calls AWS: the functions are pure apart from loading botocore's data once, so the pure
models in ``_models`` may use them.
"""

import json
import re

from ansible_collections.dockyard.ecr.plugins.module_utils._common import lazy_imports

# What an AWS region name looks like (before we ask botocore which partition it belongs to).
REGION_RE = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-[0-9]+$")

_DEFAULT = {"partition": "aws", "dnsSuffix": "amazonaws.com"}
_PARTITIONS = []


def _endpoint_data():
    """botocore's ``endpoints.json``, read from botocore's data directory, else through botocore's loader; None
    without botocore. The filter plugins import this module in every Ansible worker, where importing
    ``botocore.loaders`` (0.06 s of CPU) costs five times reading the file (0.012 s)."""
    path = lazy_imports.package_file("botocore", "data", "endpoints.json")
    if path:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    if lazy_imports.available("botocore"):
        return lazy_imports.load("botocore.loaders").create_loader().load_data("endpoints")
    return None


def _partitions():
    """botocore's partitions: [{"partition", "dnsSuffix", "regions": set, "regex": compiled}], loaded once."""
    if not _PARTITIONS:
        loaded = []
        data = _endpoint_data()
        if data:
            for item in data.get("partitions", []):
                loaded.append(
                    {
                        "partition": item["partition"],
                        "dnsSuffix": item["dnsSuffix"],
                        "regions": set(item.get("regions", {})),
                        "regex": re.compile(item["regionRegex"]) if item.get("regionRegex") else None,
                    }
                )
        _PARTITIONS.extend(loaded or [dict(_DEFAULT, regions=set(), regex=None)])
    return _PARTITIONS


def warm():
    """Load botocore's partitions now: in the controller's main process, for the Ansible workers forked afterwards
    (one per task and host) to inherit instead of each parsing ``endpoints.json`` again (docs/performance.md)."""
    _partitions()


def _lookup(region):
    region = str(region or "")
    partitions = _partitions()
    for item in partitions:
        if region in item["regions"]:
            return item
    for item in partitions:
        if item["regex"] is not None and item["regex"].match(region):
            return item
    # botocore's own fallback for a region it does not know: the aws partition.
    for item in partitions:
        if item["partition"] == "aws":
            return item
    return _DEFAULT


def partition_for_region(region):
    """``aws``, ``aws-cn``, ``aws-us-gov``, ``aws-iso``, ... for a region name."""
    return _lookup(region)["partition"]


def dns_suffix(region):
    """``amazonaws.com``, ``amazonaws.com.cn``, ``c2s.ic.gov``, ... for a region name."""
    return _lookup(region)["dnsSuffix"]


def known_partitions():
    """The partition names botocore knows, in its order."""
    return [item["partition"] for item in _partitions()]


def known_regions():
    """Every region botocore's endpoint data lists, in any partition (empty without botocore)."""
    return set().union(*(item["regions"] for item in _partitions()))


def is_region_name(region):
    """True when ``region`` has the shape of an AWS region name (``eu-west-1``, ``us-gov-west-1``)."""
    return bool(REGION_RE.match(str(region or "")))


def registry_host(registry_id, region, fips=False):
    """The host of an account's private registry: ``ACCOUNT.dkr.ecr[-fips].REGION.SUFFIX``."""
    service = "dkr.ecr-fips" if fips else "dkr.ecr"
    return f"{registry_id}.{service}.{region}.{dns_suffix(region)}"


def registry_host_re():
    """A compiled regex matching any partition's ECR registry host; groups ``account`` and ``region``."""
    suffixes = sorted({re.escape(item["dnsSuffix"]) for item in _partitions()}, key=len, reverse=True)
    return re.compile(
        r"^(?P<account>[0-9]{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.(?:" + "|".join(suffixes) + r")$"
    )


def arn(service, region, account_id, resource, partition=None):
    """``arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE``; the partition from the region unless given."""
    if partition is None:
        partition = partition_for_region(region) if region else "aws"
    return f"arn:{partition}:{service}:{region or ''}:{account_id}:{resource}"


def repository_arn(registry_id, region, name):
    """The ARN of an ECR repository (``name`` may be a prefix ending in ``*``)."""
    return arn("ecr", region, registry_id, f"repository/{name}")
