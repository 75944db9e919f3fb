# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""lifecycle.py: conversion, normalisation, validation messages, evaluator details, and the AWS side (moto)."""

import hashlib
import json
from datetime import datetime, timedelta, timezone

import boto3
import botocore.session
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry, RetryingBotoClientWrapper
from ansible_collections.dockyard.ecr.plugins.module_utils._api import images as api_images
from ansible_collections.dockyard.ecr.plugins.module_utils._api import lifecycle_policy as api_lifecycle_policy
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import (
    ECRError,
    LifecycleError,
    RepositoryNotFoundError,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import lifecycle as converge_lifecycle
from ansible_collections.dockyard.ecr.plugins.module_utils._models import (
    lifecycle_evaluation as models_lifecycle_evaluation,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models import lifecycle_rules as models_lifecycle_rules
from ansible_collections.dockyard.ecr.plugins.module_utils._models import (
    lifecycle_validation as models_lifecycle_validation,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models import wildcards as models_wildcards
from moto import mock_aws

NOW = datetime(2025, 6, 30, 12, 0, tzinfo=timezone.utc)


def digest(name):
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


def image(name, tags, days_ago, size=100, **extra):
    detail = {
        "imageDigest": digest(name),
        "imageTags": list(tags),
        "imagePushedAt": NOW - timedelta(days=days_ago),
        "imageSizeInBytes": size,
    }
    detail.update(extra)
    return detail


def keep_last(priority, count, **extra):
    return dict(dict(priority=priority, tag_status="any", count_type="image_count_more_than", count=count), **extra)


def error_of(func, *args, **kwargs):
    with pytest.raises(LifecycleError) as info:
        func(*args, **kwargs)
    return info.value


# ---------------------------------------------------------------------------------------------
# Conversion and normalisation
# ---------------------------------------------------------------------------------------------


def test_rules_to_document_fills_the_single_sensible_values():
    doc = models_lifecycle_rules.rules_to_document(
        [
            {"priority": 1, "tag_prefixes": ["v"], "count_type": "image_count_more_than", "count": 5},
            {"priority": 2, "tag_status": "untagged", "count_type": "since_image_pushed", "count": 7},
            {"priority": 3, "tag_status": "any", "count_type": "sinceImagePulled", "count": 90, "action": "transition"},
        ]
    )
    first, second, third = doc["rules"]
    assert first == {
        "rulePriority": 1,
        "selection": {
            "tagStatus": "tagged",
            "tagPrefixList": ["v"],
            "countType": "imageCountMoreThan",
            "countNumber": 5,
        },
        "action": {"type": "expire"},
    }
    assert second["selection"]["countUnit"] == "days"
    assert third["selection"]["countType"] == "sinceImagePulled"
    assert third["action"] == {"type": "transition", "targetStorageClass": "archive"}


def test_rules_round_trip():
    rules = [
        {
            "priority": 2,
            "description": "old untagged",
            "tag_status": "untagged",
            "count_type": "since_image_pushed",
            "count_unit": "days",
            "count": 7,
            "action": "expire",
        },
        {
            "priority": 1,
            "tag_status": "tagged",
            "tag_patterns": ["v*"],
            "count_type": "image_count_more_than",
            "count": 20,
            "action": "expire",
        },
    ]
    doc = models_lifecycle_validation.validate_rules(rules)
    assert [r["priority"] for r in models_lifecycle_rules.document_to_rules(doc)] == [1, 2]
    assert sorted(models_lifecycle_rules.document_to_rules(doc), key=lambda r: -r["priority"]) == rules


def test_document_to_rules_keeps_unknown_fields():
    doc = {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1, "newThing": 1},
                "action": {"type": "expire"},
                "futureKey": "x",
            }
        ]
    }
    rules = models_lifecycle_rules.document_to_rules(doc)
    assert rules[0]["newThing"] == 1 and rules[0]["futureKey"] == "x"


