# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ECR lifecycle policies: the snake_case rule model, validation, comparison, and a local evaluator.

Pure Python and free of module objects, so the single-repository module, a bulk module converging
many repositories on a thread pool, and roles with presets can all use it:

- ``rules_to_document(rules)`` / ``document_to_rules(doc)``: the modules' snake_case rules <-> ECR's JSON;
- ``validate_rules(rules)`` / ``validate_document(doc)``: jsonschema for the structure plus the semantic
  rules ECR documents, before any AWS call; they raise ``LifecycleError`` (an ``ECRError`` with
  ``option``) whose message names the rule by its priority and the field, e.g.
  ``rules[priority=2].count_unit: ...``, and return the normalised document;
- ``normalize(doc)`` / ``documents_differ(a, b)``: semantic comparison (rule order, list order and
  ECR's re-serialisation do not matter);
- ``evaluate(policy, images, now=None)``: what a policy does to a repository's images (from
  ``DescribeImages``), following ECR's documented evaluation rules: the synchronous dry run that ECR's
  own (asynchronous, per repository) lifecycle policy preview would give;
- ``describe_all_images``, ``get_lifecycle_policy``, ``converge_lifecycle``: the AWS side, with a client
  made by ``ecr.ecr_client()`` (calls pass ``aws_retry=True``).

The semantics follow the Amazon ECR User Guide, cited in comments as:
  [properties]  "Lifecycle policy properties in Amazon ECR" (lifecycle_policy_parameters)
  [evaluation]  "Automate the cleanup of images by using lifecycle policies in Amazon ECR",
                section "Lifecycle policy evaluation rules" (LifecyclePolicies)
  [examples]    "Examples of lifecycle policies in Amazon ECR" (lifecycle_policy_examples)
  [quotas]      "Amazon ECR service quotas" (rules per lifecycle policy, lifecycle policy length)
