# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Property-based tests (hypothesis) of the lifecycle evaluator and of normalisation."""

import fnmatch
import random
from datetime import datetime, timedelta, timezone

from ansible_collections.dockyard.ecr.plugins.module_utils._models import (
    lifecycle_evaluation as models_lifecycle_evaluation,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models import lifecycle_rules as models_lifecycle_rules
from ansible_collections.dockyard.ecr.plugins.module_utils._models import (
    lifecycle_validation as models_lifecycle_validation,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models import wildcards as models_wildcards
from hypothesis import given, settings
from hypothesis import strategies as st

NOW = datetime(2025, 6, 30, 12, 0, tzinfo=timezone.utc)
BOUNDED = settings(max_examples=100, deadline=None)

TAGS = ["prod-1", "prod-2", "beta-1", "beta-2", "v1.0", "v1.1", "v2.0", "latest", "dev", "rc-1"]
PREFIXES = ["prod", "beta", "v1", "v", "l", "dev", "rc"]
PATTERNS = ["prod*", "*-1", "v*.*", "*", "*a*", "beta-2", "v1.*", "*t*t*"]


@st.composite
def images(draw):
    count = draw(st.integers(min_value=0, max_value=12))
    out = []
    for index in range(count):
        tags = draw(st.lists(st.sampled_from(TAGS), max_size=3, unique=True))
        age_hours = draw(st.integers(min_value=0, max_value=24 * 60))
        out.append(
            {
                "imageDigest": f"sha256:{index:064x}",
                "imageTags": tags,
                "imagePushedAt": NOW - timedelta(hours=age_hours),
                "imageSizeInBytes": draw(st.integers(min_value=0, max_value=10_000)),
            }
        )
    return out


def _count(draw, rule):
    count_type = draw(st.sampled_from(["image_count_more_than", "since_image_pushed"]))
    rule["count_type"] = count_type
    rule["count"] = draw(st.integers(min_value=1, max_value=6 if count_type == "image_count_more_than" else 60))
    rule["action"] = draw(st.sampled_from(["expire", "expire", "transition"]))
    return rule


@st.composite
def policies(draw):
    """Valid snake_case rules: unique priorities, at most one untagged rule, at most one any rule (last),
    each tagged rule with its own set of prefixes or with patterns."""
    tagged_count = draw(st.integers(min_value=0, max_value=4))
    rules, prefix_sets = [], set()
    for _position in range(tagged_count):
        if draw(st.booleans()):
            prefixes = frozenset(draw(st.lists(st.sampled_from(PREFIXES), min_size=1, max_size=2, unique=True)))
            if prefixes in prefix_sets:
                continue
            prefix_sets.add(prefixes)
            rule = {"tag_status": "tagged", "tag_prefixes": sorted(prefixes)}
        else:
            patterns = draw(st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=2, unique=True))
            rule = {"tag_status": "tagged", "tag_patterns": patterns}
        rules.append(_count(draw, rule))
    if draw(st.booleans()):
        rules.append(_count(draw, {"tag_status": "untagged"}))
    draw(st.randoms(use_true_random=False)).shuffle(rules)
    if draw(st.booleans()) or not rules:
        rules.append(_count(draw, {"tag_status": "any"}))
    priorities = sorted(
        draw(st.lists(st.integers(min_value=1, max_value=1000), min_size=len(rules), max_size=len(rules), unique=True))
    )
    for rule, priority in zip(rules, priorities):
        rule["priority"] = priority
    return rules


def matches(rule, detail):
    """An oracle for the tagging requirements, independent of models_lifecycle_evaluation._selects (fnmatch for patterns)."""
    tags = detail["imageTags"]
    if rule["tag_status"] == "any":
        return True
    if rule["tag_status"] == "untagged":
        return not tags
    if "tag_patterns" in rule:
        return bool(tags) and all(any(fnmatch.fnmatchcase(t, p) for t in tags) for p in rule["tag_patterns"])
    return bool(tags) and all(any(t.startswith(p) for t in tags) for p in rule["tag_prefixes"])


def decisions(result):
    return {i["digest"]: (i["action"], i["rule_priority"]) for i in result["images"] if i["action"] != "keep"}


@BOUNDED
@given(policies(), images())
def test_generated_policies_are_valid(rules, repo):
    models_lifecycle_validation.validate_rules(rules)


@BOUNDED
@given(policies(), images())
def test_every_image_once_and_totals_add_up(rules, repo):
    result = models_lifecycle_evaluation.evaluate(rules, repo, now=NOW)
    assert sorted(i["digest"] for i in result["images"]) == sorted(d["imageDigest"] for d in repo)
    totals = result["totals"]
    assert totals["images"] == len(repo)
    assert totals["expired_images"] + totals["transitioned_images"] + totals["kept_images"] == len(repo)
    assert totals["expired_bytes"] + totals["transitioned_bytes"] + totals["kept_bytes"] == totals["bytes"]
    assert totals["bytes"] == sum(d["imageSizeInBytes"] for d in repo)
    # A policy never acts on more images than the repository holds.
    assert totals["expired_images"] + totals["transitioned_images"] <= len(repo)
    pushed = [i["pushed_at"] for i in result["images"]]
    assert pushed == sorted(pushed)


@BOUNDED
@given(policies(), images())
def test_no_image_is_selected_twice(rules, repo):
    """Each image is acted on by at most one rule, and only by the first rule whose selection matches it."""
    result = models_lifecycle_evaluation.evaluate(rules, repo, now=NOW)
    by_priority = {r["priority"]: r for r in rules}
    details = {d["imageDigest"]: d for d in repo}
    for entry in result["images"]:
        first = next(
            (r["priority"] for r in sorted(rules, key=lambda r: r["priority"]) if matches(r, details[entry["digest"]])),
            None,
        )
        assert entry["selected_by"] == first
        if entry["action"] == "keep":
            assert entry["rule_priority"] is None
        else:
            assert entry["rule_priority"] == first
            assert entry["action"] == by_priority[first]["action"]
    acted = sum(r["acted_images"] for r in result["rules"])
    assert acted == result["totals"]["expired_images"] + result["totals"]["transitioned_images"]


@BOUNDED
@given(policies(), images())
def test_count_rules_keep_the_newest(rules, repo):
    """Among the images an image_count_more_than rule acts on, none is newer than one the rule keeps
    among the images it is the first to select."""
    result = models_lifecycle_evaluation.evaluate(rules, repo, now=NOW)
    for rule in rules:
        if rule["count_type"] != "image_count_more_than":
            continue
        owned = [i for i in result["images"] if i["selected_by"] == rule["priority"]]
        acted = [i["pushed_at"] for i in owned if i["rule_priority"] == rule["priority"]]
        kept = [i["pushed_at"] for i in owned if i["action"] == "keep"]
        if acted and kept:
            assert max(acted) <= min(kept)
        matched = [i for i in result["rules"] if i["priority"] == rule["priority"]][0]["matched_images"]
        assert len(acted) <= max(0, matched - rule["count"])


@BOUNDED
@given(policies(), images(), st.randoms(use_true_random=False))
def test_input_order_does_not_matter(rules, repo, rnd):
    expected = models_lifecycle_evaluation.evaluate(rules, repo, now=NOW)
    shuffled_rules, shuffled_repo = list(rules), list(repo)
    rnd.shuffle(shuffled_rules)
    rnd.shuffle(shuffled_repo)
    assert models_lifecycle_evaluation.evaluate(shuffled_rules, shuffled_repo, now=NOW) == expected


@BOUNDED
@given(policies(), images(), st.integers(min_value=1, max_value=24 * 90))
def test_time_only_adds_actions(rules, repo, hours):
    """Rule selections do not depend on time and ages only grow: later, a policy acts on a superset."""
    earlier = decisions(models_lifecycle_evaluation.evaluate(rules, repo, now=NOW))
    later = decisions(models_lifecycle_evaluation.evaluate(rules, repo, now=NOW + timedelta(hours=hours)))
    assert set(earlier.items()) <= set(later.items())


@BOUNDED
@given(policies(), images())
def test_rules_applied_later_never_undo_earlier_ones(rules, repo):
    ordered = sorted(rules, key=lambda r: r["priority"])
    if len(ordered) < 2:
        return
    fewer = decisions(models_lifecycle_evaluation.evaluate(ordered[:-1], repo, now=NOW))
    more = decisions(models_lifecycle_evaluation.evaluate(ordered, repo, now=NOW))
    assert set(fewer.items()) <= set(more.items())


@BOUNDED
@given(policies(), st.randoms(use_true_random=False))
def test_normalisation_ignores_order_and_round_trips(rules, rnd):
    doc = models_lifecycle_validation.validate_rules(rules)
    assert models_lifecycle_rules.normalize(doc) == doc
    shuffled = [dict(r) for r in rules]
    rnd.shuffle(shuffled)
    for rule in shuffled:
        for key in ("tag_prefixes", "tag_patterns"):
            if key in rule:
                rule[key] = list(reversed(rule[key]))
    assert not models_lifecycle_rules.documents_differ(doc, models_lifecycle_rules.rules_to_document(shuffled))
    assert models_lifecycle_validation.validate_rules(models_lifecycle_rules.document_to_rules(doc)) == doc
    assert models_lifecycle_validation.validate_document(models_lifecycle_rules.policy_text(doc)) == doc


def test_pattern_oracle_agrees_on_wildcards():
    rnd = random.Random(7)
    for _attempt in range(500):
        tag = "".join(rnd.choice("ab-.1") for _char in range(rnd.randint(1, 6)))
        pattern = "".join(rnd.choice("ab-.1**") for _char in range(rnd.randint(1, 6)))
        assert models_wildcards.tag_matches_pattern(tag, pattern) == fnmatch.fnmatchcase(tag, pattern)