def test_normalize_ignores_order_defaults_and_text_form():
    a = {
        "rules": [
            {
                "rulePriority": 2,
                "description": "",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPrefixList": ["b", "a", "a"],
                    "storageClass": "standard",
                    "countType": "imageCountMoreThan",
                    "countNumber": 3.0,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 1,
                "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
                "action": {"type": "expire"},
            },
        ]
    }
    b = {
        "rules": [
            {
                "action": {"type": "expire"},
                "selection": {"countNumber": 1, "countType": "imageCountMoreThan", "tagStatus": "untagged"},
                "rulePriority": 1,
            },
            {
                "rulePriority": 2,
                "selection": {
                    "countNumber": 3,
                    "countType": "imageCountMoreThan",
                    "tagPrefixList": ["a", "b"],
                    "tagStatus": "tagged",
                },
                "action": {"type": "expire"},
            },
        ]
    }
    assert not models_lifecycle_rules.documents_differ(a, json.dumps(b, indent=2))
    assert models_lifecycle_rules.normalize(models_lifecycle_rules.normalize(a)) == models_lifecycle_rules.normalize(a)
    changed = json.loads(json.dumps(b))
    changed["rules"][1]["selection"]["countNumber"] = 4
    assert models_lifecycle_rules.documents_differ(a, changed)
    assert models_lifecycle_rules.documents_differ(None, a)
    assert not models_lifecycle_rules.documents_differ(None, None)


def test_normalize_returns_a_copy():
    """The normalised document shares nothing with its input: changing one leaves the other as it was."""
    doc = {
        "rules": [{"rulePriority": 1, "selection": {"tagStatus": "tagged", "tagPrefixList": ["b", "a"]}, "x": [{}]}],
        "other": {"nested": [1, {"k": "v"}]},
    }
    before = json.loads(json.dumps(doc))
    normal = models_lifecycle_rules.normalize(doc)
    assert normal["rules"][0]["selection"]["tagPrefixList"] == ["a", "b"]
    normal["rules"][0]["x"][0]["y"] = 1
    normal["other"]["nested"][1]["k"] = "changed"
    normal["rules"][0]["selection"]["tagStatus"] = "any"
    assert doc == before
    assert models_lifecycle_rules.normalize({"rules": "not a list"}) == {"rules": "not a list"}


def test_policy_text_is_compact_enough_and_parses_back():
    doc = models_lifecycle_validation.validate_rules([keep_last(1, 1)])
    text = models_lifecycle_rules.policy_text(doc)
    assert len(text) >= 100  # botocore's LifecyclePolicyText minimum
    assert json.loads(text) == doc


# ---------------------------------------------------------------------------------------------
# Validation: every message names the rule by priority and the field
# ---------------------------------------------------------------------------------------------

TAGGED = dict(tag_status="tagged", count_type="image_count_more_than", count=1)