"""

import copy
import json
import re
from datetime import datetime, timedelta, timezone

try:
    import jsonschema

    HAS_JSONSCHEMA = True
except ImportError:
    HAS_JSONSCHEMA = False

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.dockyard.ecr.plugins.module_utils.ecr import ECRError, translate_errors

# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------

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

# The argument spec of one snake_case rule (what ecr_lifecycle's ``rules`` option declares), for callers
# that validate rules given inside a larger structure with Ansible's ArgumentSpecValidator.
RULE_OPTIONS = dict(
    priority=dict(type="int"),
    description=dict(type="str"),
    tag_status=dict(type="str"),
    tag_prefixes=dict(type="list", elements="str"),
    tag_patterns=dict(type="list", elements="str"),
    storage_class=dict(type="str"),
    count_type=dict(type="str"),
    count=dict(type="int"),
    count_unit=dict(type="str"),
    action=dict(type="str", default="expire"),
    target_storage_class=dict(type="str"),
)

# ECR's order of keys, used when writing a document (ECR does not care; people reading it do).
_RULE_KEYS = ("rulePriority", "description", "selection", "action")
_SELECTION_KEYS = (
    "tagStatus",
    "tagPatternList",
    "tagPrefixList",
    "storageClass",
    "countType",
    "countUnit",
    "countNumber",
)
_ACTION_KEYS = ("type", "targetStorageClass")

_TAG_LIST = {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}

# The structure ECR accepts ([properties], [examples] "Lifecycle policy template").
DOCUMENT_SCHEMA = {
    "type": "object",
    "required": ["rules"],
    "additionalProperties": False,
    "properties": {
        "rules": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_RULES,
            "items": {
                "type": "object",
                "required": ["rulePriority", "selection", "action"],
                "additionalProperties": False,
                "properties": {
                    "rulePriority": {"type": "integer", "minimum": 1},
                    "description": {"type": "string"},
                    "selection": {
                        "type": "object",
                        "required": ["tagStatus", "countType", "countNumber"],
                        "additionalProperties": False,
                        "properties": {
                            "tagStatus": {"enum": list(TAG_STATUSES)},
                            "tagPatternList": _TAG_LIST,
                            "tagPrefixList": _TAG_LIST,
                            "storageClass": {"enum": list(STORAGE_CLASSES)},
                            "countType": {"enum": list(COUNT_TYPES)},
                            "countUnit": {"enum": list(COUNT_UNITS)},
                            "countNumber": {"type": "integer", "minimum": 1},
                        },
                    },
                    "action": {
                        "type": "object",
                        "required": ["type"],
                        "additionalProperties": False,
                        "properties": {
                            "type": {"enum": list(ACTIONS)},
                            "targetStorageClass": {"enum": list(TARGET_STORAGE_CLASSES)},
                        },
                    },
                },
            },
        }
    },
}

_JSON_TYPES = {
    "integer": "an integer",
    "string": "a string",
    "array": "a list",
    "object": "a dict",
    "boolean": "true or false",
    "number": "a number",
}


class LifecycleError(ECRError):
    """A lifecycle policy that cannot be applied as given; the message names the rule, the field and the fix."""


class RepositoryNotFoundError(ECRError):
    """The repository does not exist (in that registry)."""


# ---------------------------------------------------------------------------------------------
# Features of the installed botocore
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# snake_case rules <-> ECR documents
# ---------------------------------------------------------------------------------------------


def _int_if_integral(value):
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
            ecr[path[0]] = _int_if_integral(value)
        else:
            ecr[path[0]][path[1]] = _int_if_integral(value)
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
            if key not in _RULE_KEYS:
                out[key] = value
        for section, known in (("selection", _SELECTION_KEYS), ("action", _ACTION_KEYS)):
            for key, value in (rule.get(section) or {}).items():
                if key not in known:
                    out[key] = value
        rules.append(out)
    return rules


# ---------------------------------------------------------------------------------------------
# Normalisation and comparison
# ---------------------------------------------------------------------------------------------


def _priority_key(rule):
    priority = rule.get("rulePriority") if isinstance(rule, dict) else None
    return (0, priority) if isinstance(priority, int) and not isinstance(priority, bool) else (1, 0)


def _normalize_rule(rule):
    if not isinstance(rule, dict):
        return rule
    rule = copy.deepcopy(rule)
    if rule.get("description") in ("", None):
        rule.pop("description", None)
    if "rulePriority" in rule:
        rule["rulePriority"] = _int_if_integral(rule["rulePriority"])
    selection = rule.get("selection")
    if isinstance(selection, dict):
        for key in ("tagPatternList", "tagPrefixList"):
            # [evaluation] every prefix/pattern of a rule must match: their order does not matter.
            if isinstance(selection.get(key), list) and all(isinstance(v, str) for v in selection[key]):
                selection[key] = sorted(set(selection[key]))
        if selection.get("storageClass") == DEFAULT_STORAGE_CLASS:
            selection.pop("storageClass")  # [properties] omitted means standard
        if "countNumber" in selection:
            selection["countNumber"] = _int_if_integral(selection["countNumber"])
        rule["selection"] = _ordered(selection, _SELECTION_KEYS)
    if isinstance(rule.get("action"), dict):
        rule["action"] = _ordered(rule["action"], _ACTION_KEYS)
    return _ordered(rule, _RULE_KEYS)


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
    doc = copy.deepcopy(doc)
    if isinstance(doc.get("rules"), list):
        doc["rules"] = sorted((_normalize_rule(r) for r in doc["rules"]), key=_priority_key)
    return doc


def documents_differ(a, b):
    """Whether two lifecycle policies (dicts, JSON texts or None for no policy) differ in meaning."""
    return normalize(a) != normalize(b)


def policy_text(doc):
    """The JSON text to send to PutLifecyclePolicy."""
    return json.dumps(normalize(doc))


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


class _Dialect:
    """How messages name fields and values: as the ``policy`` document or as snake_case ``rules``."""

    def __init__(self, option, snake):
        self.option = option
        self.snake = snake

    def rule_label(self, doc, index):
        rules = doc.get("rules") if isinstance(doc, dict) else None
        rule = rules[index] if isinstance(rules, list) and 0 <= index < len(rules) else None
        priority = rule.get("rulePriority") if isinstance(rule, dict) else None
        if self.snake:
            prefix = self.option
        else:
            prefix = f"{self.option}.rules"
        if isinstance(priority, int) and not isinstance(priority, bool) and priority >= 1:
            return f"{prefix}[priority={priority}]"
        return f"{prefix}[index={index}]"

    def field(self, path):
        """A field inside a rule, from its path in the ECR rule (list indices become ``[i]``)."""
        names = tuple(p for p in path if isinstance(p, str))
        indices = "".join(f"[{p}]" for p in path if isinstance(p, int))
        if self.snake:
            return SNAKE_BY_PATH.get(names, ".".join(names)) + indices
        return ".".join(names) + indices

    def value(self, path, value):
        if self.snake and tuple(path) == ("selection", "countType") and isinstance(value, str):
            return COUNT_TYPE_TO_SNAKE.get(value, value)
        return value

    def values(self, path, values):
        return ", ".join(str(self.value(path, v)) for v in values)


POLICY_DIALECT = _Dialect("policy", snake=False)
RULES_DIALECT = _Dialect("rules", snake=True)


class _Problems:
    """Collects messages; ``raise_if_any`` raises one LifecycleError holding them all."""

    def __init__(self, doc, dialect):
        self.doc = doc
        self.dialect = dialect
        self.messages = []

    def add(self, message):
        if message not in self.messages:
            self.messages.append(message)

    def rule(self, index, path, message):
        label = self.dialect.rule_label(self.doc, index)
        field = self.dialect.field(path) if path else ""
        self.add(f"{label}.{field}: {message}" if field else f"{label}: {message}")

    def raise_if_any(self):
        if not self.messages:
            return
        if len(self.messages) == 1:
            message = self.messages[0]
        else:
            message = f"{len(self.messages)} problems in the lifecycle policy: " + "; ".join(self.messages)
        raise LifecycleError(message=message, option=self.dialect.option)


def _schema_problem(problems, error):
    """Turn one jsonschema error into a message that names the rule and the field."""
    dialect = problems.dialect
    path = list(error.absolute_path)
    kind = error.validator
    if not path or path[0] != "rules" or len(path) < 2:
        # The document itself or its rules list.
        where = dialect.option if dialect.snake or not path else f"{dialect.option}.rules"
        if kind == "required":
            problems.add(f"{dialect.option}: a lifecycle policy needs 'rules', a list of 1 to {MAX_RULES} rules")
        elif kind == "additionalProperties":
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            problems.add(
                f"{dialect.option}: unknown key(s) {', '.join(map(repr, extra))}; a lifecycle policy holds only 'rules'"
            )
        elif kind == "minItems":
            problems.add(f"{where}: give at least one rule; to remove the lifecycle policy use state=absent instead")
        elif kind == "maxItems":
            problems.add(f"{where}: {len(error.instance)} rules; ECR allows at most {MAX_RULES} rules in a policy")
        elif kind == "type":
            problems.add(f"{where}: must be {_JSON_TYPES.get(error.validator_value, error.validator_value)}")
        else:
            problems.add(f"{where}: {error.message}")
        return

    index, inner = path[1], path[2:]
    names = tuple(p for p in inner if isinstance(p, str))
    if kind == "required":
        missing = [key for key in error.validator_value if key not in error.instance]
        for key in missing:
            field_path = inner + [key]
            if dialect.snake and tuple(field_path) == ("action", "type"):
                problems.rule(index, field_path, "required; give expire or transition")
                continue
            hint = {
                "rulePriority": "give each rule a unique priority (an integer from 1; lower numbers are applied first)",
                "selection": "give the rule's selection (tagStatus, countType, countNumber)",
                "action": "give the rule's action, for example {'type': 'expire'}",
                "tagStatus": f"give one of {', '.join(TAG_STATUSES)}",
                "countType": f"give one of {dialect.values(('selection', 'countType'), COUNT_TYPES)}",
                "countNumber": "give a positive integer (the number of images, or of days)",
                "type": f"give one of {', '.join(ACTIONS)}",
            }.get(key, "required")
            if key == "tagStatus" and dialect.snake:
                hint = f"give one of {', '.join(TAG_STATUSES)} (tagged is implied when tag_prefixes or tag_patterns are given)"
            problems.rule(index, field_path, f"required; {hint}")
        return
    if kind == "additionalProperties":
        allowed = error.schema.get("properties", {})
        for key in sorted(set(error.instance) - set(allowed)):
            if dialect.snake:
                problems.rule(index, [], f"unknown field {key!r}; rule fields are {', '.join(SNAKE_FIELDS)}")
            else:
                where = ".".join(names) or "rule"
                hint = ""
                camel = {snake: path[-1] for snake, path in RULE_FIELDS}.get(key)
                if camel in allowed:
                    hint = f" ({key!r} is how the rules option names it; a policy document says {camel!r})"
                problems.rule(index, inner + [key], f"unknown field; a {where} has {', '.join(allowed)}{hint}")
        return
    if kind == "enum":
        shown = dialect.value(names, error.instance)
        what = dialect.field(inner)
        problems.rule(
            index,
            inner,
            f"{shown!r} is not a valid {what}; use one of {dialect.values(names, error.validator_value)}",
        )
        return
    if kind == "type":
        expected = error.validator_value
        problems.rule(index, inner, f"must be {_JSON_TYPES.get(expected, expected)}, got {error.instance!r}")
        return
    if kind == "minimum":
        if names == ("rulePriority",):
            problems.rule(index, inner, f"must be 1 or more, got {error.instance!r}; lower numbers are applied first")
        else:
            problems.rule(index, inner, f"must be a positive integer (1 or more), got {error.instance!r}")
        return
    if kind == "minItems":
        problems.rule(index, inner, "must not be empty; give at least one tag prefix or pattern")
        return
    if kind == "minLength":
        problems.rule(index, inner, "must not be an empty string")
        return
    problems.rule(index, inner, error.message)


_REFUSED = object()  # a field the schema refused: present, but not to be judged again


def _checkable_rules(doc, errors):
    """(index, rule) for the semantic checks: every rule whose structure allows them, without the fields the
    schema refused (so that one mistake is reported once, and the other problems are reported with it)."""
    rules = doc.get("rules") if isinstance(doc, dict) else None
    if not isinstance(rules, list):
        return []
    refused = {}
    for error in errors:
        path = list(error.absolute_path)
        if len(path) < 2 or path[0] != "rules" or error.validator in ("required", "additionalProperties"):
            continue
        names = tuple(p for p in path[2:] if isinstance(p, str))
        refused.setdefault(path[1], set()).add(names[:2])
    out = []
    for index, rule in enumerate(rules):
        bad = refused.get(index, set())
        if not isinstance(rule, dict) or () in bad:
            continue
        clean = {"rulePriority": None if ("rulePriority",) in bad else rule.get("rulePriority")}
        for section, keys in (("selection", _SELECTION_KEYS), ("action", _ACTION_KEYS)):
            value = rule.get(section)
            if not isinstance(value, dict) or (section,) in bad:
                value = {}
            clean[section] = {k: _REFUSED if (section, k) in bad else v for k, v in value.items() if k in keys}
        out.append((index, clean))
    return out


def _value(mapping, key):
    """A field's value for the semantic checks; None when it is absent or the schema refused it."""
    value = mapping.get(key)
    return None if value is _REFUSED else value


