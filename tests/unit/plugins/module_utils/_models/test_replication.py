# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""_models/replication.py: rules validated with ECR's limits, compared, merged; destination policy statements."""

import pytest
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ReplicationError
from ansible_collections.dockyard.ecr.plugins.module_utils._models import replication

SOURCE = "123456789012"
OTHER = "111122223333"


def rule(*destinations, filters=None):
    item = {"destinations": [dict(zip(("region", "registry_id"), d)) for d in destinations]}
    if filters is not None:
        item["repository_filters"] = [{"filter": f, "filter_type": "PREFIX_MATCH"} for f in filters]
    return item


def test_rules_become_ecr_shape_with_the_source_account_filled_in():
    rules = replication.validate_rules(
        [rule(("us-west-2",), ("eu-west-1", OTHER), ("us-west-2",), filters=["team/", "team/"])], SOURCE, "us-east-1"
    )
    assert rules == [
        {
            "destinations": [
                {"region": "us-west-2", "registryId": SOURCE},
                {"region": "eu-west-1", "registryId": OTHER},
            ],
            "repositoryFilters": [{"filter": "team/", "filterType": "PREFIX_MATCH"}],
        }
    ]


def test_prefix_alias_and_delete_replication():
    rules = replication.validate_rules(
        [
            {
                "destinations": [{"region": "us-west-2"}],
                "repository_filters": [{"filter": "prod"}],
                "delete_replication": True,
            }
        ],
        SOURCE,
        "us-east-1",
    )
    assert rules[0]["deleteReplication"] == {"enabled": True}
    assert rules[0]["repositoryFilters"] == [{"filter": "prod", "filterType": "PREFIX_MATCH"}]


@pytest.mark.parametrize(
    "rules, option, words",
    [
        ([rule(("us-east-1",))], "rules", "source registry itself"),
        ([rule(("eu-west-9",))], "rules", "not a region botocore knows"),
        ([rule(("EU-West-1",))], "rules", "not an AWS region"),
        ([rule(("cn-north-1",))], "rules", "partition"),
        ([rule(("eu-west-1", "1111"))], "rules", "not an AWS account ID"),
        ([{"destinations": []}], "rules", "at least one destination"),
        ([rule(("eu-west-1",), filters=["a"])], "rules", "2 to 256"),
        ([rule(("eu-west-1",), filters=["Team/"])], "rules", "use 'team/'"),
        ([rule(("eu-west-1",), filters=["team/*"])], "rules", "no wildcards"),
        ([rule(("eu-west-1",), filters=[f"p{i:02d}" for i in range(101)])], "rules", "at most 100"),
        ([rule(("eu-west-1",))] * 26, "rules", "at most 25 in"),
        (
            [dict(rule(("eu-west-1",)), repository_filter=[{"filter": "team/"}])],
            "rules",
            "repository_filter: not a key",
        ),
        ([{"destinations": [{"region": "eu-west-1", "account": OTHER}]}], "rules", "account: not a key here"),
        ([rule(*[("eu-west-1", f"{n:012d}") for n in range(1, 27)])], "rules", "26 distinct destinations"),
    ],
)
def test_bad_rules_name_the_element(rules, option, words):
    with pytest.raises(ReplicationError) as caught:
        replication.validate_rules(rules, SOURCE, "us-east-1")
    assert caught.value.option.startswith(option)
    assert words in caught.value.message
    assert caught.value.message.startswith("rules")


def test_unknown_source_account_is_checked_later():
    request = replication.validate_params({"rules": [rule(("us-east-1",))], "state": "present", "region": "us-east-1"})
    assert request["rules"][0]["destinations"] == [{"region": "us-east-1", "registryId": None}]
    with pytest.raises(ReplicationError, match="source registry itself"):
        replication.complete_request(request, SOURCE, "us-east-1")
    done = replication.complete_request(request, SOURCE, "us-west-2")
    assert done["rules"][0]["destinations"] == [{"region": "us-east-1", "registryId": SOURCE}]


def test_registry_id_must_be_the_callers():
    request = replication.validate_params({"rules": [], "registry_id": OTHER, "region": "us-east-1"})
    with pytest.raises(ReplicationError, match="registry_id: 111122223333 is not the account of the credentials"):
        replication.complete_request(request, SOURCE, "us-east-1")


def test_present_needs_rules():
    with pytest.raises(ReplicationError, match="rules: state=present needs rules"):
        replication.validate_params({"state": "present", "rules": None})


def ecr(region, account=SOURCE, filters=()):
    item = {"destinations": [{"region": region, "registryId": account}]}
    if filters:
        item["repositoryFilters"] = [{"filter": f, "filterType": "PREFIX_MATCH"} for f in filters]
    return item


