# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Lifecycle policy validation, pure: jsonschema for the structure, then the rules ECR documents.

``validate_rules(rules)`` / ``validate_document(doc)`` run before any AWS call; they raise
``LifecycleError`` whose message names the rule by its priority and the field, e.g.
``rules[priority=2].count_unit: ...`` (all problems at once), and return the normalised document.
The citations ([properties], [evaluation], [examples], [quotas]) are explained in ``lifecycle_rules``.
"""

import json

from ansible_collections.dockyard.ecr.plugins.module_utils._common import lazy_imports
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import LifecycleError
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_rules import (
    ACTION_KEYS,
    ACTIONS,
    AGE_COUNT_TYPES,
    ALL_FEATURES,
    COUNT_TYPE_TO_SNAKE,
    COUNT_TYPES,
    COUNT_UNITS,
    DEFAULT_STORAGE_CLASS,
    FEATURE_ARCHIVE,
    FEATURE_TRANSITION,
    MAX_POLICY_LENGTH,
    MAX_RULES,
    MAX_WILDCARDS,
    MIN_ARCHIVE_DAYS,
    RULE_FIELDS,
    SELECTION_KEYS,
    SNAKE_BY_PATH,
    SNAKE_FIELDS,
    STORAGE_CLASSES,
    TAG_STATUSES,
    TARGET_STORAGE_CLASSES,
    normalize,
    policy_text,
    rules_to_document,
    storage_class_of,
)

# jsonschema is imported when a document is validated (lazy_imports), not with this module.
HAS_JSONSCHEMA = lazy_imports.available("jsonschema")

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
        for section, keys in (("selection", SELECTION_KEYS), ("action", ACTION_KEYS)):
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


def _check_tags(problems, index, selection):
    """Tag status against the tag lists, and the tag lists themselves."""
    show = problems.dialect.field
    status = _value(selection, "tagStatus")
    prefixes, patterns = _value(selection, "tagPrefixList"), _value(selection, "tagPatternList")
    has_prefixes, has_patterns = "tagPrefixList" in selection, "tagPatternList" in selection
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


def _count_type(problems, selection):
    """(count type, the count type as the messages show it) of a rule's selection."""
    count_type = _value(selection, "countType")
    return count_type, problems.dialect.value(("selection", "countType"), count_type)


def _check_count_unit(problems, index, selection):
    # [properties] countUnit: "Required: yes, only if countType is set to sinceImagePushed, sinceImagePulled,
    # or sinceImageTransitioned ... an error will occur if you specify a count unit when countType is any
    # other value."
    dialect = problems.dialect
    count_type, shown_type = _count_type(problems, selection)
    if count_type is None:
        return
    if count_type in AGE_COUNT_TYPES:
        if "countUnit" not in selection:
            problems.rule(index, ("selection", "countUnit"), f"required with count type {shown_type}; give days")
    elif "countUnit" in selection:
        problems.rule(
            index,
            ("selection", "countUnit"),
            f"only used with the age count types ({dialect.values(('selection', 'countType'), AGE_COUNT_TYPES)}); "
            f"remove it for count type {shown_type}, whose count is a number of images",
        )


def _check_storage_class(problems, index, selection):
    # [properties] storageClass: "When using a countType of imageCountMoreThan, sinceImagePushed, or
    # sinceImagePulled, the only supported value is standard. When using a count type of
    # sinceImageTransitioned, this is required, and the only supported value is archive."
    dialect = problems.dialect
    count_type, shown_type = _count_type(problems, selection)
    if count_type is None:
        return
    if count_type == "sinceImageTransitioned":
        if selection.get("storageClass", DEFAULT_STORAGE_CLASS) not in ("archive", _REFUSED):
            problems.rule(
                index,
                ("selection", "storageClass"),
                f"count type {shown_type} selects archived images; set the storage class to archive",
            )
    elif (_value(selection, "storageClass") or DEFAULT_STORAGE_CLASS) == "archive":
        problems.rule(
            index,
            ("selection", "storageClass"),
            f"archive is only used with count type "
            f"{dialect.value(('selection', 'countType'), 'sinceImageTransitioned')}; "
            f"count type {shown_type} selects standard images (remove the storage class)",
        )


def _check_action(problems, index, selection, action):
    """The action's target, and the count types that only work with one action."""
    dialect = problems.dialect
    count_type, shown_type = _count_type(problems, selection)
    count = _value(selection, "countNumber")
    kind = _value(action, "type")
    action_path = ("action", "type") if not dialect.snake else ("action",)
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
            action_path,
            f"count type {shown_type} only works with action transition (to archive); to delete images "
            f"nobody pulls, archive them with it and expire them later with "
            f"{dialect.value(('selection', 'countType'), 'sinceImageTransitioned')}",
        )
    if count_type == "sinceImageTransitioned":
        if kind is not None and kind != "expire":
            problems.rule(index, action_path, f"count type {shown_type} only works with action expire")
        if isinstance(count, int) and count < MIN_ARCHIVE_DAYS:
            problems.rule(
                index,
                ("selection", "countNumber"),
                f"{count} days; archived images must stay in archive at least "
                f"{MIN_ARCHIVE_DAYS} days before a lifecycle policy can delete them: give {MIN_ARCHIVE_DAYS} or more",
            )


def _check_features(problems, index, selection, action, features):
    """What the installed botocore knows."""
    dialect = problems.dialect
    count_type, shown_type = _count_type(problems, selection)
    botocore_hint = "; upgrade boto3 and botocore on the host that runs the module"
    if FEATURE_TRANSITION not in features and _value(action, "type") == "transition":
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
        if (_value(selection, "storageClass") or DEFAULT_STORAGE_CLASS) != DEFAULT_STORAGE_CLASS:
            problems.rule(
                index,
                ("selection", "storageClass"),
                "the installed botocore does not know ECR's archive storage class" + botocore_hint,
            )


def _check_rule(problems, index, rule, features):
    """The per-rule rules ECR documents, on a rule from ``_checkable_rules`` (fields the schema refused are
    absent, so each check only looks at what it can judge)."""
    selection, action = rule["selection"], rule["action"]
    _check_tags(problems, index, selection)
    _check_count_unit(problems, index, selection)
    _check_storage_class(problems, index, selection)
    _check_action(problems, index, selection, action)
    _check_features(problems, index, selection, action, features)


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
        group = [(i, r) for i, r in rules if storage_class_of(r["selection"]) == storage_class]
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
    validator = lazy_imports.load("jsonschema").Draft7Validator(DOCUMENT_SCHEMA)
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