def _storage_class(selection):
    return selection.get("storageClass", DEFAULT_STORAGE_CLASS)


def _check_rule(problems, index, rule, features):
    """The per-rule rules ECR documents, on a rule from ``_checkable_rules`` (fields the schema refused are
    absent, so each check only looks at what it can judge)."""
    dialect = problems.dialect
    selection, action = rule["selection"], rule["action"]
    status = _value(selection, "tagStatus")
    count_type = _value(selection, "countType")
    count = _value(selection, "countNumber")
    kind = _value(action, "type")
    prefixes, patterns = _value(selection, "tagPrefixList"), _value(selection, "tagPatternList")
    has_prefixes, has_patterns = "tagPrefixList" in selection, "tagPatternList" in selection
    show = dialect.field

    # [evaluation] "A lifecycle policy rule may specify either tagPatternList or tagPrefixList, but not both."
    # [properties] tagStatus: "If you specify tagged, then you must also specify a tagPrefixList value or a
    # tagPatternList value. If you specify untagged, then you must omit both".
    if status == "tagged":
        if not has_prefixes and not has_patterns:
            problems.rule(
                index,
                ("selection", "tagStatus"),
                f"tagged needs {show(('selection', 'tagPrefixList'))} or {show(('selection', 'tagPatternList'))} "
                f"to say which tags; give one of them, or use tag status any",
            )
        elif has_prefixes and has_patterns:
            problems.rule(
                index,
                ("selection", "tagPatternList"),
                f"give either {show(('selection', 'tagPrefixList'))} or {show(('selection', 'tagPatternList'))}, "
                "not both (use two rules if you need both)",
            )
    elif status is not None:
        for key, given in (("tagPrefixList", has_prefixes), ("tagPatternList", has_patterns)):
            if given:
                problems.rule(
                    index,
                    ("selection", key),
                    f"only used with tag status tagged, and this rule selects {status} images; "
                    "remove it or set the tag status to tagged",
                )
    for position, pattern in enumerate(patterns or []):
        wildcards = pattern.count("*")
        if wildcards > MAX_WILDCARDS:
            # [evaluation] "There is a maximum limit of four wildcards (*) per string."
            problems.rule(
                index,
                ("selection", "tagPatternList", position),
                f"{pattern!r} has {wildcards} wildcards; ECR allows at most {MAX_WILDCARDS} '*' per pattern",
            )
    for position, prefix in enumerate(prefixes or []):
        if "*" in prefix:
            # Image tags cannot contain '*', so such a prefix never matches anything.
            problems.rule(
                index,
                ("selection", "tagPrefixList", position),
                f"{prefix!r} contains '*', which a prefix matches literally and no image tag contains; "
                f"use {show(('selection', 'tagPatternList'))} for wildcards",
            )

    # [properties] countUnit: "Required: yes, only if countType is set to sinceImagePushed, sinceImagePulled,
    # or sinceImageTransitioned ... an error will occur if you specify a count unit when countType is any
    # other value."
    shown_type = dialect.value(("selection", "countType"), count_type)
    if count_type is None:
        pass
    elif count_type in AGE_COUNT_TYPES:
        if "countUnit" not in selection:
            problems.rule(index, ("selection", "countUnit"), f"required with count type {shown_type}; give days")
    elif "countUnit" in selection:
        problems.rule(
            index,
            ("selection", "countUnit"),
            f"only used with the age count types ({dialect.values(('selection', 'countType'), AGE_COUNT_TYPES)}); "
            f"remove it for count type {shown_type}, whose count is a number of images",
        )

    # [properties] storageClass: "When using a countType of imageCountMoreThan, sinceImagePushed, or
    # sinceImagePulled, the only supported value is standard. When using a count type of
    # sinceImageTransitioned, this is required, and the only supported value is archive."
    storage_class = _value(selection, "storageClass") or DEFAULT_STORAGE_CLASS
    if count_type is None:
        pass
    elif count_type == "sinceImageTransitioned":
        if selection.get("storageClass", DEFAULT_STORAGE_CLASS) not in ("archive", _REFUSED):
            problems.rule(
                index,
                ("selection", "storageClass"),
                f"count type {shown_type} selects archived images; set the storage class to archive",
            )
    elif storage_class == "archive":
        problems.rule(
            index,
            ("selection", "storageClass"),
            f"archive is only used with count type "
            f"{dialect.value(('selection', 'countType'), 'sinceImageTransitioned')}; "
            f"count type {shown_type} selects standard images (remove the storage class)",
        )

    # [properties] Action: targetStorageClass "Required: yes, if type is transition".
    if kind == "transition" and "targetStorageClass" not in action:
        problems.rule(index, ("action", "targetStorageClass"), "required with action transition; give archive")
    if kind is not None and kind != "transition" and "targetStorageClass" in action:
        problems.rule(
            index,
            ("action", "targetStorageClass"),
            f"only used with action transition, and this rule's action is {kind}; remove it",
        )
    # [examples] "The sinceImagePulled count type must be used with the transition action. It cannot be
    # used with the expire action." / "The sinceImageTransitioned count type must be used with the expire
    # action and the archive storage class." / archived images stay at least 90 days before deletion.
    if count_type == "sinceImagePulled" and kind is not None and kind != "transition":
        problems.rule(
            index,
            ("action", "type") if not dialect.snake else ("action",),
            f"count type {shown_type} only works with action transition (to archive); to delete images "
            f"nobody pulls, archive them with it and expire them later with "
            f"{dialect.value(('selection', 'countType'), 'sinceImageTransitioned')}",
        )
    if count_type == "sinceImageTransitioned":
        if kind is not None and kind != "expire":
            problems.rule(
                index,
                ("action", "type") if not dialect.snake else ("action",),
                f"count type {shown_type} only works with action expire",
            )
        if isinstance(count, int) and count < MIN_ARCHIVE_DAYS:
            problems.rule(
                index,
                ("selection", "countNumber"),
                f"{count} days; archived images must stay in archive at least "
                f"{MIN_ARCHIVE_DAYS} days before a lifecycle policy can delete them: give {MIN_ARCHIVE_DAYS} or more",
            )

    # What the installed botocore knows.
    botocore_hint = "; upgrade boto3 and botocore on the host that runs the module"
    if FEATURE_TRANSITION not in features and kind == "transition":
        problems.rule(
            index,
            ("action", "type") if not dialect.snake else ("action",),
            "the installed botocore does not know ECR's transition action" + botocore_hint,
        )
    if FEATURE_ARCHIVE not in features:
        if count_type in ("sinceImagePulled", "sinceImageTransitioned"):
            problems.rule(
                index,
                ("selection", "countType"),
                f"the installed botocore does not know count type {shown_type} (ECR archive storage)" + botocore_hint,
            )
        if storage_class != DEFAULT_STORAGE_CLASS:
            problems.rule(
                index,
                ("selection", "storageClass"),
                "the installed botocore does not know ECR's archive storage class" + botocore_hint,
            )