RULE_ERRORS = [
    ("duplicate priority", [keep_last(1, 1, tag_status="untagged"), keep_last(1, 2)], "rules[priority=1].priority"),
    ("two any rules", [keep_last(1, 1), keep_last(2, 2)], "rules[priority=2].tag_status: only one rule may have"),
    (
        "any not last",
        [keep_last(1, 1), dict(TAGGED, priority=2, tag_prefixes=["v"])],
        "rules[priority=1].priority: a rule with tag status any must have the highest priority",
    ),
    ("tagged without tags", [dict(TAGGED, priority=1)], "rules[priority=1].tag_status: tagged needs"),
    (
        "prefixes and patterns",
        [dict(TAGGED, priority=1, tag_prefixes=["a"], tag_patterns=["b*"])],
        "rules[priority=1].tag_patterns: give either",
    ),
    (
        "untagged with prefixes",
        [dict(TAGGED, priority=3, tag_status="untagged", tag_prefixes=["a"])],
        "rules[priority=3].tag_prefixes: only used with tag status tagged",
    ),
    (
        "too many wildcards",
        [dict(TAGGED, priority=1, tag_patterns=["ok*", "test*1*2*3*4*5*6"])],
        "rules[priority=1].tag_patterns[1]: 'test*1*2*3*4*5*6' has 6 wildcards",
    ),
    ("wildcard in prefix", [dict(TAGGED, priority=1, tag_prefixes=["v*"])], "rules[priority=1].tag_prefixes[0]"),
    (
        "empty prefix list",
        [dict(TAGGED, priority=1, tag_prefixes=[])],
        "rules[priority=1].tag_prefixes: must not be empty",
    ),
    (
        "empty prefix",
        [dict(TAGGED, priority=1, tag_prefixes=[""])],
        "rules[priority=1].tag_prefixes[0]: must not be an",
    ),
    (
        "unit with a count of images",
        [keep_last(2, 5, count_unit="days")],
        "rules[priority=2].count_unit: only used with the age count types",
    ),
    (
        "unknown unit",
        [keep_last(2, 5, count_type="since_image_pushed", count_unit="hours")],
        "rules[priority=2].count_unit",
    ),
    ("zero count", [keep_last(1, 0)], "rules[priority=1].count: must be a positive integer"),
    ("negative count", [keep_last(1, -3)], "rules[priority=1].count: must be a positive integer"),
    ("count not an integer", [keep_last(1, "ten")], "rules[priority=1].count: must be an integer"),
    (
        "missing count",
        [dict(priority=1, tag_status="any", count_type="image_count_more_than")],
        "rules[priority=1].count",
    ),
    ("missing count type", [dict(priority=1, tag_status="any", count=1)], "rules[priority=1].count_type: required"),
    (
        "missing tag status",
        [dict(priority=1, count_type="image_count_more_than", count=1)],
        "rules[priority=1].tag_status",
    ),
    ("unknown count type", [keep_last(1, 1, count_type="since_forever")], "'since_forever' is not a valid count_type"),
    ("unknown tag status", [keep_last(1, 1, tag_status="some")], "rules[priority=1].tag_status: 'some' is not a valid"),
    ("unknown action", [keep_last(1, 1, action="delete")], "rules[priority=1].action: 'delete' is not a valid action"),
    (
        "missing priority",
        [dict(tag_status="any", count_type="image_count_more_than", count=1)],
        "rules[index=0].priority",
    ),
    ("priority zero", [keep_last(0, 1)], "rules[index=0].priority: must be 1 or more"),
    ("unknown field", [keep_last(1, 1, keep=3)], "rules[priority=1]: unknown field 'keep'"),
    ("no rules", [], "rules: give at least one rule"),
    (
        "two untagged rules",
        [keep_last(1, 1, tag_status="untagged"), keep_last(2, 3, tag_status="untagged")],
        "rules[priority=2].tag_status: only one rule may select untagged images",
    ),
    (
        "same prefixes twice",
        [dict(TAGGED, priority=1, tag_prefixes=["a", "b"]), dict(TAGGED, priority=2, tag_prefixes=["b", "a"])],
        "rules[priority=2].tag_prefixes: the same tag prefixes as the rule with priority 1",
    ),
    (
        "target storage class with expire",
        [keep_last(1, 1, target_storage_class="archive")],
        "rules[priority=1].target_storage_class: only used with action transition",
    ),
    (
        "unknown target storage class",
        [keep_last(1, 1, action="transition", target_storage_class="glacier")],
        "rules[priority=1].target_storage_class: 'glacier' is not a valid",
    ),
    (
        "pulled with expire",
        [keep_last(1, 30, count_type="since_image_pulled")],
        "rules[priority=1].action: count type since_image_pulled only works with action transition",
    ),
    (
        "transitioned without archive",
        [keep_last(1, 120, count_type="since_image_transitioned")],
        "rules[priority=1].storage_class: count type since_image_transitioned selects archived images",
    ),
    (
        "transitioned too soon",
        [keep_last(1, 30, count_type="since_image_transitioned", storage_class="archive")],
        "rules[priority=1].count: 30 days; archived images must stay in archive at least 90 days",
    ),
    (
        "transitioned with transition",
        [keep_last(1, 120, count_type="since_image_transitioned", storage_class="archive", action="transition")],
        "rules[priority=1].action: count type since_image_transitioned only works with action expire",
    ),
    (
        "archive with a count of images",
        [keep_last(1, 3, storage_class="archive")],
        "rules[priority=1].storage_class: archive is only used with count type since_image_transitioned",
    ),
    ("unknown storage class", [keep_last(1, 3, storage_class="cold")], "rules[priority=1].storage_class: 'cold'"),
]


