# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest
from ansible_collections.dockyard.ecr.plugins.module_utils._models import accounts_inventory as ai

ACCOUNTS = [
    {
        "id": "111111111111",
        "name": "Prod",
        "email": "p@x",
        "status": "ACTIVE",
        "ous": ["workloads", "prod"],
        "tags": {"dockyard:groups": "consumers"},
    },
    {
        "id": "123456789012",
        "name": "Registry",
        "email": "r@x",
        "status": "ACTIVE",
        "ous": [],
        "tags": {"dockyard:groups": "registries, consumers"},
    },
    {"id": "222222222222", "name": "Old one", "email": "o@x", "status": "SUSPENDED", "ous": [], "tags": {}},
]


def options(**kwargs):
    base = {"regions": ["us-east-1"], "role_name": "ecr-admin", "group_tag": "dockyard:groups", "ou_groups": True}
    base.update(kwargs)
    return base


def by_name(result):
    return {host["name"]: host for host in result}


def test_layout_the_playbooks_expect():
    result = by_name(ai.hosts(ACCOUNTS, options(), caller_account="123456789012"))
    assert sorted(result) == ["prod-us-east-1", "registry-us-east-1"]
    prod = result["prod-us-east-1"]
    assert prod["vars"]["aws_account_id"] == "111111111111"
    assert prod["vars"]["aws_region"] == "us-east-1"
    assert prod["vars"]["aws_role_arn"] == "arn:aws:iam::111111111111:role/ecr-admin"
    assert prod["vars"]["ansible_connection"] == "local"
    assert prod["groups"] == ["consumers", "ou_workloads", "ou_prod"]
    registry = result["registry-us-east-1"]
    assert "aws_role_arn" not in registry["vars"]
    assert registry["groups"] == ["registries", "consumers"]


def test_role_for_caller_and_templates():
    result = by_name(
        ai.hosts(
            ACCOUNTS,
            options(role_for_caller=True, role_name="ecr-{account_name}", hostname="{account_id}-{region}"),
            caller_account="123456789012",
        )
    )
    assert result["123456789012-us-east-1"]["vars"]["aws_role_arn"] == "arn:aws:iam::123456789012:role/ecr-registry"


def test_one_host_per_account_and_region_partition_aware():
    result = by_name(ai.hosts(ACCOUNTS[:1], options(regions=["eu-west-1", "cn-north-1", "us-gov-west-1"])))
    assert result["prod-cn-north-1"]["vars"]["aws_role_arn"] == "arn:aws-cn:iam::111111111111:role/ecr-admin"
    assert result["prod-us-gov-west-1"]["vars"]["aws_partition"] == "aws-us-gov"
    assert result["prod-eu-west-1"]["vars"]["aws_partition"] == "aws"


def test_statuses_and_filters():
    names = [h["vars"]["aws_account_id"] for h in ai.hosts(ACCOUNTS, options(statuses=["ACTIVE", "SUSPENDED"]))]
    assert names == ["222222222222", "111111111111", "123456789012"]
    only = ai.hosts(ACCOUNTS, options(accounts=["111111111111"]))
    assert [h["vars"]["aws_account_id"] for h in only] == ["111111111111"]
    without = ai.hosts(ACCOUNTS, options(exclude_accounts=["111111111111"]))
    assert [h["vars"]["aws_account_id"] for h in without] == ["123456789012"]


def test_no_role_name_no_role_arn_and_no_groups():
    result = ai.hosts(ACCOUNTS, options(role_name=None, group_tag="", ou_groups=False))
    assert all("aws_role_arn" not in h["vars"] and h["groups"] == [] for h in result)


def test_same_names_stay_distinct():
    twins = [dict(ACCOUNTS[0]), dict(ACCOUNTS[0], id="333333333333")]
    assert sorted(h["name"] for h in ai.hosts(twins, options())) == ["prod-us-east-1", "prod-us-east-1-333333333333"]


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"regions": []}, "regions: give at least one region"),
        ({"regions": ["moon-1"]}, "regions: 'moon-1' is not an AWS region name"),
        ({"role_name": "bad role"}, "role_name: 'bad role' does not give an IAM role name"),
        ({"role_name": "{account}"}, "role_name: '{account}' has a placeholder other than"),
        ({"hostname": "{nope}"}, "hostname: '{nope}' has a placeholder other than"),
        ({"accounts": ["123"]}, "accounts: '123' is not an AWS account ID"),
    ],
)
def test_bad_options(bad, message):
    with pytest.raises(ai.InventoryError) as caught:
        ai.hosts(ACCOUNTS, options(**bad))
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    "value, groups",
    [("registries", ["registries"]), ("a, b c/d", ["a", "b", "c", "d"]), ("", []), ("Team-X", ["team_x"])],
)
def test_tag_groups(value, groups):
    assert ai.tag_groups({"k": value}, "k") == groups