def _check_policy(problems, doc, checkable):
    """The rules across rules ECR documents, on the rules from ``_checkable_rules`` with a valid priority."""
    dialect = problems.dialect
    rules = [(i, r) for i, r in checkable if r["rulePriority"] is not None]

    # [properties] rulePriority: "you must give them each a unique value for rulePriority".
    by_priority = {}
    for index, rule in rules:
        by_priority.setdefault(rule["rulePriority"], []).append(index)
    for priority, indices in sorted(by_priority.items()):
        if len(indices) > 1:
            where = " and ".join(f"index {i}" for i in indices)
            problems.add(
                f"{dialect.rule_label(doc, indices[0])}.{dialect.field(('rulePriority',))}: "
                f"priority {priority} is given to {len(indices)} rules ({where}); give each rule its own priority"
            )

    # The checks below apply to the rules selecting one storage class ([evaluation]: "The set of all rules
    # selecting a specific storage class must contain a unique set of prefixes", "Only one rule selecting a
    # specific storage class is allowed to select untagged images"). [examples] "Combining archive and
    # expire rules" has an `any` rule for standard (priority 1) and one for archive (priority 2), so the
    # `any` rule's place ([properties] rulePriority: "A rule with a tagStatus value of any must have the
    # highest value for rulePriority and be evaluated last") is also counted per storage class.
    for storage_class in STORAGE_CLASSES:
        group = [(i, r) for i, r in rules if _storage_class(r["selection"]) == storage_class]
        if not group:
            continue
        if len(group) == len(rules):
            scope = ""
        else:
            scope = f" among the rules for {storage_class} images"
        highest = max(r["rulePriority"] for _i, r in group)
        any_rules = [(i, r) for i, r in group if r["selection"].get("tagStatus") == "any"]
        if len(any_rules) > 1:
            others = ", ".join(str(r["rulePriority"]) for _i, r in any_rules)
            problems.rule(
                any_rules[1][0],
                ("selection", "tagStatus"),
                f"only one rule may have tag status any{scope}, and rules with priorities {others} do; "
                "merge them into one rule",
            )
        for index, rule in any_rules:
            if rule["rulePriority"] != highest:
                problems.rule(
                    index,
                    ("rulePriority",),
                    f"a rule with tag status any must have the highest priority number{scope} (it is applied last), "
                    f"and priority {highest} is higher; give this rule a priority above {highest}",
                )
        untagged = [(i, r) for i, r in group if r["selection"].get("tagStatus") == "untagged"]
        if len(untagged) > 1:
            others = ", ".join(str(r["rulePriority"]) for _i, r in untagged)
            problems.rule(
                untagged[1][0],
                ("selection", "tagStatus"),
                f"only one rule may select untagged images{scope}, and rules with priorities {others} do; "
                "merge them into one rule",
            )
        seen = {}
        for index, rule in group:
            prefixes = _value(rule["selection"], "tagPrefixList")
            if prefixes is None or rule["selection"].get("tagStatus") != "tagged":
                continue
            key = frozenset(prefixes)
            if key in seen:
                problems.rule(
                    index,
                    ("selection", "tagPrefixList"),
                    f"the same tag prefixes as the rule with priority {seen[key]}{scope}; each rule needs its own "
                    "set of prefixes (this rule could never act: the other one shields every image it selects)",
                )
            else:
                seen[key] = rule["rulePriority"]


