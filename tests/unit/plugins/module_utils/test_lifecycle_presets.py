# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""lifecycle.presets_to_rules: the rules the presets stand for, and what they do (through the evaluator)."""

import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import LifecycleError
from ansible_collections.dockyard.ecr.plugins.module_utils._models import (
    lifecycle_evaluation as models_lifecycle_evaluation,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models import lifecycle_presets as models_lifecycle_presets
from ansible_collections.dockyard.ecr.plugins.module_utils._models import (
    lifecycle_validation as models_lifecycle_validation,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_presets import (
    presets_to_rules,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def image(name, tags, days_ago):
    return {
        "imageDigest": "sha256:" + hashlib.sha256(name.encode()).hexdigest(),
        "imageTags": list(tags),
        "imagePushedAt": NOW - timedelta(days=days_ago),
        "imageSizeInBytes": 100,
    }


def fate(rules, images):
    """{image tags or digest prefix: action} for the images, by the local evaluator."""
    result = models_lifecycle_evaluation.evaluate(rules, images, now=NOW)
    by_digest = {i["imageDigest"]: i for i in images}
    out = {}
    for entry in result["images"]:
        detail = by_digest[entry["digest"]]
        out[",".join(detail["imageTags"]) or entry["digest"][7:15]] = entry["action"]
    return out


def test_no_preset_gives_no_rule():
    assert presets_to_rules() == []


def test_keep_last_alone():
    assert presets_to_rules(keep_last=5) == [
        {
            "priority": 1,
            "description": "Keep the 5 most recently pushed images",
            "tag_status": "any",
            "count_type": "image_count_more_than",
            "count": 5,
            "action": "expire",
        }
    ]


def test_all_presets_in_order_and_valid():
    rules = presets_to_rules(keep_last=10, expire_untagged_after_days=7, keep_tag_prefixes=["v", "release-", "v"])
    assert [(r["priority"], r["tag_status"]) for r in rules] == [
        (1, "untagged"),
        (2, "tagged"),
        (3, "tagged"),
        (4, "any"),
    ]
    # One rule per prefix (a rule's prefixes must all match), duplicates dropped.
    assert [r["tag_prefixes"] for r in rules[1:3]] == [["v"], ["release-"]]
    assert rules[1]["count"] == models_lifecycle_presets.PROTECT_COUNT
    assert rules[0]["count_type"] == "since_image_pushed" and rules[0]["count"] == 7
    doc = models_lifecycle_validation.validate_rules(rules)
    assert doc["rules"][-1]["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10}


def test_expire_untagged_alone():
    rules = presets_to_rules(expire_untagged_after_days="14")
    assert len(rules) == 1 and rules[0]["count"] == 14
    models_lifecycle_validation.validate_rules(rules)


def test_protected_prefixes_survive_keep_last():
    rules = presets_to_rules(keep_last=2, keep_tag_prefixes=["release-"])
    images = [
        image("r1", ["release-1"], 30),
        image("r2", ["release-2"], 20),
        image("b1", ["build-1"], 10),
        image("b2", ["build-2"], 3),
        image("b3", ["build-3"], 2),
        image("b4", ["build-4"], 1),
    ]
    assert fate(rules, images) == {
        "release-1": "keep",
        "release-2": "keep",
        "build-1": "expire",
        "build-2": "expire",
        "build-3": "keep",
        "build-4": "keep",
    }


def test_keep_last_counts_protected_images_too():
    # ECR counts every image for the `any` rule, the shielded ones too: the two youngest images are
    # release images, so every build image is beyond the count.
    rules = presets_to_rules(keep_last=2, keep_tag_prefixes=["release-"])
    images = [image("b1", ["build-1"], 10), image("r1", ["release-1"], 2), image("r2", ["release-2"], 1)]
    assert fate(rules, images) == {"build-1": "expire", "release-1": "keep", "release-2": "keep"}


def test_untagged_images_expire_by_age_and_are_shielded_from_keep_last():
    rules = presets_to_rules(keep_last=1, expire_untagged_after_days=7)
    old, young = image("old", [], 8), image("young", [], 1)
    images = [old, young, image("t1", ["t1"], 5), image("t2", ["t2"], 0)]
    result = fate(rules, images)
    assert result["t1"] == "expire" and result["t2"] == "keep"
    assert result[old["imageDigest"][7:15]] == "expire"
    # Selected by the untagged rule, so the `any` rule cannot expire it although it is beyond the count.
    assert result[young["imageDigest"][7:15]] == "keep"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"keep_last": 0}, "keep_last: must be 1 or more"),
        ({"keep_last": "ten"}, "keep_last: give the number of images to keep as a positive integer"),
        ({"keep_last": True}, "keep_last: give"),
        ({"expire_untagged_after_days": -1}, "expire_untagged_after_days: must be 1 or more"),
        ({"keep_last": 3, "keep_tag_prefixes": "v"}, "keep_tag_prefixes: give a list of tag prefixes"),
        ({"keep_last": 3, "keep_tag_prefixes": ["v", ""]}, "keep_tag_prefixes[1]: empty"),
        ({"keep_last": 3, "keep_tag_prefixes": ["rel*"]}, "keep_tag_prefixes[0]: 'rel*' contains '*'"),
        ({"keep_tag_prefixes": ["v"]}, "keep_tag_prefixes: protects images from keep_last"),
    ],
)
def test_bad_presets_name_the_preset(kwargs, message):
    with pytest.raises(LifecycleError) as info:
        presets_to_rules(**kwargs)
    assert info.value.message.startswith(message), info.value.message
    assert info.value.option.startswith(message.split(":")[0].split("[")[0])
