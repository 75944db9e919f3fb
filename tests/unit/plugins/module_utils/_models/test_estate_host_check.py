# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""estate.host_check: one host's check and what configure.yml's later steps have to do for it."""

import pytest
from ansible_collections.dockyard.ecr.plugins.module_utils._models import estate

SOURCE = "123456789012"
DESTINATION = "210987654321"
CONSUMER = "111111111111"


def entry(account, region="us-east-1", name=None, **keys):
    return dict(
        {
            "name": name or f"reg-{account}",
            "account_id": account,
            "region": region,
            "repository_defaults": {"scan_on_push": True, "pull": [CONSUMER]},
            "repositories": [{"name": "team/app"}, {"name": "team/api", "scan_on_push": False}],
        },
        **keys,
    )


REPLICATION = [{"destinations": [{"region": "eu-west-1", "registry_id": DESTINATION}]}]
BLOCK = {"account_settings": {"REGISTRY_POLICY_SCOPE": "V2"}}


def test_a_registry_with_nothing_but_repositories_skips_every_registry_level_step():
    check = estate.host_check("reg", ["registries"], SOURCE, "us-east-1", registries=[entry(SOURCE)])
    assert check == {
        "problems": [],
        "replication_policy": None,
        "replication": None,
        "registry": None,
        "converge_registry": False,
        "repositories": [
            {"scan_on_push": True, "pull": [CONSUMER], "name": "team/app"},
            {"scan_on_push": False, "pull": [CONSUMER], "name": "team/api"},
        ],
    }


def test_a_registry_that_replicates_converges_its_rules_and_its_destination_grants_them():
    registries = [entry(SOURCE, replication=REPLICATION), entry(DESTINATION, "eu-west-1")]
    source = estate.host_check("src", ["registries"], SOURCE, "us-east-1", registries=registries)
    assert source["replication"] == REPLICATION and source["converge_registry"]
    assert source["replication_policy"] is None
    destination = estate.host_check("dst", ["registries"], DESTINATION, "eu-west-1", registries=registries)
    assert destination["replication"] is None and destination["converge_registry"]
    statement = destination["replication_policy"]["Statement"][0]
    assert statement["Sid"] == "DockyardReplicationFrom123456789012UsEast1"
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{SOURCE}:root"}


def test_an_empty_replication_list_is_converged_too():
    """`replication: []` removes every rule (ecr_replication), unlike no `replication` key at all."""
    check = estate.host_check("src", ["registries"], SOURCE, "us-east-1", registries=[entry(SOURCE, replication=[])])
    assert check["replication"] == [] and check["converge_registry"]


def test_a_consumer_only_ever_gets_the_replication_policy():
    registries = [entry(SOURCE, replication=[{"destinations": [{"region": "us-east-1", "registry_id": CONSUMER}]}])]
    check = estate.host_check("c", ["consumers"], CONSUMER, "us-east-1", registries=registries, roles=[])
    assert check["repositories"] is None and check["registry"] is None and check["replication"] is None
    assert check["replication_policy"]["Statement"][0]["Action"] == ["ecr:CreateRepository", "ecr:ReplicateImage"]
    assert check["converge_registry"]


@pytest.mark.parametrize("block, expected", [(BLOCK, BLOCK), ({}, None), (None, None)])
def test_the_registry_block_as_written_only_when_it_has_something(block, expected):
    check = estate.host_check("reg", ["registries"], SOURCE, "us-east-1", registries=[entry(SOURCE, registry=block)])
    assert check["registry"] == expected
    assert check["converge_registry"] is (expected is not None)


def test_the_registry_is_found_by_name():
    registries = [entry(SOURCE, name="main", registry=BLOCK)]
    check = estate.host_check("reg", ["registries"], SOURCE, "eu-west-1", registries=registries, registry="main")
    assert check["problems"] == [] and check["registry"] == BLOCK and len(check["repositories"]) == 2


def test_problems_leave_nothing_to_do():
    registries = [entry(SOURCE, replication=REPLICATION)]
    check = estate.host_check(
        "reg", ["registries"], SOURCE, "us-east-1", "arn:aws:iam::999999999999:role/x", registries
    )
    assert len(check["problems"]) == 1 and check["problems"][0].startswith("aws_role_arn: ")
    assert [check[key] for key in ("replication_policy", "replication", "registry", "repositories")] == [None] * 4
    assert check["converge_registry"] is False


def test_a_block_problem_names_the_part():
    registries = [entry(SOURCE, registry={"scanning": {"scan_type": "DEEP"}})]
    check = estate.host_check("reg", ["registries"], SOURCE, "us-east-1", registries=registries)
    assert len(check["problems"]) == 1 and "ecr_registries[0].registry.scanning" in check["problems"][0]


def test_the_message_names_the_account_and_every_problem():
    assert estate.check_message("h", "123", None, ["a: x", "b: y"]) == (
        "Account 123 (h, no region): a: x; b: y. Nothing was changed in this account; the other accounts go on."
    )
    assert estate.check_message("h", None, "us-east-1", ["a: x"]).startswith("Account (unknown) (h, us-east-1): a: x.")