def _validate(doc, dialect, features):
    if not HAS_JSONSCHEMA:
        raise LifecycleError(
            message=(
                f"{dialect.option}: validating lifecycle policies needs the Python library jsonschema; "
                "install it (pip install jsonschema) on the host that runs the module"
            ),
            option=dialect.option,
        )
    features = ALL_FEATURES if features is None else frozenset(features)
    problems = _Problems(doc, dialect)
    validator = jsonschema.Draft7Validator(DOCUMENT_SCHEMA)
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors:
        _schema_problem(problems, error)
    checkable = _checkable_rules(doc, errors)
    for index, rule in checkable:
        _check_rule(problems, index, rule, features)
    _check_policy(problems, doc, checkable)
    problems.raise_if_any()
    normalized = normalize(doc)
    length = len(policy_text(normalized))
    if length > MAX_POLICY_LENGTH:
        raise LifecycleError(
            message=(
                f"{dialect.option}: the policy is {length} characters long as JSON; ECR allows at most "
                f"{MAX_POLICY_LENGTH}. Use fewer rules, or shorter descriptions and tag lists"
            ),
            option=dialect.option,
        )
    return normalized


def validate_document(doc, features=None):
    """Validate an ECR lifecycle policy (a dict or its JSON text); return it normalised.

    ``features`` is what the installed botocore supports (``supported_features()``); None allows all.
    Raises LifecycleError naming ``policy.rules[priority=N].<field>``.
    """
    if isinstance(doc, (str, bytes)):
        try:
            doc = json.loads(doc)
        except ValueError as e:
            raise LifecycleError(
                message=f"policy: not valid JSON ({e}); give the lifecycle policy as a dict or as JSON text",
                option="policy",
            ) from e
    if not isinstance(doc, dict):
        raise LifecycleError(
            message="policy: give the lifecycle policy as a dict with 'rules' (or as JSON text)", option="policy"
        )
    return _validate(doc, POLICY_DIALECT, features)


def validate_rules(rules, features=None):
    """Validate snake_case rules; return the ECR document they make, normalised.

    Raises LifecycleError naming ``rules[priority=N].<field>``.
    """
    if not isinstance(rules, (list, tuple)):
        raise LifecycleError(message="rules: give a list of rules", option="rules")
    doc = rules_to_document(rules)
    problems = _Problems(doc, RULES_DIALECT)
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            problems.add(f"rules[index={index}]: give a rule as a dict (priority, tag_status, count_type, count, ...)")
            continue
        for key in sorted(set(rule) - set(SNAKE_FIELDS), key=str):
            problems.rule(index, (), f"unknown field {key!r}; a rule has {', '.join(SNAKE_FIELDS)}")
    problems.raise_if_any()
    return _validate(doc, RULES_DIALECT, features)


# ---------------------------------------------------------------------------------------------
# The evaluator
# ---------------------------------------------------------------------------------------------

MANIFEST_LIST_MEDIA_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_PATTERN_CACHE = {}


def _utc(value):
    """A datetime (aware or naive = UTC), an ISO 8601 string or epoch seconds, as an aware UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return _utc(datetime.fromisoformat(text))


def _pattern(pattern):
    """A tagPatternList entry as a compiled regular expression: '*' matches any characters, even none."""
    compiled = _PATTERN_CACHE.get(pattern)
    if compiled is None:
        compiled = re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)
        _PATTERN_CACHE[pattern] = compiled
    return compiled


def tag_matches_pattern(tag, pattern):
    """Whether an image tag matches a tagPatternList entry ([evaluation]: prod* matches prod, prod1, ...)."""
    return _pattern(pattern).fullmatch(tag) is not None


class _Image:
    """What the evaluator needs of one DescribeImages entry."""

    def __init__(self, detail):
        self.detail = detail
        self.digest = detail.get("imageDigest")
        self.tags = tuple(sorted(detail.get("imageTags") or []))
        self.pushed_at = _utc(detail.get("imagePushedAt")) or _EPOCH
        self.size = int(detail.get("imageSizeInBytes") or 0)
        self.last_pulled_at = _utc(detail.get("lastRecordedPullTime"))
        self.last_archived_at = _utc(detail.get("lastArchivedAt"))
        self.last_activated_at = _utc(detail.get("lastActivatedAt"))
        status = (detail.get("imageStatus") or "ACTIVE").upper()
        # ACTIVATING images are being restored from archive: neither standard nor archive yet.
        self.storage_class = {"ACTIVE": "standard", "ARCHIVED": "archive"}.get(status)
        self.children = tuple(detail.get("childDigests") or ())
        self.subject = detail.get("subjectManifestDigest")

    @property
    def age_reference(self):
        # [evaluation] "If an image was archived and then restored at any point in the past, the image's
        # last_activated_at is used instead of pushed_at_time."
        if self.last_activated_at and self.last_activated_at > self.pushed_at:
            return self.last_activated_at
        return self.pushed_at

    @property
    def pull_reference(self):
        # [evaluation] sinceImagePulled: last_recorded_pulltime; "If an image was never pulled, the image's
        # pushed_at_time is used instead ... If an image was archived and then restored at any point in the
        # past, but never pulled since the image was restored, the image's last_activated_at is used".
        if self.last_activated_at and (self.last_pulled_at is None or self.last_pulled_at < self.last_activated_at):
            return self.last_activated_at
        return self.last_pulled_at or self.pushed_at


def _selects(rule, image):
    """Whether a rule's selection (storage class and tagging requirements) matches an image."""
    selection = rule["selection"]
    if image.storage_class != _storage_class(selection):
        return False
    status = selection["tagStatus"]
    if status == "any":
        return True
    if status == "untagged":
        return not image.tags
    if not image.tags:
        return False
    # [evaluation] "An image is successfully matched if all of the tags in the tagPatternList or
    # tagPrefixList value are matched against any of the image's tags." ([examples] "Filtering on
    # multiple tags in a single rule": ["alpha*", "beta*"] selects only images with both.)
    if "tagPatternList" in selection:
        return all(any(tag_matches_pattern(tag, p) for tag in image.tags) for p in selection["tagPatternList"])
    return all(any(tag.startswith(p) for tag in image.tags) for p in selection["tagPrefixList"])


def _candidates(rule, matched, now):
    """The images a rule would act on among those it selects, before shielding by higher-priority rules."""
    selection = rule["selection"]
    count_type, count = selection["countType"], selection["countNumber"]
    if count_type == "imageCountMoreThan":
        # [evaluation] "images are sorted from youngest to oldest based on pushed_at_time and then all images
        # greater than the specified count are expired". ECR does not document ties; the digest breaks them.
        youngest_first = sorted(matched, key=lambda i: (i.age_reference, i.digest), reverse=True)
        return youngest_first[count:]
    cutoff = now - timedelta(days=count)
    # "older than the specified number of days": strictly before the cutoff ([examples] "Filtering on all
    # images", Example B: an untagged image pushed 1 day ago is not expired by a 1-day rule).
    if count_type == "sinceImagePushed":
        return [i for i in matched if i.age_reference < cutoff]
    if count_type == "sinceImagePulled":
        return [i for i in matched if i.pull_reference < cutoff]
    if count_type == "sinceImageTransitioned":
        # "all archived images whose last_archived_at is older than the specified number of days"
        return [i for i in matched if i.last_archived_at is not None and i.last_archived_at < cutoff]
    return []


