# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import json

import pytest
from ansible_collections.dockyard.ecr.plugins.module_utils._models import estate
from ansible_collections.dockyard.ecr.plugins.module_utils._models import policy_grants as pol

REG = "123456789012"
CONSUMER = "111111111111"
OTHER = "222222222222"


def registry(repositories, name="main", account=REG, region="us-east-1", defaults=None):
    return {
        "name": name,
        "account_id": account,
        "region": region,
        "repository_defaults": defaults or {},
        "repositories": repositories,
    }


def arn(name, account=REG, region="us-east-1", partition="aws"):
    return f"arn:{partition}:ecr:{region}:{account}:repository/{name}"


# ------------------------------------------------------------------ registries


def test_validate_registries_names_the_bad_entry():
    with pytest.raises(
        estate.EstateError,
        match=r"ecr_registries\[1\]\.account_id: 12345 is not a 12-digit",
    ):
        estate.validate_registries([registry([]), {"account_id": 12345, "region": "us-east-1"}])


def test_validate_registries_rejects_duplicates():
    with pytest.raises(
        estate.EstateError,
        match=r"ecr_registries\[1\]: account 123456789012 in us-east-1 is also",
    ):
        estate.validate_registries([registry([], name="a"), registry([], name="b")])
    with pytest.raises(
        estate.EstateError,
        match=r"repositories\[1\]\.name: 'x' is also repositories\[0\]",
    ):
        estate.validate_registries([registry([{"name": "x"}, {"name": "x"}])])


def test_default_name_and_find_registry():
    data = [{"account_id": REG, "region": "eu-west-1", "repositories": [{"name": "a"}]}]
    assert estate.validate_registries(data)[0]["name"] == f"{REG}-eu-west-1"
    assert estate.find_registry(data, REG, "eu-west-1")["repositories"] == [{"name": "a"}]
    assert estate.find_registry(data, REG, "us-east-1") is None
    assert estate.find_registry(data, name=f"{REG}-eu-west-1") is not None


class Recorder:
    """A template function that records what it is given and returns a copy (repository entries marked ``rendered``),
    as a host's templating would."""

    def __init__(self):
        self.seen = []

    def __call__(self, value):
        self.seen.append(value)
        if isinstance(value, list):
            return [dict(entry, rendered=True) if isinstance(entry, dict) else entry for entry in value]
        if isinstance(value, dict):
            return dict(value)
        return value


def fleet():
    return [
        registry([{"name": "a"}], name="one"),
        registry([{"name": "b"}], name="two", account=OTHER),
        registry([{"name": "c"}], name="three", account=OTHER, region="eu-west-1"),
    ]


def test_host_registries_a_registry_host_templates_every_header_and_its_own_repositories_only():
    template = Recorder()
    view = estate.host_registries(fleet(), ["registries"], OTHER, "us-east-1", template=template)
    # Every entry's own keys, without its repositories; then the repositories of the host's own entry (two) only.
    assert [v for v in template.seen if isinstance(v, dict)] == [
        {k: v for k, v in entry.items() if k != "repositories"} for entry in fleet()
    ]
    assert [v for v in template.seen if isinstance(v, list)] == [[{"name": "b"}]]
    assert [entry["repositories"] for entry in view] == [
        [{"name": "a"}],
        [{"name": "b", "rendered": True}],
        [{"name": "c"}],
    ]
    # The check reads the view as it would read the whole estate rendered.
    assert estate.find_registry(view, OTHER, "us-east-1")["repositories"] == [{"name": "b", "rendered": True}]


def test_host_registries_finds_the_entry_by_name_as_find_registry_does():
    template = Recorder()
    view = estate.host_registries(fleet(), ["registries"], REG, "us-east-1", name="three", template=template)
    assert [entry["repositories"][0].get("rendered", False) for entry in view] == [False, False, True]
    # A registry host without an entry, and a host of neither group, read no repositories.
    for groups, account in ((["registries"], "333333333333"), (["other"], REG), ([], REG)):
        template = Recorder()
        estate.host_registries(fleet(), groups, account, "us-east-1", template=template)
        assert not [v for v in template.seen if isinstance(v, list)], groups