@pytest.mark.parametrize("rules, expected", [(r, e) for _n, r, e in RULE_ERRORS], ids=[n for n, _r, _e in RULE_ERRORS])
def test_rule_errors_name_the_rule_and_the_field(rules, expected):
    error = error_of(models_lifecycle_validation.validate_rules, rules)
    assert expected in str(error)
    assert error.option == "rules"
    assert isinstance(error, ECRError)


def test_too_many_rules():
    rules = [dict(TAGGED, priority=p, tag_prefixes=[f"p{p}"]) for p in range(1, 52)]
    assert "ECR allows at most 50 rules" in str(error_of(models_lifecycle_validation.validate_rules, rules))


def test_several_problems_are_reported_together():
    error = error_of(models_lifecycle_validation.validate_rules, [keep_last(1, 1, count_unit="days"), keep_last(1, 2)])
    assert str(error).startswith("3 problems in the lifecycle policy: ")


def test_structure_and_meaning_problems_are_reported_together():
    """A field the schema refuses is reported once, and the other rules' problems come with it."""
    error = error_of(
        models_lifecycle_validation.validate_rules,
        [
            keep_last(3, 0, count_unit="days"),
            keep_last(3, 1, tag_status="untagged"),
            dict(TAGGED, priority=2, tag_prefixes=[""]),
        ],
    )
    messages = str(error).split(": ", 1)[1].split("; rules")
    assert str(error).startswith("4 problems in the lifecycle policy: ")
    assert "rules[priority=3].count: must be a positive integer" in str(error)
    assert "rules[priority=3].count_unit: only used with the age count types" in str(error)
    assert "rules[priority=3].priority: priority 3 is given to 2 rules" in str(error)
    assert "rules[priority=2].tag_prefixes[0]: must not be an empty string" in str(error)
    assert "tagged needs" not in str(error)
    assert len(messages) == 4


def test_any_rules_are_counted_per_storage_class():
    """[examples] Combining archive and expire rules: an `any` rule for each storage class is valid."""
    models_lifecycle_validation.validate_rules(
        [
            keep_last(1, 30, count_type="since_image_pushed", action="transition"),
            keep_last(2, 365, count_type="since_image_transitioned", storage_class="archive"),
        ]
    )
    error = error_of(
        models_lifecycle_validation.validate_rules,
        [
            keep_last(1, 30, count_type="since_image_pushed", action="transition"),
            dict(TAGGED, priority=3, tag_prefixes=["v"]),
            keep_last(2, 365, count_type="since_image_transitioned", storage_class="archive"),
        ],
    )
    assert (
        "rules[priority=1].priority: a rule with tag status any must have the highest priority number among the"
        in str(error)
    )


DOCUMENT_ERRORS = [
    ("not json", "{rules: [", "policy: not valid JSON"),
    ("not a dict", [1, 2], "policy: give the lifecycle policy as a dict"),
    ("no rules", {}, "policy: a lifecycle policy needs 'rules'"),
    ("extra key", {"rules": [], "version": 1}, "policy: unknown key(s) 'version'"),
    ("empty rules", {"rules": []}, "policy.rules: give at least one rule"),
    ("rule not a dict", {"rules": ["x"]}, "policy.rules[index=0]: must be a dict"),
    (
        "unit for count",
        {
            "rules": [
                {
                    "rulePriority": 4,
                    "selection": {
                        "tagStatus": "any",
                        "countType": "imageCountMoreThan",
                        "countUnit": "days",
                        "countNumber": 1,
                    },
                    "action": {"type": "expire"},
                }
            ]
        },
        "policy.rules[priority=4].selection.countUnit: only used with the age count types (sinceImagePushed",
    ),
    (
        "unknown selection key",
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1, "x": 1},
                    "action": {"type": "expire"},
                }
            ]
        },
        "policy.rules[priority=1].selection.x: unknown field",
    ),
    (
        "missing action type",
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
                    "action": {},
                }
            ]
        },
        "policy.rules[priority=1].action.type: required; give one of expire, transition",
    ),
    (
        "missing selection",
        {"rules": [{"rulePriority": 7, "action": {"type": "expire"}}]},
        "policy.rules[priority=7].selection: required",
    ),
    (
        "snake case inside a document",
        {"rules": [{"rulePriority": 1, "selection": {"tag_status": "any"}, "action": {"type": "expire"}}]},
        "policy.rules[priority=1].selection.tag_status: unknown field",
    ),
]