def _iso(value):
    return value.isoformat() if value else None


def evaluate(policy, images, now=None):
    """What ``policy`` does to ``images``: ECR's lifecycle policy preview, computed locally.

    ``policy``: snake_case rules (a list), an ECR document (dict or JSON text), or None (no policy).
    ``images``: DescribeImages ``imageDetails`` entries (``describe_all_images()`` adds ``childDigests``
    to manifest lists). ``now``: the reference time for the age count types (default: the current time).

    ECR's documented evaluation ([evaluation]):
    - rules are applied in priority order, lowest number first;
    - each rule identifies the images its selection matches, all of them, including images that rules
      with a lower priority number matched or acted on ("Rules can never mark images that are marked by
      higher priority rules, but can still identify them as if they haven't been expired"); that is what
      imageCountMoreThan counts;
    - an image is acted on by at most one rule ("An image is expired or archived by exactly one or zero
      rules"), and an image that matches the tagging requirements of a rule cannot be acted on by a rule
      with a lower priority, even when that rule leaves it alone: it is shielded;
    - an image referenced by a manifest list is not expired or archived while the list stays;
    - reference artifacts (signatures, SBOMs: images with a subject) follow their subject image.

    Returns ``{"evaluated_at", "images", "rules", "totals"}``; ``images`` has one entry per image
    (sorted by push time, then digest) with ``action`` expire, transition or keep, ``rule_priority`` (the
    rule that acts on it), ``selected_by`` (the first rule whose selection matches it) and ``reason``.
    """
    if policy is None:
        doc = None
    elif isinstance(policy, (list, tuple)):
        doc = validate_rules(policy)
    else:
        doc = validate_document(policy)
    rules = sorted(doc["rules"], key=lambda r: r["rulePriority"]) if doc else []
    now = _utc(now) or datetime.now(timezone.utc)

    views, seen = [], set()
    for detail in images or []:
        view = _Image(detail)
        if view.digest in seen:
            continue
        seen.add(view.digest)
        views.append(view)
    decided = {}  # digest -> the rule that acts on it
    selected_by = {}  # digest -> priority of the first rule whose selection matches it (it shields the image)
    matched_count = {}
    for rule in rules:
        priority = rule["rulePriority"]
        matched = [v for v in views if _selects(rule, v)]
        matched_count[priority] = len(matched)
        for view in _candidates(rule, matched, now):
            if view.digest in selected_by:
                continue  # acted on, or shielded, by a rule with a lower priority number
            decided[view.digest] = rule
        for view in matched:
            selected_by.setdefault(view.digest, priority)

    reasons = {}
    # [evaluation] "If an image is referenced by a manifest list, it cannot be expired or archived without the
    # manifest list being deleted or archived first." A manifest list that stays protects what it references
    # (repeated for lists of lists).
    changed = True
    while changed:
        changed = False
        for view in views:
            if not view.children or view.digest in decided:
                continue
            for child in view.children:
                if child in decided:
                    del decided[child]
                    reasons[child] = f"referenced by manifest list {view.digest}, which stays"
                    changed = True
    # [evaluation] "When reference artifacts are present in a repository, Amazon ECR lifecycle policies
    # automatically expire or archive those artifacts within 24 hours of the deletion or archival of the
    # subject image."
    changed = True
    while changed:
        changed = False
        for view in views:
            if view.subject and view.digest not in decided and view.subject in decided:
                decided[view.digest] = decided[view.subject]
                reasons[view.digest] = f"follows its subject {view.subject}"
                changed = True

    entries = []
    totals = {
        "images": 0,
        "bytes": 0,
        "expired_images": 0,
        "expired_bytes": 0,
        "transitioned_images": 0,
        "transitioned_bytes": 0,
        "kept_images": 0,
        "kept_bytes": 0,
    }
    acted = {r["rulePriority"]: [0, 0] for r in rules}
    for view in sorted(views, key=lambda v: (v.pushed_at, v.digest or "")):
        rule = decided.get(view.digest)
        action = rule["action"]["type"] if rule else "keep"
        reason = reasons.get(view.digest)
        if view.storage_class is None and not rule:
            reason = reason or "being restored from archive (ACTIVATING); no rule selects it"
        entries.append(
            {
                "digest": view.digest,
                "tags": list(view.tags),
                "pushed_at": _iso(view.pushed_at),
                "size_bytes": view.size,
                "storage_class": view.storage_class,
                "action": action,
                "target_storage_class": rule["action"].get("targetStorageClass") if rule else None,
                "rule_priority": rule["rulePriority"] if rule else None,
                "selected_by": selected_by.get(view.digest),
                "reason": reason,
            }
        )
        key = {"expire": "expired", "transition": "transitioned"}.get(action, "kept")
        totals["images"] += 1
        totals["bytes"] += view.size
        totals[f"{key}_images"] += 1
        totals[f"{key}_bytes"] += view.size
        if rule:
            acted[rule["rulePriority"]][0] += 1
            acted[rule["rulePriority"]][1] += view.size

    rule_summary = [
        {
            "priority": r["rulePriority"],
            "description": r.get("description"),
            "action": r["action"]["type"],
            "matched_images": matched_count.get(r["rulePriority"], 0),
            "acted_images": acted[r["rulePriority"]][0],
            "acted_bytes": acted[r["rulePriority"]][1],
        }
        for r in rules
    ]
    return {"evaluated_at": _iso(now), "images": entries, "rules": rule_summary, "totals": totals}


# ---------------------------------------------------------------------------------------------
# AWS: reading images, reading and writing the policy
# ---------------------------------------------------------------------------------------------

BATCH_GET_IMAGE_MAX = 100  # BatchGetImage takes up to 100 image IDs


def _registry_args(registry_id):
    return {"registryId": registry_id} if registry_id else {}


def _repository_not_found(repository, registry_id, exception=None):
    where = f" in registry {registry_id}" if registry_id else ""
    return RepositoryNotFoundError(
        message=(
            f"repository: {repository!r} does not exist{where}; create it first (dockyard.ecr.ecr_repo) or check "
            "the name, region and registry_id"
        ),
        exception=exception,
        option="repository",
    )


