"""PutRegistryScanningConfiguration, fixed: moto 5.2 stores `rules: None` when a call has no rules, and from then
on every CreateRepository in that account fails with HTTP 500 (after creating the repository). Here the call is
validated as ECR does, rules default to [], and repository filters match the whole name with `*` wildcards."""

from __future__ import annotations

import fnmatch
import re

from moto.core.responses import ActionResult

from .common import check_enum, check_pattern, error

SCAN_TYPES = ("BASIC", "ENHANCED")
FREQUENCIES = ("SCAN_ON_PUSH", "CONTINUOUS_SCAN", "MANUAL")
FILTER_RE = re.compile(r"^[a-z0-9*](?:[._\-/a-z0-9*]?[a-z0-9*]+)*$")
MAX_RULES = 2


def check_rules(scan_type, rules) -> list:
    check_enum("scanType", scan_type, SCAN_TYPES)
    rules = rules or []
    if len(rules) > MAX_RULES:
        raise error(
            "ValidationException",
            f"1 validation error detected: Value at 'rules' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_RULES}",
        )
    for index, rule in enumerate(rules, start=1):
        frequency = rule.get("scanFrequency")
        check_enum(f"rules.{index}.member.scanFrequency", frequency, FREQUENCIES)
        if scan_type == "BASIC" and frequency == "CONTINUOUS_SCAN":
            raise error(
                "ValidationException",
                "CONTINUOUS_SCAN is not supported with scanType BASIC: use SCAN_ON_PUSH, or scanType ENHANCED",
            )
        filters = rule.get("repositoryFilters") or []
        if not filters:
            raise error("ValidationException", f"rules.{index}: repositoryFilters must hold at least one filter")
        for position, repository_filter in enumerate(filters, start=1):
            where = f"rules.{index}.member.repositoryFilters.{position}.member"
            check_pattern(f"{where}.filter", repository_filter.get("filter"), FILTER_RE, 1, 255)
            check_enum(f"{where}.filterType", repository_filter.get("filterType"), ("WILDCARD",))
    return rules


def put_registry_scanning_configuration(self) -> ActionResult:
    scan_type = self._get_param("scanType")
    rules = check_rules(scan_type, self._get_param("rules"))
    self.ecr_backend.put_registry_scanning_configuration(scan_type, rules)
    return ActionResult({"registryScanningConfiguration": {"scanType": scan_type, "rules": rules}})


def match_repository_filter(_backend, filter: str, repository_name: str) -> bool:  # pylint: disable=redefined-builtin
    """ECR's WILDCARD filter: the whole name, `*` for any characters (moto also matches any substring)."""
    return fnmatch.fnmatchcase(repository_name, filter)