@pytest.mark.parametrize(
    "doc, expected", [(d, e) for _n, d, e in DOCUMENT_ERRORS], ids=[n for n, _d, _e in DOCUMENT_ERRORS]
)
def test_document_errors_name_the_rule_and_the_field(doc, expected):
    error = error_of(models_lifecycle_validation.validate_document, doc)
    assert expected in str(error)
    assert error.option == "policy"


def test_policy_too_long():
    rules = [dict(TAGGED, priority=p, tag_prefixes=[f"p{p}"], description="x" * 1000) for p in range(1, 40)]
    assert "ECR allows at most 30720" in str(error_of(models_lifecycle_validation.validate_rules, rules))


def test_documents_are_accepted_as_json_text():
    text = json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 2},
                    "action": {"type": "expire"},
                }
            ]
        }
    )
    assert models_lifecycle_validation.validate_document(text)["rules"][0]["selection"]["countNumber"] == 2


# ---------------------------------------------------------------------------------------------
# Features of the installed botocore
# ---------------------------------------------------------------------------------------------


class FakeShape:
    def __init__(self, enum=None, members=None):
        self.enum = enum
        self.members = members or {}


class FakeModel:
    def __init__(self, shapes):
        self.shapes = shapes
        self.shape_names = list(shapes)

    def shape_for(self, name):
        return self.shapes[name]


def test_features_of_the_installed_botocore():
    model = botocore.session.get_session().get_service_model("ecr")
    assert models_lifecycle_rules.supported_features(model) == models_lifecycle_rules.ALL_FEATURES


def test_features_of_an_old_botocore():
    old = FakeModel({"TagStatus": FakeShape(["TAGGED", "UNTAGGED", "ANY"])})
    assert models_lifecycle_rules.supported_features(old) == frozenset()
    transition_only = FakeModel({"ImageActionType": FakeShape(["EXPIRE", "TRANSITION"])})
    assert models_lifecycle_rules.supported_features(transition_only) == frozenset(["transition"])


@pytest.mark.parametrize(
    "rules, expected",
    [
        ([keep_last(1, 5, action="transition")], "rules[priority=1].action: the installed botocore does not know"),
        (
            [keep_last(1, 90, count_type="since_image_pulled", action="transition")],
            "rules[priority=1].count_type: the installed botocore does not know count type since_image_pulled",
        ),
        (
            [keep_last(1, 365, count_type="since_image_transitioned", storage_class="archive")],
            "rules[priority=1].storage_class: the installed botocore does not know",
        ),
    ],
)
def test_features_missing_from_botocore_are_refused(rules, expected):
    assert expected in str(error_of(models_lifecycle_validation.validate_rules, rules, features=frozenset()))


def test_basic_rules_need_no_feature():
    models_lifecycle_validation.validate_rules([keep_last(1, 5)], features=frozenset())


# ---------------------------------------------------------------------------------------------
# Evaluator details
# ---------------------------------------------------------------------------------------------


def test_patterns():
    assert models_wildcards.tag_matches_pattern("prod", "prod*")
    assert models_wildcards.tag_matches_pattern("production-team1", "prod*")
    assert models_wildcards.tag_matches_pattern("repo-production", "*prod*")
    assert not models_wildcards.tag_matches_pattern("xprod", "prod*")
    assert models_wildcards.tag_matches_pattern("v1.2.3", "v*.*.*")
    assert not models_wildcards.tag_matches_pattern("v1x2", "v1.2")  # '.' is literal
    assert models_wildcards.tag_matches_pattern("exact", "exact")
    assert not models_wildcards.tag_matches_pattern("exact-1", "exact")


def test_no_policy_keeps_everything():
    result = models_lifecycle_evaluation.evaluate(
        None, [image("A", [], 100, size=10), image("B", ["x"], 1, size=5)], now=NOW
    )
    assert [i["action"] for i in result["images"]] == ["keep", "keep"]
    assert result["totals"] == {
        "images": 2,
        "bytes": 15,
        "expired_images": 0,
        "expired_bytes": 0,
        "transitioned_images": 0,
        "transitioned_bytes": 0,
        "kept_images": 2,
        "kept_bytes": 15,
    }