def test_host_registries_a_consumer_reads_every_registry():
    template = Recorder()
    view = estate.host_registries(fleet(), ["consumers", "registries"], REG, "us-east-1", template=template)
    assert [entry["repositories"][0].get("rendered") for entry in view] == [True, True, True]
    assert len([v for v in template.seen if isinstance(v, list)]) == 3


def test_host_registries_whatever_is_not_a_list_of_dicts_is_templated_whole():
    template = Recorder()
    assert estate.host_registries("{{ estate }}", ["registries"], REG, "us-east-1", template=template) == "{{ estate }}"
    assert template.seen == ["{{ estate }}"]
    template = Recorder()
    view = estate.host_registries(["{{ one }}", {"name": "x"}], ["registries"], REG, "us-east-1", template=template)
    assert (
        template.seen == ["{{ one }}", {"name": "x"}] and view[1] == {"name": "x"} and view[1] is not template.seen[1]
    )
    # Entries the check refuses (a duplicate name): no repositories are read, the check names the entry.
    template = Recorder()
    twice = [registry([{"name": "a"}], name="same"), registry([{"name": "b"}], name="same", account=OTHER)]
    view = estate.host_registries(twice, ["registries"], REG, "us-east-1", template=template)
    assert not [v for v in template.seen if isinstance(v, list)]
    with pytest.raises(estate.EstateError, match=r"ecr_registries\[1\]\.name: 'same' is also the name"):
        estate.registry_headers(view)
    # Without a template function the estate is used as given.
    data = fleet()
    assert estate.host_registries(data, ["registries"], REG, "us-east-1") is data


def test_merged_repositories_replace_whole_keys():
    reg = registry(
        [{"name": "a", "tags": {"x": "1"}}, {"name": "b"}],
        defaults={"tags": {"team": "t"}, "scan_on_push": True},
    )
    assert estate.merged_repositories(reg) == [
        {"name": "a", "tags": {"x": "1"}, "scan_on_push": True},
        {"name": "b", "tags": {"team": "t"}, "scan_on_push": True},
    ]


def test_unknown_configure_registry_fails_naming_known():
    with pytest.raises(
        estate.EstateError,
        match=r"configure_registries: typo is not the name .*known: main",
    ):
        estate.select_registries([registry([])], ["typo"])


# ------------------------------------------------------------------ grants, both sides


def test_account_grant_reaches_every_listed_role_and_role_grant_only_that_role():
    reg = registry(
        [
            {"name": "app", "pull": [CONSUMER]},
            {"name": "etl", "pull": [f"arn:aws:iam::{CONSUMER}:role/etl-runner"]},
            {"name": "other", "pull": [OTHER]},
        ]
    )
    plan = estate.consumer_grants(CONSUMER, [{"name": "ecsTask"}, {"name": "etl-runner"}], [reg])
    roles = {r["name"]: r for r in plan["roles"]}
    assert roles["ecsTask"]["pull"] == [arn("app")]
    assert roles["etl-runner"]["pull"] == [arn("app"), arn("etl")]
    assert plan["visible"] is True


def test_role_arn_with_path_matches_role_name():
    reg = registry([{"name": "etl", "push": [f"arn:aws:iam::{CONSUMER}:role/team/etl-runner"]}])
    plan = estate.consumer_grants(CONSUMER, [{"name": "etl-runner", "access": "push"}, {"name": "x"}], [reg])
    roles = {r["name"]: r for r in plan["roles"]}
    assert roles["etl-runner"]["push"] == [arn("etl")]
    assert roles["x"]["state"] == "absent"


def test_grant_to_unlisted_role_is_noted():
    reg = registry([{"name": "etl", "pull": [f"arn:aws:iam::{CONSUMER}:role/ghost"]}])
    plan = estate.consumer_grants(CONSUMER, [{"name": "ecsTask"}], [reg])
    assert any("role ghost" in note for note in plan["notes"])
    assert plan["roles"][0]["state"] == "absent"


