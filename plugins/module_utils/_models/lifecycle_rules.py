# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ECR lifecycle rules, pure: the vocabulary, snake_case rules <-> ECR's JSON, normalisation, comparison.

- ``rules_to_document(rules)`` / ``document_to_rules(doc)``: the modules' snake_case rules <-> ECR's JSON
  (rules come back sorted by priority: every module shows them that way);
- ``normalize(doc)`` / ``documents_differ(a, b)``: semantic comparison (rule order, list order and ECR's
  re-serialisation do not matter);
- ``supported_features(service_model)``: what the installed botocore knows of the optional features.

The semantics follow the Amazon ECR User Guide, cited in comments as:
  [properties]  "Lifecycle policy properties in Amazon ECR" (lifecycle_policy_parameters)
  [evaluation]  "Automate the cleanup of images by using lifecycle policies in Amazon ECR",
                section "Lifecycle policy evaluation rules" (LifecyclePolicies)
  [examples]    "Examples of lifecycle policies in Amazon ECR" (lifecycle_policy_examples)
  [quotas]      "Amazon ECR service quotas" (rules per lifecycle policy, lifecycle policy length)
"""

import copy
import json

TAG_STATUSES = ("tagged", "untagged", "any")
COUNT_TYPES = ("imageCountMoreThan", "sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned")
COUNT_TYPE_TO_SNAKE = {
    "imageCountMoreThan": "image_count_more_than",
    "sinceImagePushed": "since_image_pushed",
    "sinceImagePulled": "since_image_pulled",
    "sinceImageTransitioned": "since_image_transitioned",
}
COUNT_TYPE_FROM_SNAKE = {snake: camel for camel, snake in COUNT_TYPE_TO_SNAKE.items()}
# [properties] countUnit: "Specify a count unit of days"; required with the since* count types only.
AGE_COUNT_TYPES = ("sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned")
COUNT_UNITS = ("days",)
ACTIONS = ("expire", "transition")
STORAGE_CLASSES = ("standard", "archive")
TARGET_STORAGE_CLASSES = ("archive",)
DEFAULT_STORAGE_CLASS = "standard"  # [properties] storageClass: "If you omit this, ... standard"

MAX_RULES = 50  # [quotas] Rules per lifecycle policy: 50, not adjustable
MAX_POLICY_LENGTH = 30720  # [quotas] and botocore's LifecyclePolicyText shape (max 30720)
MAX_WILDCARDS = 4  # [evaluation] "a maximum limit of four wildcards (*) per string"
MIN_ARCHIVE_DAYS = 90  # [examples] "Images must be in archive storage for a minimum of 90 days before deletion"

# Features that depend on what the installed botocore knows (see supported_features()).
FEATURE_TRANSITION = "transition"
FEATURE_ARCHIVE = "archive"
ALL_FEATURES = frozenset((FEATURE_TRANSITION, FEATURE_ARCHIVE))

# The snake_case rule fields and where they live in ECR's document.
RULE_FIELDS = (
    ("priority", ("rulePriority",)),
    ("description", ("description",)),
    ("tag_status", ("selection", "tagStatus")),
    ("tag_patterns", ("selection", "tagPatternList")),
    ("tag_prefixes", ("selection", "tagPrefixList")),
    ("storage_class", ("selection", "storageClass")),
    ("count_type", ("selection", "countType")),
    ("count_unit", ("selection", "countUnit")),
    ("count", ("selection", "countNumber")),
    ("action", ("action", "type")),
    ("target_storage_class", ("action", "targetStorageClass")),
)
SNAKE_BY_PATH = {path: snake for snake, path in RULE_FIELDS}
SNAKE_BY_PATH[("selection",)] = "selection"
SNAKE_BY_PATH[("action",)] = "action"
SNAKE_FIELDS = tuple(snake for snake, _path in RULE_FIELDS)

# ECR's order of keys, used when writing a document (ECR does not care; people reading it do).
RULE_KEYS = ("rulePriority", "description", "selection", "action")
SELECTION_KEYS = (
    "tagStatus",
    "tagPatternList",
    "tagPrefixList",
    "storageClass",
    "countType",
    "countUnit",
    "countNumber",
)
ACTION_KEYS = ("type", "targetStorageClass")


def supported_features(service_model):
    """The optional lifecycle features the installed botocore knows, from its ECR service model.

    The policy itself is free text to botocore, but the evaluator needs the image fields that came
    with each feature, and an older botocore drops fields it does not know from DescribeImages:
    - ``transition``: the ``transition`` action (``ImageActionType`` has ``TRANSITION``);
    - ``archive``: the archive storage class (``LifecyclePolicyStorageClass`` has ``ARCHIVE``), which came
      together with ``storageClass``, ``sinceImagePulled``, ``sinceImageTransitioned`` and the image
      fields ``imageStatus``, ``lastArchivedAt`` and ``lastActivatedAt``.
    """
    features = set()
    names = set(service_model.shape_names)
    if "ImageActionType" in names and "TRANSITION" in (service_model.shape_for("ImageActionType").enum or []):
        features.add(FEATURE_TRANSITION)
    if "LifecyclePolicyStorageClass" in names and "ARCHIVE" in (
        service_model.shape_for("LifecyclePolicyStorageClass").enum or []
    ):
        features.add(FEATURE_ARCHIVE)
    return frozenset(features)


def int_if_integral(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _ordered(mapping, keys):
    out = {key: mapping[key] for key in keys if key in mapping}
    out.update((key, value) for key, value in mapping.items() if key not in out)
    return out


def _rule_to_ecr(rule):
    """One snake_case rule (a dict; None values count as left out) as an ECR rule, without validating.

    Fills what has a single sensible value: ``tag_status=tagged`` when tag lists are given,
    ``count_unit=days`` for the age count types, ``action=expire``, ``target_storage_class=archive``
    with ``action=transition``. Unknown keys are left out (``validate_rules`` reports them).
    """
    given = {key: value for key, value in rule.items() if value is not None}
    count_type = given.get("count_type")
    if isinstance(count_type, str):
        count_type = COUNT_TYPE_FROM_SNAKE.get(count_type, count_type)
    tag_status = given.get("tag_status")
    if tag_status is None and ("tag_prefixes" in given or "tag_patterns" in given):
        tag_status = "tagged"
    count_unit = given.get("count_unit")
    if count_unit is None and count_type in AGE_COUNT_TYPES:
        count_unit = "days"
    action = given.get("action", "expire")
    target = given.get("target_storage_class")
    if target is None and action == "transition":
        target = "archive"

    values = dict(given, tag_status=tag_status, count_type=count_type, count_unit=count_unit, action=action)
    values["target_storage_class"] = target
    ecr = {"selection": {}, "action": {}}
    for snake, path in RULE_FIELDS:
        value = values.get(snake)
        if value is None:
            continue
        if len(path) == 1:
            ecr[path[0]] = int_if_integral(value)
        else:
            ecr[path[0]][path[1]] = int_if_integral(value)
    return ecr


def rules_to_document(rules):
    """snake_case rules -> an ECR lifecycle policy document (not validated; see ``validate_rules``)."""
    return {"rules": [_rule_to_ecr(rule) if isinstance(rule, dict) else rule for rule in rules or []]}


def document_to_rules(doc):
    """An ECR lifecycle policy document -> snake_case rules, sorted by priority (what modules return).

    Fields ECR adds in future, which this version does not know, are kept under their ECR name.
    """
    doc = normalize(doc)
    if not isinstance(doc, dict):
        return []
    rules = []
    for rule in doc.get("rules") or []:
        if not isinstance(rule, dict):
            continue
        out = {}
        for snake, path in RULE_FIELDS:
            node = rule
            for key in path:
                node = node.get(key) if isinstance(node, dict) else None
            if node is not None:
                out[snake] = node
        if "count_type" in out:
            out["count_type"] = COUNT_TYPE_TO_SNAKE.get(out["count_type"], out["count_type"])
        for key, value in rule.items():
            if key not in RULE_KEYS:
                out[key] = value
        for section, known in (("selection", SELECTION_KEYS), ("action", ACTION_KEYS)):
            for key, value in (rule.get(section) or {}).items():
                if key not in known:
                    out[key] = value
        rules.append(out)
    return rules


def _priority_key(rule):
    priority = rule.get("rulePriority") if isinstance(rule, dict) else None
    return (0, priority) if isinstance(priority, int) and not isinstance(priority, bool) else (1, 0)


def plain_copy(value):
    """A copy of JSON data (dicts, lists, scalars): what ``copy.deepcopy`` gives for it, several times faster (a
    no-op run normalises each repository's policies several times)."""
    if isinstance(value, dict):
        return {key: plain_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_copy(item) for item in value]
    return copy.deepcopy(value) if isinstance(value, (set, bytearray)) else value


def _normalize_rule(rule):
    if not isinstance(rule, dict):
        return rule
    rule = plain_copy(rule)
    if rule.get("description") in ("", None):
        rule.pop("description", None)
    if "rulePriority" in rule:
        rule["rulePriority"] = int_if_integral(rule["rulePriority"])
    selection = rule.get("selection")
    if isinstance(selection, dict):
        for key in ("tagPatternList", "tagPrefixList"):
            # [evaluation] every prefix/pattern of a rule must match: their order does not matter.
            if isinstance(selection.get(key), list) and all(isinstance(v, str) for v in selection[key]):
                selection[key] = sorted(set(selection[key]))
        if selection.get("storageClass") == DEFAULT_STORAGE_CLASS:
            selection.pop("storageClass")  # [properties] omitted means standard
        if "countNumber" in selection:
            selection["countNumber"] = int_if_integral(selection["countNumber"])
        rule["selection"] = _ordered(selection, SELECTION_KEYS)
    if isinstance(rule.get("action"), dict):
        rule["action"] = _ordered(rule["action"], ACTION_KEYS)
    return _ordered(rule, RULE_KEYS)


def normalize(doc):
    """The canonical form of a lifecycle policy (a dict or its JSON text); None stays None.

    Rules sorted by priority, tag lists sorted and deduplicated, an empty description and the
    default ``storageClass: standard`` dropped, keys in ECR's order. Does not validate: what it does
    not know is kept as it is, so two documents differing there still differ.
    """
    if doc is None:
        return None
    if isinstance(doc, (str, bytes)):
        try:
            doc = json.loads(doc)
        except ValueError:
            return doc
    if not isinstance(doc, dict):
        return doc
    # A copy: the rules are copied as they are normalised, everything else here.
    doc = {
        key: value if key == "rules" and isinstance(value, list) else plain_copy(value) for key, value in doc.items()
    }
    if isinstance(doc.get("rules"), list):
        doc["rules"] = sorted((_normalize_rule(r) for r in doc["rules"]), key=_priority_key)
    return doc


def documents_differ(a, b):
    """Whether two lifecycle policies (dicts, JSON texts or None for no policy) differ in meaning."""
    return normalize(a) != normalize(b)


def policy_text(doc):
    """The JSON text to send to PutLifecyclePolicy."""
    return json.dumps(normalize(doc))


def storage_class_of(selection):
    return selection.get("storageClass", DEFAULT_STORAGE_CLASS)


def features_to_evaluate(doc):
    """The botocore features the local evaluation of ``doc`` (a validated document) needs: ``archive`` when a rule
    selects archived images (DescribeImages lists them, with ``imageStatus`` and ``lastArchivedAt``, only through
    fields an older botocore does not know). Writing a policy needs none: botocore passes its text as it is."""
    rules = (doc or {}).get("rules") or []
    if any(storage_class_of(rule.get("selection") or {}) != DEFAULT_STORAGE_CLASS for rule in rules):
        return frozenset([FEATURE_ARCHIVE])
    return frozenset()