def test_output_is_sorted_and_complete():
    images = [image("B", ["b"], 1, size=3), image("A", [], 5, size=7, imageTags=None)]
    result = models_lifecycle_evaluation.evaluate([keep_last(1, 1)], images, now=NOW)
    first = result["images"][0]
    assert first == {
        "digest": digest("A"),
        "tags": [],
        "pushed_at": (NOW - timedelta(days=5)).isoformat(),
        "size_bytes": 7,
        "storage_class": "standard",
        "action": "expire",
        "target_storage_class": None,
        "rule_priority": 1,
        "selected_by": 1,
        "reason": None,
    }
    assert result["evaluated_at"] == NOW.isoformat()
    assert result["rules"] == [
        {
            "priority": 1,
            "description": None,
            "action": "expire",
            "matched_images": 2,
            "acted_images": 1,
            "acted_bytes": 7,
        }
    ]


def test_reference_time_defaults_to_now():
    result = models_lifecycle_evaluation.evaluate(
        [keep_last(1, 1, count_type="since_image_pushed")],
        [{"imageDigest": digest("A"), "imagePushedAt": datetime.now(timezone.utc) - timedelta(days=2)}],
    )
    assert result["images"][0]["action"] == "expire"


def test_timestamps_in_other_forms():
    images = [
        {"imageDigest": digest("A"), "imagePushedAt": (NOW - timedelta(days=3)).isoformat().replace("+00:00", "Z")},
        {"imageDigest": digest("B"), "imagePushedAt": (NOW - timedelta(days=1)).timestamp()},
        {"imageDigest": digest("C"), "imagePushedAt": (NOW - timedelta(days=2)).replace(tzinfo=None)},
    ]
    result = models_lifecycle_evaluation.evaluate([keep_last(1, 1)], images, now=NOW.isoformat())
    assert [i["digest"] for i in result["images"]] == [digest("A"), digest("C"), digest("B")]
    assert [i["action"] for i in result["images"]] == ["expire", "expire", "keep"]


def test_ties_in_push_time_are_broken_by_digest():
    images = [image(n, [], 1) for n in "ABC"]
    first = models_lifecycle_evaluation.evaluate([keep_last(1, 1)], images, now=NOW)
    second = models_lifecycle_evaluation.evaluate([keep_last(1, 1)], list(reversed(images)), now=NOW)
    assert first == second
    assert sum(i["action"] == "keep" for i in first["images"]) == 1


def test_duplicate_image_entries_count_once():
    result = models_lifecycle_evaluation.evaluate([keep_last(1, 5)], [image("A", [], 1), image("A", [], 1)], now=NOW)
    assert result["totals"]["images"] == 1


def test_restored_images_count_from_their_restore():
    """[evaluation] a restored image's last_activated_at is used instead of pushed_at_time."""
    images = [
        image("A", ["a"], 100, lastActivatedAt=NOW - timedelta(days=1)),
        image("B", ["b"], 50),
    ]
    rules = [keep_last(1, 30, count_type="since_image_pushed")]
    assert [i["action"] for i in models_lifecycle_evaluation.evaluate(rules, images, now=NOW)["images"]] == [
        "keep",
        "expire",
    ]
    # and it is the youngest for imageCountMoreThan
    assert [
        i["action"] for i in models_lifecycle_evaluation.evaluate([keep_last(1, 1)], images, now=NOW)["images"]
    ] == [
        "keep",
        "expire",
    ]


def test_images_being_restored_are_left_alone():
    images = [image("A", [], 400, imageStatus="ACTIVATING", lastArchivedAt=NOW - timedelta(days=300))]
    rules = [
        keep_last(1, 1, count_type="since_image_pushed"),
        keep_last(2, 90, count_type="since_image_transitioned", storage_class="archive"),
    ]
    entry = models_lifecycle_evaluation.evaluate(rules, images, now=NOW)["images"][0]
    assert entry["action"] == "keep" and entry["storage_class"] is None
    assert "ACTIVATING" in entry["reason"]