def test_push_needs_both_the_grant_and_the_role_access():
    reg = registry([{"name": "app", "push": [CONSUMER]}, {"name": "base", "pull": [CONSUMER]}])
    plan = estate.consumer_grants(CONSUMER, [{"name": "ci", "access": "push"}, {"name": "runner"}], [reg])
    roles = {r["name"]: r for r in plan["roles"]}
    assert roles["ci"]["push"] == [arn("app")] and roles["ci"]["pull"] == [arn("base")]
    assert roles["runner"]["push"] == [] and roles["runner"]["pull"] == [
        arn("app"),
        arn("base"),
    ]


def test_iam_actions_are_the_registry_statement_actions():
    """Both halves from one function: the IAM statement's actions equal the registry statement's."""
    reg = registry([{"name": "app", "push": [CONSUMER], "pull": [OTHER]}])
    registry_side = pol.grants_to_statements(pol.validate_grants({"push": [CONSUMER], "pull": [OTHER]}))
    push_statement = next(s for s in registry_side if s["Sid"] == pol.SID_PUSH)
    plan = estate.account_plan(CONSUMER, [{"name": "ci", "access": "push"}], [reg])
    document = plan["roles"][0]["documents"][0]["document"]
    iam_push = next(s for s in document["Statement"] if s["Sid"] == estate.SID_PUSH)
    assert sorted(iam_push["Action"]) == sorted(push_statement["Action"])
    assert iam_push["Resource"] == [arn("app")]


def test_role_repositories_filter_and_absent_states():
    reg = registry(
        [
            {"name": "a", "pull": [CONSUMER]},
            {"name": "b", "pull": [CONSUMER], "state": "absent"},
        ]
    )
    plan = estate.consumer_grants(
        CONSUMER,
        [
            {"name": "r1", "repositories": ["a"]},
            {"name": "r2", "repositories": ["b"]},
            {"name": "r3", "state": "absent"},
        ],
        [reg],
    )
    states = {r["name"]: (r["state"], r["pull"]) for r in plan["roles"]}
    assert states == {
        "r1": ("present", [arn("a")]),
        "r2": ("absent", []),
        "r3": ("absent", []),
    }


def test_defaults_grants_apply():
    reg = registry([{"name": "a"}, {"name": "b", "pull": [OTHER]}], defaults={"pull": [CONSUMER]})
    plan = estate.consumer_grants(CONSUMER, [{"name": "r"}], [reg])
    assert plan["roles"][0]["pull"] == [arn("a")]


@pytest.mark.parametrize(
    "region, partition",
    [("us-east-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")],
)
def test_partitions(region, partition):
    reg = registry([{"name": "a", "pull": [CONSUMER]}], region=region)
    plan = estate.consumer_grants(CONSUMER, [{"name": "r"}], [reg], region=region)
    assert plan["roles"][0]["pull"] == [arn("a", region=region, partition=partition)]
    # The registry side names the account in the same partition.
    principals = estate.repository_principals(estate.validate_registries([reg])[0], {"name": "a", "pull": [CONSUMER]})
    assert principals == [(f"arn:{partition}:iam::{CONSUMER}:root", "pull")]


def test_cross_partition_grant_is_noted_not_given():
    reg = registry([{"name": "a", "pull": [CONSUMER]}], region="cn-north-1")
    plan = estate.consumer_grants(CONSUMER, [{"name": "r"}], [reg], region="us-east-1")
    assert plan["roles"][0]["state"] == "absent"
    assert "partition aws-cn" in plan["notes"][0]


def test_invisible_registries_leave_grants_alone():
    plan = estate.consumer_grants(CONSUMER, [{"name": "r"}], None)
    assert plan["visible"] is False and plan["roles"] == []


