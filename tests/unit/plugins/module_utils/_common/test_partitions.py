# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest
from ansible_collections.dockyard.ecr.plugins.module_utils._common import partitions


@pytest.mark.parametrize(
    "region, partition, suffix",
    [
        ("us-east-1", "aws", "amazonaws.com"),
        ("eu-west-1", "aws", "amazonaws.com"),
        ("cn-north-1", "aws-cn", "amazonaws.com.cn"),
        ("cn-northwest-1", "aws-cn", "amazonaws.com.cn"),
        ("us-gov-west-1", "aws-us-gov", "amazonaws.com"),
        ("us-iso-east-1", "aws-iso", "c2s.ic.gov"),
        ("us-isob-east-1", "aws-iso-b", "sc2s.sgov.gov"),
        # Not yet in botocore's region list: the region regex decides.
        ("ap-southeast-99", "aws", "amazonaws.com"),
        ("cn-south-9", "aws-cn", "amazonaws.com.cn"),
    ],
)
def test_partition_and_suffix(region, partition, suffix):
    assert partitions.partition_for_region(region) == partition
    assert partitions.dns_suffix(region) == suffix


def test_registry_host_per_partition():
    assert partitions.registry_host("123456789012", "eu-west-1") == "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    assert partitions.registry_host("123456789012", "cn-north-1") == "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"
    assert partitions.registry_host("123456789012", "us-gov-west-1", fips=True) == (
        "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com"
    )


def test_registry_host_re_matches_every_partition_and_nothing_else():
    regex = partitions.registry_host_re()
    match = regex.match("123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov")
    assert match and match.group("account") == "123456789012" and match.group("region") == "us-iso-east-1"
    assert regex.match("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn")
    assert not regex.match("123456789012.dkr.ecr.us-east-1.example.com")
    assert not regex.match("12345678901.dkr.ecr.us-east-1.amazonaws.com")


def test_repository_arn_uses_the_partition():
    assert partitions.repository_arn("123456789012", "us-gov-east-1", "team/app") == (
        "arn:aws-us-gov:ecr:us-gov-east-1:123456789012:repository/team/app"
    )
    assert partitions.repository_arn("123456789012", "cn-north-1", "team/*") == (
        "arn:aws-cn:ecr:cn-north-1:123456789012:repository/team/*"
    )


@pytest.mark.parametrize("region, ok", [("eu-west-1", True), ("us-gov-west-1", True), ("euwest1", False), ("", False)])
def test_is_region_name(region, ok):
    assert partitions.is_region_name(region) is ok


def test_warm_loads_the_partitions_once(monkeypatch):
    """warm() parses botocore's endpoints.json in the process that calls it (the controller), not again later."""
    monkeypatch.setattr(partitions, "_PARTITIONS", [])
    reads = []
    real = partitions._endpoint_data
    monkeypatch.setattr(partitions, "_endpoint_data", lambda: reads.append(1) or real())
    partitions.warm()
    assert reads == [1]
    assert partitions.partition_for_region("cn-north-1") == "aws-cn"
    assert (
        partitions.registry_host("123456789012", "us-gov-west-1") == "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com"
    )
    assert reads == [1]