def test_a_manifest_list_that_stays_keeps_its_children():
    """[evaluation] An image referenced by a manifest list cannot be expired while the list stays."""
    index_type = "application/vnd.oci.image.index.v1+json"
    images = [
        image("A", [], 10),  # child of the kept list
        image("B", [], 10),  # child of the kept list
        image("C", [], 9),  # an unrelated untagged image
        image("D", ["v1"], 8, imageManifestMediaType=index_type, childDigests=[digest("A"), digest("B")]),
        image("E", [], 20),  # child of the expired list
        image("F", ["old"], 20, imageManifestMediaType=index_type, childDigests=[digest("E")]),
    ]
    rules = [
        dict(TAGGED, priority=1, tag_prefixes=["old"], count_type="since_image_pushed", count=15),
        keep_last(2, 1, count_type="since_image_pushed", tag_status="untagged"),
    ]
    result = models_lifecycle_evaluation.evaluate(rules, images, now=NOW)
    by_digest = {i["digest"]: i for i in result["images"]}
    assert by_digest[digest("A")]["action"] == "keep"
    assert by_digest[digest("A")]["reason"] == f"referenced by manifest list {digest('D')}, which stays"
    assert by_digest[digest("C")]["action"] == "expire"
    assert by_digest[digest("F")]["action"] == "expire"
    assert by_digest[digest("E")]["action"] == "expire"


def test_artifacts_follow_their_subject():
    """[evaluation] Reference artifacts are expired or archived with their subject image."""
    images = [
        image("A", ["v1"], 10, size=50),
        image("B", [], 1, size=2, subjectManifestDigest=digest("A")),  # signature of A
        image("C", ["v2"], 5),
        image("D", [], 1, subjectManifestDigest=digest("C")),  # signature of C, which stays
    ]
    rules = [dict(TAGGED, priority=1, tag_prefixes=["v"], count=1)]
    result = models_lifecycle_evaluation.evaluate(rules, images, now=NOW)
    by_digest = {i["digest"]: i for i in result["images"]}
    assert by_digest[digest("B")]["action"] == "expire"
    assert by_digest[digest("B")]["rule_priority"] == 1
    assert by_digest[digest("B")]["reason"] == f"follows its subject {digest('A')}"
    assert by_digest[digest("D")]["action"] == "keep"
    assert result["rules"][0]["acted_images"] == 2 and result["rules"][0]["acted_bytes"] == 52


def test_evaluate_validates_its_policy():
    with pytest.raises(LifecycleError):
        models_lifecycle_evaluation.evaluate([keep_last(1, 0)], [], now=NOW)


# ---------------------------------------------------------------------------------------------
# AWS side, against moto in process
# ---------------------------------------------------------------------------------------------


def manifest(name, size):
    config = {
        "mediaType": "application/vnd.oci.image.config.v1+json",
        "digest": "sha256:" + hashlib.sha256(f"{name}-config".encode()).hexdigest(),
        "size": size,
    }
    layer = {
        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
        "digest": "sha256:" + hashlib.sha256(f"{name}-layer".encode()).hexdigest(),
        "size": size * 10,
    }
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": config,
            "layers": [layer],
        }
    )


@pytest.fixture
def ecr():
    with mock_aws():
        client = boto3.client("ecr", region_name="us-east-1")
        client.create_repository(repositoryName="team/app")
        yield RetryingBotoClientWrapper(client, AWSRetry.jittered_backoff())


POLICY = models_lifecycle_validation.validate_rules([keep_last(1, 2)])