def test_configure_registries_narrows():
    regs = [
        registry([{"name": "a", "pull": [CONSUMER]}], name="east"),
        registry([{"name": "a", "pull": [CONSUMER]}], name="west", region="us-west-2"),
    ]
    plan = estate.consumer_grants(CONSUMER, [{"name": "r"}], regs, ["west"])
    assert plan["roles"][0]["pull"] == [arn("a", region="us-west-2")]


def test_roles_validation():
    with pytest.raises(estate.EstateError, match=r"remote_access_roles\[1\]\.name: r is also"):
        estate.validate_roles([{"name": "r"}, {"name": "r"}])
    with pytest.raises(estate.EstateError, match=r"not an IAM role name"):
        estate.validate_roles([{"name": "arn:aws:iam::111111111111:role/r"}])


# ------------------------------------------------------------------ sizes and limits


def many(n, prefix="team/app"):
    return [{"name": f"{prefix}-{i:03d}", "pull": [CONSUMER]} for i in range(n)]


def test_policy_size_counts_without_whitespace():
    document = {"Version": "2012-10-17", "Statement": []}
    assert estate.policy_size(document) == len('{"Version":"2012-10-17","Statement":[]}')


def test_120_repositories_managed_split_within_6144():
    reg = registry(many(120, prefix="app"))  # no prefix: wildcards impossible
    plan = estate.account_plan(CONSUMER, [{"name": "r"}], [reg], policy_type="managed")
    documents = plan["roles"][0]["documents"]
    assert len(documents) == 2
    assert [d["name"] for d in documents] == ["dockyard-ecr-r", "dockyard-ecr-r-2"]
    assert all(estate.policy_size(d["document"]) <= estate.MANAGED_POLICY_MAX for d in documents)
    resources = [
        a for d in documents for s in d["document"]["Statement"] if s["Sid"] == "EcrPull" for a in s["Resource"]
    ]
    assert sorted(resources) == sorted(arn(f"app-{i:03d}") for i in range(120))
    # Only the first carries the registry login.
    assert [s["Sid"] for s in documents[1]["document"]["Statement"]] == ["EcrPull"]


def test_200_repositories_inline_too_big_fails_naming_role_and_sizes():
    reg = registry(many(200, prefix="app"))
    with pytest.raises(estate.EstateError) as caught:
        estate.account_plan(CONSUMER, [{"name": "big-role"}], [reg], policy_type="inline")
    assert "big-role" in caught.value.message and "10240" in caught.value.message
    assert "Nothing was written" in caught.value.message


def test_200_repositories_inline_fits_with_prefix_wildcard_when_all_granted():
    reg = registry(many(200, prefix="team/app"))
    plan = estate.account_plan(CONSUMER, [{"name": "r"}], [reg], policy_type="inline")
    (document,) = plan["roles"][0]["documents"]
    pull = next(s for s in document["document"]["Statement"] if s["Sid"] == "EcrPull")
    assert pull["Resource"] == [arn("team/*")]
    assert document["size"] <= estate.INLINE_ROLE_TOTAL_MAX


def test_no_wildcard_when_one_repository_under_the_prefix_is_not_granted():
    repositories = many(200, prefix="team/app") + [{"name": "team/secret"}]
    reg = registry(repositories)
    with pytest.raises(estate.EstateError, match="inline policy of role r"):
        estate.account_plan(CONSUMER, [{"name": "r"}], [reg], policy_type="inline")
    plan = estate.account_plan(CONSUMER, [{"name": "r"}], [reg], policy_type="managed")
    resources = [
        a for d in plan["roles"][0]["documents"] for s in d["document"]["Statement"][-1:] for a in s["Resource"]
    ]
    assert arn("team/*") not in resources and len(plan["roles"][0]["documents"]) >= 2


def test_managed_too_many_fails_before_writing():
    reg = registry(many(1200, prefix="app"))
    with pytest.raises(estate.EstateError, match=r"role r needs .* more than the 10"):
        estate.account_plan(CONSUMER, [{"name": "r"}], [reg], policy_type="managed")


