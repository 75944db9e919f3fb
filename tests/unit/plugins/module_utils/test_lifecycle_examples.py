# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The evaluator against the examples in AWS's documentation, one test per documented example.

Sources (Amazon ECR User Guide): "Examples of lifecycle policies in Amazon ECR"
(lifecycle_policy_examples) in its current form, which writes the multi-rule examples with
tagPatternList, and in its earlier form, which wrote the same examples with tagPrefixList and had
an untagged image-age example. Where an example names no repository contents, the test states its
own and says so. "Pushed: N days ago" is taken relative to a fixed reference time.
"""

import hashlib
from datetime import datetime, timedelta, timezone

from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_evaluation import evaluate

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


def acted(result, action="expire"):
    """The names of the images the result gives ``action``, by name (A, B, ...)."""
    names = {digest(n): n for n in "ABCDEFGHIJ"}
    names.update({digest(n): n for n in ("prod-old", "prod-new", "dev-old", "u-old", "u-new", "t-old", "t-new")})
    return sorted(names[i["digest"]] for i in result["images"] if i["action"] == action)


def rule(priority, selection, action=None, description=None):
    out = {"rulePriority": priority, "selection": selection, "action": action or {"type": "expire"}}
    if description:
        out["description"] = description
    return out


# --- Filtering on image age ------------------------------------------------------------------


def test_filtering_on_image_age_tag_pattern():
    """Current example: expire images with a tag matching prod* that are older than 14 days.

    The example gives no repository; these images are ours: an old and a new prod image, and an old
    image with another tag, which the rule does not select.
    """
    policy = {
        "rules": [
            rule(
                1,
                {
                    "tagStatus": "tagged",
                    "tagPatternList": ["prod*"],
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 14,
                },
                description="Expire images older than 14 days",
            )
        ]
    }
    images = [
        image("prod-old", ["prod-1"], 20),
        image("prod-new", ["prod-2"], 10),
        image("dev-old", ["dev-1"], 30),
    ]
    assert acted(evaluate(policy, images, now=NOW)) == ["prod-old"]


def test_filtering_on_image_age_untagged():
    """Earlier example: expire untagged images older than 14 days (our images: two untagged, one tagged)."""
    policy = {
        "rules": [
            rule(
                1,
                {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
            )
        ]
    }
    images = [image("u-old", [], 15), image("u-new", [], 13), image("t-old", ["v1"], 100)]
    assert acted(evaluate(policy, images, now=NOW)) == ["u-old"]


# --- Filtering on image count ----------------------------------------------------------------


def test_filtering_on_image_count():
    """Keep only one untagged image, expire all others (our images: three untagged, one tagged)."""
    policy = {
        "rules": [
            rule(
                1,
                {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1},
                description="Keep only one untagged image, expire all others",
            )
        ]
    }
    images = [image("A", [], 3), image("B", [], 2), image("C", [], 1), image("D", ["latest"], 10)]
    assert acted(evaluate(policy, images, now=NOW)) == ["A", "B"]


# --- Filtering on multiple rules -------------------------------------------------------------

MULTIPLE_RULES_REPOSITORY = [
    image("A", ["beta-1", "prod-1"], 10),
    image("B", ["beta-2", "prod-2"], 9),
    image("C", ["beta-3"], 8),
]


def _two_rules(first, second, key):
    def values(name):
        return [name + "*"] if key == "tagPatternList" else [name]

    return {
        "rules": [
            rule(
                1,
                {"tagStatus": "tagged", key: values(first), "countType": "imageCountMoreThan", "countNumber": 1},
                description="Rule 1",
            ),
            rule(
                2,
                {"tagStatus": "tagged", key: values(second), "countType": "imageCountMoreThan", "countNumber": 1},
                description="Rule 2",
            ),
        ]
    }


def test_multiple_rules_example_a():
    """Rule 1 (prod*) marks A; rule 2 (beta*) would mark A and B, but A was seen by rule 1 and expiring B
    would violate rule 1. Result: Image A is expired."""
    result = evaluate(_two_rules("prod", "beta", "tagPatternList"), MULTIPLE_RULES_REPOSITORY, now=NOW)
    assert acted(result) == ["A"]
    by_name = {i["digest"]: i for i in result["images"]}
    assert by_name[digest("A")]["rule_priority"] == 1
    assert by_name[digest("B")]["selected_by"] == 1  # shielded by rule 1, which keeps it
    assert by_name[digest("C")]["rule_priority"] is None


def test_multiple_rules_example_a_with_tag_prefixes():
    """The same example as the earlier documentation wrote it, with tagPrefixList."""
    result = evaluate(_two_rules("prod", "beta", "tagPrefixList"), MULTIPLE_RULES_REPOSITORY, now=NOW)
    assert acted(result) == ["A"]


def test_multiple_rules_example_b():
    """Priorities swapped: rule 1 (beta*) marks A and B; rule 2 (prod*) sees only images rule 1 saw.
    Result: Images A and B are expired."""
    result = evaluate(_two_rules("beta", "prod", "tagPatternList"), MULTIPLE_RULES_REPOSITORY, now=NOW)
    assert acted(result) == ["A", "B"]
    assert {i["rule_priority"] for i in result["images"] if i["action"] == "expire"} == {1}


def test_multiple_rules_example_b_with_tag_prefixes():
    result = evaluate(_two_rules("beta", "prod", "tagPrefixList"), MULTIPLE_RULES_REPOSITORY, now=NOW)
    assert acted(result) == ["A", "B"]


# --- Filtering on multiple tags in a single rule ---------------------------------------------


def _alpha_beta(key, count_type, count):
    values = ["alpha*", "beta*"] if key == "tagPatternList" else ["alpha", "beta"]
    selection = {"tagStatus": "tagged", key: values, "countType": count_type, "countNumber": count}
    if count_type == "sinceImagePushed":
        selection["countUnit"] = "days"
    return {"rules": [rule(1, selection, description="Rule 1")]}


SINGLE_RULE_REPOSITORY_A = [
    image("A", ["alpha-1"], 12),
    image("B", ["beta-1"], 11),
    image("C", ["alpha-2", "beta-2"], 10),
    image("D", ["alpha-3"], 4),
    image("E", ["beta-3"], 3),
    image("F", ["alpha-4", "beta-4"], 2),
]

SINGLE_RULE_REPOSITORY_B = [
    image("A", ["alpha-1", "beta-1", "gamma-1"], 10),
    image("B", ["alpha-2", "beta-2"], 9),
    image("C", ["alpha-3", "beta-3", "gamma-2"], 8),
]


def test_multiple_tags_single_rule_example_a():
    """Images must match all listed patterns: the rule sees C and F, and C is older than five days.
    Result: Image C is expired."""
    result = evaluate(_alpha_beta("tagPatternList", "sinceImagePushed", 5), SINGLE_RULE_REPOSITORY_A, now=NOW)
    assert acted(result) == ["C"]
    assert result["rules"][0]["matched_images"] == 2


def test_multiple_tags_single_rule_example_a_with_tag_prefixes():
    result = evaluate(_alpha_beta("tagPrefixList", "sinceImagePushed", 5), SINGLE_RULE_REPOSITORY_A, now=NOW)
    assert acted(result) == ["C"]


def test_multiple_tags_single_rule_example_b():
    """Tags are not exclusive: all three images match alpha* and beta*; the newest stays.
    Result: Images A and B are expired."""
    result = evaluate(_alpha_beta("tagPatternList", "imageCountMoreThan", 1), SINGLE_RULE_REPOSITORY_B, now=NOW)
    assert acted(result) == ["A", "B"]


def test_multiple_tags_single_rule_example_b_with_tag_prefixes():
    result = evaluate(_alpha_beta("tagPrefixList", "imageCountMoreThan", 1), SINGLE_RULE_REPOSITORY_B, now=NOW)
    assert acted(result) == ["A", "B"]


# --- Filtering on all images -----------------------------------------------------------------


def test_all_images_example_a():
    """A tagStatus any rule keeps only the newest image. Result: Images A, B, and C are expired."""
    policy = {
        "rules": [
            rule(1, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}, description="Rule 1")
        ]
    }
    images = [
        image("A", ["alpha-1"], 4),
        image("B", ["beta-1"], 3),
        image("C", [], 2),
        image("D", ["alpha-2"], 1),
    ]
    assert acted(evaluate(policy, images, now=NOW)) == ["A", "B", "C"]


def test_all_images_example_b():
    """All rule types in one policy. Rule 1 (alpha*, keep 1) marks A; rule 2 (untagged older than one day)
    marks B; rule 3 (any, keep 1) identifies A-E, keeps the newest, cannot mark A, B, C or E because
    higher priority rules identified them, and marks D. Result: Images A, B, and D are expired.

    D and E were both "pushed 1 day ago"; for rule 3 to keep E and mark D, E is the newer of the two,
    so D is given one extra minute. E at exactly one day is not "older than one day" for rule 2.
    """
    policy = {
        "rules": [
            rule(
                1,
                {
                    "tagStatus": "tagged",
                    "tagPatternList": ["alpha*"],
                    "countType": "imageCountMoreThan",
                    "countNumber": 1,
                },
                description="Rule 1",
            ),
            rule(
                2,
                {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1},
                description="Rule 2",
            ),
            rule(3, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}, description="Rule 3"),
        ]
    }
    images = [
        image("A", ["alpha-1", "beta-1"], 4),
        image("B", [], 3),
        image("C", ["alpha-2"], 2),
        image("D", ["git hash"], 1 + 1 / (24 * 60)),
        image("E", [], 1),
    ]
    result = evaluate(policy, images, now=NOW)
    assert acted(result) == ["A", "B", "D"]
    by_name = {i["digest"]: i for i in result["images"]}
    assert [by_name[digest(n)]["rule_priority"] for n in "ABD"] == [1, 2, 3]
    assert by_name[digest("E")]["selected_by"] == 2  # shielded by rule 2, which expires nothing younger
    assert [r["acted_images"] for r in result["rules"]] == [1, 1, 1]
    assert [r["matched_images"] for r in result["rules"]] == [2, 2, 5]


# --- Archive examples ------------------------------------------------------------------------


def _archived(name, tags, days_ago, archived_days_ago, **extra):
    return image(
        name,
        tags,
        days_ago,
        imageStatus="ARCHIVED",
        lastArchivedAt=NOW - timedelta(days=archived_days_ago),
        **extra,
    )


def test_filtering_on_last_pulled_time():
    """Archive images not pulled in 90 days (transition to archive). Our images: pulled long ago (A),
    never pulled and pushed long ago (B: the push time counts), pulled recently (C), never pulled and
    pushed recently (D), restored from archive 5 days ago and not pulled since (E: the restore counts)."""
    policy = {
        "rules": [
            rule(
                1,
                {"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 90},
                action={"type": "transition", "targetStorageClass": "archive"},
                description="Archive images not pulled in 90 days",
            )
        ]
    }
    images = [
        image("A", ["a"], 300, lastRecordedPullTime=NOW - timedelta(days=100)),
        image("B", ["b"], 100),
        image("C", ["c"], 300, lastRecordedPullTime=NOW - timedelta(days=10)),
        image("D", ["d"], 10),
        image(
            "E",
            ["e"],
            400,
            lastRecordedPullTime=NOW - timedelta(days=300),
            lastActivatedAt=NOW - timedelta(days=5),
        ),
    ]
    result = evaluate(policy, images, now=NOW)
    assert acted(result, "transition") == ["A", "B"]
    assert acted(result, "expire") == []
    assert {i["target_storage_class"] for i in result["images"] if i["action"] == "transition"} == {"archive"}
    assert result["totals"]["transitioned_images"] == 2


def test_filtering_on_archive_transition_time():
    """Expire images archived for more than 365 days. Our images: archived 400 days ago (A), archived
    100 days ago (B), and a standard image pushed long ago (C), which an archive rule does not select."""
    policy = {
        "rules": [
            rule(
                1,
                {
                    "tagStatus": "any",
                    "storageClass": "archive",
                    "countType": "sinceImageTransitioned",
                    "countUnit": "days",
                    "countNumber": 365,
                },
                description="Expire images archived for more than 365 days",
            )
        ]
    }
    images = [_archived("A", ["a"], 800, 400), _archived("B", ["b"], 800, 100), image("C", ["c"], 900)]
    result = evaluate(policy, images, now=NOW)
    assert acted(result) == ["A"]
    assert {i["storage_class"] for i in result["images"]} == {"standard", "archive"}


def test_archiving_images_older_than_days():
    """Archive images with tags starting with prod that are older than 30 days."""
    policy = {
        "rules": [
            rule(
                1,
                {
                    "tagStatus": "tagged",
                    "tagPatternList": ["prod*"],
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 30,
                },
                action={"type": "transition", "targetStorageClass": "archive"},
                description="Archive production images older than 30 days",
            )
        ]
    }
    images = [image("A", ["prod-1"], 40), image("B", ["prod-2"], 20), image("C", ["dev-1"], 40)]
    result = evaluate(policy, images, now=NOW)
    assert acted(result, "transition") == ["A"]


def test_combining_archive_and_expire_rules():
    """Archive images older than 30 days (rule 1, standard images), expire images archived for more
    than 365 days (rule 2, archived images). Two `any` rules are valid here: one per storage class."""
    policy = {
        "rules": [
            rule(
                1,
                {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 30},
                action={"type": "transition", "targetStorageClass": "archive"},
                description="Archive images older than 30 days",
            ),
            rule(
                2,
                {
                    "tagStatus": "any",
                    "storageClass": "archive",
                    "countType": "sinceImageTransitioned",
                    "countUnit": "days",
                    "countNumber": 365,
                },
                description="Expire images archived for more than 365 days",
            ),
        ]
    }
    images = [
        image("A", ["a"], 40),
        image("B", ["b"], 10),
        _archived("C", ["c"], 900, 400),
        _archived("D", [], 900, 200),
    ]
    result = evaluate(policy, images, now=NOW)
    assert acted(result, "transition") == ["A"]
    assert acted(result, "expire") == ["C"]
    totals = result["totals"]
    assert (totals["transitioned_images"], totals["expired_images"], totals["kept_images"]) == (1, 1, 2)