def test_order_makes_no_difference():
    first = [
        ecr("us-west-2"),
        {"destinations": [ecr("eu-west-1")["destinations"][0], ecr("us-west-1")["destinations"][0]]},
    ]
    second = [
        {"destinations": [ecr("us-west-1")["destinations"][0], ecr("eu-west-1")["destinations"][0]]},
        ecr("us-west-2"),
    ]
    assert not replication.rules_differ(first, second)
    assert replication.rules_differ(first, [ecr("us-west-2")])
    # ECR may report deleteReplication disabled: the same as leaving it out.
    assert not replication.rules_differ(
        [dict(ecr("us-west-2"), deleteReplication={"enabled": False})], [ecr("us-west-2")]
    )


@pytest.mark.parametrize(
    "state, purge, requested, expected",
    [
        ("present", True, [ecr("eu-west-1")], [ecr("eu-west-1")]),
        ("present", False, [ecr("eu-west-1")], [ecr("us-west-2"), ecr("eu-west-1")]),
        ("present", False, [ecr("us-west-2")], [ecr("us-west-2")]),
        ("absent", True, [ecr("us-west-2")], []),
        ("absent", True, [ecr("eu-west-1")], [ecr("us-west-2")]),
        ("absent", True, None, []),
    ],
)
def test_desired_rules(state, purge, requested, expected):
    assert replication.desired_rules([ecr("us-west-2")], requested, state, purge) == expected


def test_destination_statements_cross_account_only_with_prefix_resources():
    rules = [
        ecr("us-west-2"),
        ecr("eu-west-1", OTHER, filters=["team/", "team/app"]),
        ecr("eu-west-1", OTHER, filters=["base"]),
    ]
    policies = replication.destination_policies(SOURCE, "us-east-1", rules)
    assert policies == [
        {
            "registry_id": OTHER,
            "region": "eu-west-1",
            "sid": "DockyardReplicationFrom123456789012UsEast1",
            "policy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DockyardReplicationFrom123456789012UsEast1",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{SOURCE}:root"},
                        "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
                        "Resource": [
                            f"arn:aws:ecr:eu-west-1:{OTHER}:repository/base*",
                            f"arn:aws:ecr:eu-west-1:{OTHER}:repository/team/*",
                        ],
                    }
                ],
            },
        }
    ]


def test_a_rule_without_filters_grants_every_repository():
    statements = replication.destination_statements(
        SOURCE, "us-east-1", [ecr("eu-west-1", OTHER, ["team/"]), ecr("eu-west-1", OTHER)]
    )
    assert statements[(OTHER, "eu-west-1")]["Resource"] == [f"arn:aws:ecr:eu-west-1:{OTHER}:repository/*"]


def test_registry_policy_from_the_estate_is_the_module_statement():
    estate = [
        {"account_id": SOURCE, "region": "us-east-1", "replication": [rule(("eu-west-1", OTHER), filters=["team/"])]},
        {"account_id": "222233334444", "region": "us-west-2", "replication": [rule(("eu-west-1", OTHER))]},
        {"account_id": "555566667777", "region": "us-west-2"},
    ]
    document = replication.registry_replication_policy(estate, OTHER, "eu-west-1")
    module_side = replication.destination_policies(
        SOURCE, "us-east-1", replication.validate_rules(estate[0]["replication"], SOURCE, "us-east-1")
    )
    assert document["Statement"][0] == module_side[0]["policy"]["Statement"][0]
    assert [s["Sid"] for s in document["Statement"]] == [
        "DockyardReplicationFrom123456789012UsEast1",
        "DockyardReplicationFrom222233334444UsWest2",
    ]
    assert replication.registry_replication_policy(estate, OTHER, "us-east-1") is None
    assert replication.registry_replication_policy(estate, SOURCE, "eu-west-1") is None


def test_estate_errors_name_the_entry():
    with pytest.raises(ReplicationError, match=r"ecr_registries\[0\].replication\[0\].destinations\[0\].region"):
        replication.registry_replication_policy(
            [{"account_id": SOURCE, "region": "us-east-1", "replication": [rule(("nowhere",))]}], OTHER, "eu-west-1"
        )


def test_snake_case():
    assert replication.to_snake([ecr("eu-west-1", OTHER, ["team/"])]) == [
        {
            "destinations": [{"region": "eu-west-1", "registry_id": OTHER}],
            "repository_filters": [{"filter": "team/", "filter_type": "PREFIX_MATCH"}],
            "delete_replication": False,
        }
    ]