@AWSRetry.jittered_backoff()
def _paginate(client, operation, result_key, **kwargs):
    return client.get_paginator(operation).paginate(**kwargs).build_full_result().get(result_key, [])


def _image_status_filter(client):
    """``{"imageStatus": "ANY"}`` when botocore knows the filter (otherwise ECR lists only ACTIVE images)."""
    model = client.meta.service_model
    if "DescribeImagesFilter" not in model.shape_names:
        return {}
    if "imageStatus" not in model.shape_for("DescribeImagesFilter").members:
        return {}
    return {"filter": {"imageStatus": "ANY"}}


def describe_all_images(client, repository, registry_id=None, manifest_lists=True):
    """Every image of a repository (all pages, archived ones too), as DescribeImages ``imageDetails``.

    With ``manifest_lists``, each manifest list (image index) gets ``childDigests``, the digests it
    references, read with BatchGetImage (one call per 100 lists), so that ``evaluate`` can keep them.
    Raises RepositoryNotFoundError, or ECRError when AWS refuses.
    """
    with translate_errors(f"describe the images of repository {repository!r}"):
        try:
            details = _paginate(
                client,
                "describe_images",
                "imageDetails",
                repositoryName=repository,
                **_registry_args(registry_id),
                **_image_status_filter(client),
            )
        except is_boto3_error_code("RepositoryNotFoundException") as e:
            raise _repository_not_found(repository, registry_id, e) from e
    if manifest_lists:
        _add_child_digests(client, repository, registry_id, details)
    return details


def _add_child_digests(client, repository, registry_id, details):
    lists = [d for d in details if d.get("imageManifestMediaType") in MANIFEST_LIST_MEDIA_TYPES]
    by_digest = {d["imageDigest"]: d for d in lists}
    for start in range(0, len(lists), BATCH_GET_IMAGE_MAX):
        batch = lists[start : start + BATCH_GET_IMAGE_MAX]
        with translate_errors(f"read the manifest lists of repository {repository!r}"):
            response = client.batch_get_image(
                repositoryName=repository,
                imageIds=[{"imageDigest": d["imageDigest"]} for d in batch],
                acceptedMediaTypes=list(MANIFEST_LIST_MEDIA_TYPES),
                aws_retry=True,
                **_registry_args(registry_id),
            )
        for image in response.get("images") or []:
            detail = by_digest.get((image.get("imageId") or {}).get("imageDigest"))
            if detail is None:
                continue
            try:
                manifest = json.loads(image.get("imageManifest") or "{}")
            except ValueError:
                continue
            detail["childDigests"] = [
                m.get("digest") for m in manifest.get("manifests") or [] if isinstance(m, dict) and m.get("digest")
            ]


def get_lifecycle_policy(client, repository, registry_id=None):
    """The repository's lifecycle policy, normalised; None when it has none. Raises RepositoryNotFoundError."""
    with translate_errors(f"get the lifecycle policy of repository {repository!r}"):
        try:
            response = client.get_lifecycle_policy(
                repositoryName=repository, aws_retry=True, **_registry_args(registry_id)
            )
        except is_boto3_error_code("LifecyclePolicyNotFoundException"):
            return None
        except is_boto3_error_code("RepositoryNotFoundException") as e:  # pylint: disable=duplicate-except
            raise _repository_not_found(repository, registry_id, e) from e
    text = response.get("lifecyclePolicyText")
    return normalize(text) if text else None


def put_lifecycle_policy(client, repository, registry_id, doc):
    """Write the policy; returns it as ECR stored it, normalised."""
    text = policy_text(doc)
    with translate_errors(f"put the lifecycle policy of repository {repository!r}"):
        try:
            response = client.put_lifecycle_policy(
                repositoryName=repository, lifecyclePolicyText=text, aws_retry=True, **_registry_args(registry_id)
            )
        except is_boto3_error_code("RepositoryNotFoundException") as e:
            raise _repository_not_found(repository, registry_id, e) from e
    return normalize(response.get("lifecyclePolicyText") or text)


def delete_lifecycle_policy(client, repository, registry_id=None):
    """Delete the policy; False when there was none (or no repository)."""
    with translate_errors(f"delete the lifecycle policy of repository {repository!r}"):
        try:
            client.delete_lifecycle_policy(repositoryName=repository, aws_retry=True, **_registry_args(registry_id))
        except is_boto3_error_code(["LifecyclePolicyNotFoundException", "RepositoryNotFoundException"]):
            return False
    return True


_UNREAD = object()


def converge_lifecycle(client, repository, registry_id, desired_doc, check_mode=False, current=_UNREAD):
    """Make the repository's lifecycle policy ``desired_doc`` (validated; None: no policy).

    Returns (changed, before, after), the policies as normalised documents (None for no policy). With
    ``check_mode`` nothing is written and ``after`` is the prediction. A bulk caller that has read the
    policy already passes it as ``current``. Raises RepositoryNotFoundError when the repository does
    not exist and a policy is wanted (for no policy, a missing repository is no change), or ECRError.
    """
    if current is _UNREAD:
        try:
            current = get_lifecycle_policy(client, repository, registry_id)
        except RepositoryNotFoundError:
            if desired_doc is None:
                return False, None, None
            raise
    else:
        current = normalize(current)
    if desired_doc is None:
        if current is None:
            return False, None, None
        if not check_mode:
            delete_lifecycle_policy(client, repository, registry_id)
        return True, current, None
    desired = normalize(desired_doc)
    if not documents_differ(current, desired):
        return False, current, current
    if check_mode:
        return True, current, desired
    return True, current, put_lifecycle_policy(client, repository, registry_id, desired)


# ---------------------------------------------------------------------------------------------
# Deletion safety: a limit on the share of images a new policy may expire
# ---------------------------------------------------------------------------------------------

MAX_EXPIRE_PERCENT_OFF = 100