def test_converge_creates_updates_and_deletes(ecr):
    assert api_lifecycle_policy.get_lifecycle_policy(ecr, "team/app") is None
    assert converge_lifecycle.converge_lifecycle(ecr, "team/app", None, POLICY, check_mode=True) == (True, None, POLICY)
    assert api_lifecycle_policy.get_lifecycle_policy(ecr, "team/app") is None

    assert converge_lifecycle.converge_lifecycle(ecr, "team/app", None, POLICY) == (True, None, POLICY)
    assert api_lifecycle_policy.get_lifecycle_policy(ecr, "team/app") == POLICY
    assert converge_lifecycle.converge_lifecycle(ecr, "team/app", None, POLICY, check_mode=True) == (
        False,
        POLICY,
        POLICY,
    )
    assert converge_lifecycle.converge_lifecycle(ecr, "team/app", None, POLICY) == (False, POLICY, POLICY)

    other = models_lifecycle_validation.validate_rules([keep_last(1, 3)])
    assert converge_lifecycle.converge_lifecycle(ecr, "team/app", None, other) == (True, POLICY, other)

    assert converge_lifecycle.converge_lifecycle(ecr, "team/app", None, None, check_mode=True) == (True, other, None)
    assert api_lifecycle_policy.get_lifecycle_policy(ecr, "team/app") == other
    assert converge_lifecycle.converge_lifecycle(ecr, "team/app", None, None) == (True, other, None)
    assert converge_lifecycle.converge_lifecycle(ecr, "team/app", None, None) == (False, None, None)


def test_converge_compares_by_meaning(ecr):
    """A policy stored in another key order, with whitespace, is no change."""
    stored = json.loads(models_lifecycle_rules.policy_text(POLICY))
    stored["rules"][0] = dict(reversed(list(stored["rules"][0].items())))
    ecr.put_lifecycle_policy(repositoryName="team/app", lifecyclePolicyText=json.dumps(stored, indent=4))
    assert converge_lifecycle.converge_lifecycle(ecr, "team/app", None, POLICY)[0] is False


def test_converge_with_a_policy_read_in_bulk(ecr):
    changed, before, after = converge_lifecycle.converge_lifecycle(ecr, "team/app", None, POLICY, current=POLICY)
    assert (changed, before, after) == (False, POLICY, POLICY)
    assert api_lifecycle_policy.get_lifecycle_policy(ecr, "team/app") is None  # nothing read, nothing written


def test_missing_repository(ecr):
    with pytest.raises(RepositoryNotFoundError) as info:
        converge_lifecycle.converge_lifecycle(ecr, "team/nothing", None, POLICY)
    assert info.value.option == "repository"
    assert "'team/nothing' does not exist" in str(info.value)
    assert converge_lifecycle.converge_lifecycle(ecr, "team/nothing", None, None) == (False, None, None)
    with pytest.raises(RepositoryNotFoundError):
        api_images.describe_all_images(ecr, "team/nothing")


def test_describe_all_images_and_evaluate(ecr):
    for index, name in enumerate(["A", "B", "C"]):
        ecr.put_image(
            repositoryName="team/app",
            imageManifest=manifest(name, 100 + index),
            imageManifestMediaType="application/vnd.oci.image.manifest.v1+json",
            imageTag=f"v{index}",
        )
    images = api_images.describe_all_images(ecr, "team/app")
    assert len(images) == 3
    result = models_lifecycle_evaluation.evaluate(POLICY, images)
    assert result["totals"]["images"] == 3
    assert result["totals"]["expired_images"] == 1  # moto's push times may tie; the digest breaks ties
    assert result["totals"]["bytes"] == sum(i["imageSizeInBytes"] for i in images)


def test_manifest_lists_get_their_children(ecr):
    children = []
    for name in ("amd64", "arm64"):
        response = ecr.put_image(
            repositoryName="team/app",
            imageManifest=manifest(name, 10),
            imageManifestMediaType="application/vnd.oci.image.manifest.v1+json",
        )
        children.append(response["image"]["imageId"]["imageDigest"])
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d, "size": 10} for d in children
            ],
        }
    )
    ecr.put_image(
        repositoryName="team/app",
        imageManifest=index,
        imageManifestMediaType="application/vnd.oci.image.index.v1+json",
        imageTag="v1",
    )
    images = api_images.describe_all_images(ecr, "team/app")
    assert not [i for i in images if "childDigests" in i]  # the listing reads no manifest
    policy = models_lifecycle_validation.validate_rules(
        [dict(priority=1, tag_status="untagged", count_type="image_count_more_than", count=1)]
    )
    result = converge_lifecycle.evaluate_now(ecr, "team/app", None, policy, images=images)
    lists = [i for i in images if i.get("childDigests")]
    assert len(lists) == 1 and sorted(lists[0]["childDigests"]) == sorted(children)
    assert result["totals"]["expired_images"] == 0  # the untagged children stay with their list