def test_exact_arns_kept_when_they_fit():
    reg = registry(many(5, prefix="team/app"))
    plan = estate.account_plan(CONSUMER, [{"name": "r"}], [reg])
    pull = plan["roles"][0]["documents"][0]["document"]["Statement"][1]
    assert pull["Resource"] == [arn(f"team/app-{i:03d}") for i in range(5)]


def test_compact_keeps_push_and_pull_apart():
    universe = {(REG, "us-east-1"): {"a/x", "a/y", "b/x", "b/y"}}
    arns = [arn("a/x"), arn("a/y"), arn("b/x")]
    assert estate.compact(arns, universe) == [arn("a/*"), arn("b/x")]


# ------------------------------------------------------------------ summary and errors


def test_registry_summary_counts_grants():
    before = {
        "Statement": [
            {
                "Sid": "DockyardPull",
                "Principal": {"AWS": ["arn:aws:iam::111111111111:root"]},
            }
        ]
    }
    after = {
        "Statement": [
            {
                "Sid": "DockyardPull",
                "Principal": {"AWS": ["arn:aws:iam::222222222222:root"]},
            }
        ]
    }
    result = {
        "summary": {"total": 2},
        "repositories": [
            {
                "name": "a",
                "action": "created",
                "diff": {"before": {}, "after": {"policy": after}},
            },
            {
                "name": "b",
                "action": "updated",
                "diff": {"before": {"policy": before}, "after": {"policy": after}},
            },
        ],
    }
    lines = estate.registry_summary(result, check_mode=True)
    assert lines == [
        "repositories would be created: 1 (a)",
        "repositories would be updated: 1 (b)",
        "registry grants to add: 2, to remove: 1",
    ]


def test_consumer_summary_unlisted_warning():
    lines = estate.consumer_summary({"roles": [], "unlisted": ["old"], "purged": False})
    assert any("remote_access_purge" in line and "old" in line for line in lines)


@pytest.mark.parametrize(
    "result, expected",
    [
        (
            {"msg": "An error occurred (ExpiredToken): The security token included in the request is expired"},
            "expired",
        ),
        (
            {"msg": "Could not connect to the endpoint URL: https://sts.x"},
            "cannot be reached",
        ),
        ({"msg": "x", "error": {"code": "InvalidClientTokenId"}}, "not valid"),
        ({"msg": "Unable to locate credentials"}, "no AWS credentials"),
        (
            {
                "msg": "User: x is not authorized to perform: sts:AssumeRole",
                "error": {"code": "AccessDenied"},
            },
            "cannot be assumed",
        ),
    ],
)
def test_failure_cause(result, expected):
    assert expected in estate.failure_cause(result, "amazon.aws.sts_assume_role", "arn:aws:iam::1:role/x")


def test_failure_cause_other_actions_keep_the_message():
    message = estate.failure_cause({"msg": "Task failed: Module failed: boom."}, "dockyard.ecr.ecr_repositories")
    assert message == "boom"


def test_documents_are_json():
    reg = registry(many(3))
    plan = estate.account_plan(CONSUMER, [{"name": "r"}], [reg])
    json.dumps(plan)


# ------------------------------------------------------------------ a host's data


def test_host_problems_clean_host():
    regs = [registry([{"name": "a", "pull": [CONSUMER]}])]
    assert estate.host_problems("reg", ["registries"], REG, "us-east-1", None, regs) == []
    assert (
        estate.host_problems(
            "c",
            ["consumers"],
            CONSUMER,
            "eu-west-1",
            None,
            regs,
            ["main"],
            [{"name": "r"}],
        )
        == []
    )


def test_host_problems_names_each_variable():
    problems = estate.host_problems("h", ["consumers"], "123", None, "arn:aws:iam::999999999999:role/x")
    assert any(p.startswith("aws_account_id:") for p in problems)
    assert any(p.startswith("aws_region:") for p in problems)
    assert any(p.startswith("aws_role_arn:") for p in problems)