def validate_max_expire_percent(value, option="max_expire_percent"):
    """An integer from 0 to 100 (100, the default, turns the check off); LifecycleError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_EXPIRE_PERCENT_OFF:
        raise LifecycleError(
            message=(
                f"{option}: {value!r} is not a percentage; give an integer from 0 (the policy may expire no image) "
                f"to {MAX_EXPIRE_PERCENT_OFF} (no limit, the default)"
            ),
            option=option,
        )
    return value


def check_expire_share(preview, max_percent, repository, option="max_expire_percent"):
    """Raise LifecycleError when ``preview`` (``evaluate()``'s answer) expires more than ``max_percent``% of the images.

    Only expiry counts: a transition to archive storage keeps the image. The message gives the preview's
    counts, per rule too, and the value that would let the policy through.
    """
    if max_percent >= MAX_EXPIRE_PERCENT_OFF:
        return
    totals = preview["totals"]
    images, expired = totals["images"], totals["expired_images"]
    if not images or expired * 100 <= max_percent * images:
        return
    needed = -(-expired * 100 // images)  # the smallest whole percentage that allows it
    per_rule = ", ".join(
        f"rule {rule['priority']}: {rule['acted_images']}"
        for rule in preview["rules"]
        if rule["action"] == "expire" and rule["acted_images"]
    )
    raise LifecycleError(
        message=(
            f"{option}: the lifecycle policy would expire {expired} of the {images} images in repository "
            f"{repository!r} ({expired * 100 / images:.0f}%, {totals['expired_bytes']} bytes; {per_rule}), more "
            f"than the {max_percent}% {option} allows, so nothing was written. Check the rules (preview=true "
            f"lists every image and the rule that expires it), or set {option} to {needed} or more"
        ),
        option=option,
    )


def guarded_preview(client, repository, registry_id, desired_doc, max_percent, current=_UNREAD):
    """Enforce ``max_percent`` for writing ``desired_doc``; returns ``(preview or None, current)``.

    The images are read (and the preview computed) only when the limit is on and the policy would
    change; ``current`` is the policy read on the way, for ``converge_lifecycle(current=...)``. Raises
    LifecycleError (over the limit), RepositoryNotFoundError or ECRError.
    """
    if max_percent >= MAX_EXPIRE_PERCENT_OFF or desired_doc is None:
        return None, current
    if current is _UNREAD:
        current = get_lifecycle_policy(client, repository, registry_id)
    if not documents_differ(normalize(current), normalize(desired_doc)):
        return None, current
    preview = evaluate(desired_doc, describe_all_images(client, repository, registry_id))
    check_expire_share(preview, max_percent, repository)
    return preview, current


# ---------------------------------------------------------------------------------------------
# Presets: the common policies in three options
# ---------------------------------------------------------------------------------------------

# A count no repository reaches (ECR's default quota is 100,000 images per repository): a rule with
# it selects images without ever expiring one, which shields them from the rules after it.
PROTECT_COUNT = 999999
PRESET_OPTIONS = ("keep_last", "expire_untagged_after_days", "keep_tag_prefixes")


def _preset_count(value, option, what):
    """A positive integer from an int or a string of digits; LifecycleError naming ``option`` otherwise."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise LifecycleError(message=f"{option}: give {what} as a positive integer, not {value!r}", option=option)
    if value < 1:
        raise LifecycleError(message=f"{option}: must be 1 or more, got {value} ({what})", option=option)
    return value


def presets_to_rules(keep_last=None, expire_untagged_after_days=None, keep_tag_prefixes=None):
    """The snake_case rules (for ``validate_rules``) that three presets stand for; [] when none is given.

    - ``expire_untagged_after_days: N``: priority 1, untagged images pushed more than N days ago expire.
    - ``keep_tag_prefixes: [P, ...]``: one rule per prefix (priorities 2, 3, ...; one rule per prefix
      because the prefixes of a single rule must *all* match, [evaluation]), selecting the images with
      a tag starting with P and expiring only beyond ``PROTECT_COUNT`` images, that is never. An image
      a rule selects cannot be expired by a rule with a higher priority number ([evaluation]), so
      those images are shielded from ``keep_last``.
    - ``keep_last: N``: last, tag status ``any``: images beyond the N most recently pushed expire. ECR
      counts every image for it, shielded ones and untagged ones within their N days too, but expires
      only the ones no earlier rule selected.
    Shielding only matters for ``keep_last`` (untagged images have no tags to match a prefix), so
    ``keep_tag_prefixes`` without ``keep_last`` is refused. Raises LifecycleError naming the preset.
    """
    rules = []
    if expire_untagged_after_days is not None:
        days = _preset_count(expire_untagged_after_days, "expire_untagged_after_days", "a number of days")
        rules.append(
            {
                "priority": 1,
                "description": f"Expire untagged images {days} days after they were pushed",
                "tag_status": "untagged",
                "count_type": "since_image_pushed",
                "count_unit": "days",
                "count": days,
                "action": "expire",
            }
        )
    if keep_tag_prefixes is not None:
        if isinstance(keep_tag_prefixes, str) or not isinstance(keep_tag_prefixes, (list, tuple)):
            raise LifecycleError(
                message="keep_tag_prefixes: give a list of tag prefixes, for example ['v', 'release-']",
                option="keep_tag_prefixes",
            )
        prefixes = []
        for index, prefix in enumerate(keep_tag_prefixes):
            prefix = "" if prefix is None else str(prefix)
            if not prefix.strip():
                raise LifecycleError(
                    message=f"keep_tag_prefixes[{index}]: empty; give the start of the tags to keep, for example 'v'",
                    option="keep_tag_prefixes",
                )
            if "*" in prefix:
                raise LifecycleError(
                    message=(
                        f"keep_tag_prefixes[{index}]: {prefix!r} contains '*', which a prefix matches literally and "
                        "no image tag contains; give the start of the tags (for example 'release-' for release-*)"
                    ),
                    option="keep_tag_prefixes",
                )
            if prefix not in prefixes:
                prefixes.append(prefix)
        if prefixes and keep_last is None:
            raise LifecycleError(
                message=(
                    "keep_tag_prefixes: protects images from keep_last, and keep_last is not given, so it would do "
                    "nothing; add keep_last (the number of images to keep besides the protected ones), or leave "
                    "keep_tag_prefixes out"
                ),
                option="keep_tag_prefixes",
            )
        for offset, prefix in enumerate(prefixes):
            rules.append(
                {
                    "priority": 2 + offset,
                    "description": f"Keep images with a tag starting with {prefix}",
                    "tag_status": "tagged",
                    "tag_prefixes": [prefix],
                    "count_type": "image_count_more_than",
                    "count": PROTECT_COUNT,
                    "action": "expire",
                }
            )
    if keep_last is not None:
        count = _preset_count(keep_last, "keep_last", "the number of images to keep")
        rules.append(
            {
                "priority": rules[-1]["priority"] + 1 if rules else 1,
                "description": f"Keep the {count} most recently pushed images",
                "tag_status": "any",
                "count_type": "image_count_more_than",
                "count": count,
                "action": "expire",
            }
        )
    return rules