def test_registry_host_without_entry_and_legacy_layout():
    problems = estate.host_problems("reg", ["registries"], REG, "us-west-2", None, [registry([])])
    assert "no registry for account 123456789012 in us-west-2" in problems[0]
    problems = estate.host_problems(
        "reg",
        ["registries"],
        REG,
        "us-east-1",
        None,
        None,
        legacy_repositories=[{"name": "a"}],
    )
    assert "reads the estate from ecr_registries" in problems[0]


def test_configure_registries_typo_is_a_problem_only_when_registries_are_visible():
    regs = [registry([])]
    problems = estate.host_problems("c", ["consumers"], CONSUMER, "us-east-1", None, regs, ["typo"])
    assert "typo is not the name of a registry" in problems[0]
    assert estate.host_problems("c", ["consumers"], CONSUMER, "us-east-1", None, None, ["typo"]) == []


def test_registries_from_repositories_older_form():
    regs = estate.registries_from_repositories(
        [
            {"name": "a", "registry_id": REG, "region": "us-east-1", "access": "push"},
            {"name": "b", "registry_id": REG, "region": "us-east-1"},
        ],
        CONSUMER,
    )
    plan = estate.consumer_grants(CONSUMER, [{"name": "r", "access": "push"}], regs)
    assert plan["roles"][0]["push"] == [arn("a")] and plan["roles"][0]["pull"] == [arn("b")]
    with pytest.raises(estate.EstateError, match="registry_id must be the 12-digit account ID"):
        estate.registries_from_repositories([{"name": "a", "registry_id": "12345"}], CONSUMER)


def test_summary_lines_head():
    assert estate.summary_lines("1", "r", "host", {"summary": {"total": 0}}, None, True)[0] == (
        "host: account 1 r (check mode: nothing was changed)"
    )


# ------------------------------------------------------------------ per host: only its own part of the estate


class Unreadable(list):
    """A repositories list that fails when read: a host that reads another registry's repositories fails."""

    def __iter__(self):
        raise AssertionError("another registry's repositories were read")

    def __bool__(self):
        raise AssertionError("another registry's repositories were read")


def test_a_registry_host_reads_only_its_own_repositories():
    regs = [
        registry([{"name": "a"}], name="mine"),
        registry(Unreadable([{"name": "b"}]), name="other", account=OTHER),
    ]
    assert estate.find_registry(regs, REG, "us-east-1")["repositories"] == [{"name": "a"}]
    assert estate.host_problems("reg", ["registries"], REG, "us-east-1", None, regs) == []
    assert estate.registry_repositories(regs, REG, "us-east-1") == [{"name": "a"}]


def test_registry_headers_are_checked_for_every_host():
    regs = [registry([{"name": "a"}], name="mine"), registry(Unreadable(), name="mine", account=OTHER)]
    problems = estate.host_problems("reg", ["registries"], REG, "us-east-1", None, regs)
    assert problems == [
        "ecr_registries[1].name: 'mine' is also the name of ecr_registries[0]; give each registry its own"
    ]


def test_a_bad_repository_fails_its_registry_host_and_the_consumers_not_other_registries():
    regs = [
        registry([{"name": "a"}], name="mine"),
        registry([{"name": "x"}, {"name": "x"}], name="other", account=OTHER),
    ]
    assert estate.host_problems("reg", ["registries"], REG, "us-east-1", None, regs) == []
    problems = estate.host_problems("other", ["registries"], OTHER, "us-east-1", None, regs)
    assert problems == [
        "ecr_registries[1].repositories[1].name: 'x' is also repositories[0]; list each repository once"
    ]
    problems = estate.host_problems("c", ["consumers"], CONSUMER, "us-east-1", None, regs, None, [{"name": "r"}])
    assert problems == [
        "ecr_registries[1].repositories[1].name: 'x' is also repositories[0]; list each repository once"
    ]


def test_configure_registries_reads_only_the_registries_it_names():
    regs = [registry([{"name": "a"}], name="mine"), registry(Unreadable(), name="other", account=OTHER)]
    assert [r["name"] for r in estate.select_registries(regs, ["mine"])] == ["mine"]
