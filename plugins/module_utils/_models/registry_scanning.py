# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The registry's scanning configuration, pure: validation, the ECR shape and back, normalised comparison.

ECR takes a scan type (``BASIC`` or ``ENHANCED``) and at most two rules, each a scan frequency with up to 100
repository filters (``WILDCARD``: the whole repository name, ``*`` for any characters). With ``BASIC``, rules may
scan on push only (``CONTINUOUS_SCAN`` needs ``ENHANCED``); a registry with no rule scans on demand only.
"""

import re

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import RegistrySettingsError

SCAN_TYPES = ("BASIC", "ENHANCED")
SCAN_FREQUENCIES = ("SCAN_ON_PUSH", "CONTINUOUS_SCAN", "MANUAL")
BASIC_FREQUENCIES = ("SCAN_ON_PUSH", "MANUAL")
FILTER_TYPES = ("WILDCARD",)
# ScanningRepositoryFilterValue in ECR's API model.
FILTER_RE = re.compile(r"[a-z0-9*](?:[._\-/a-z0-9*]?[a-z0-9*]+)*")
FILTER_MAX_LENGTH = 255
MAX_RULES = 2
MAX_FILTERS = 100

RULE_OPTIONS = dict(
    scan_frequency=dict(type="str", required=True, choices=list(SCAN_FREQUENCIES)),
    repository_filters=dict(type="list", elements="str", required=True),
)


def _fail(option, message):
    raise RegistrySettingsError(message=f"{option}: {message}", option=option)


def _filter(value, option):
    """One repository filter: a string, or ECR's {filter, filter_type}/{filter, filterType}."""
    if isinstance(value, dict):
        kind = value.get("filter_type", value.get("filterType", "WILDCARD"))
        if to_text(kind).upper() not in FILTER_TYPES:
            _fail(option, f"filter type {kind!r} is not supported; ECR takes WILDCARD only")
        value = value.get("filter")
    text = to_text(value if value is not None else "").strip()
    if not text or len(text) > FILTER_MAX_LENGTH or not FILTER_RE.fullmatch(text):
        _fail(
            option,
            f"{text!r} is not a repository filter; give a repository name in lower case with '*' as a wildcard "
            "(for example 'prod/*' or '*'), 1 to 255 characters",
        )
    return text


def validate_rules(rules, scan_type, option="rules"):
    """The rules checked against ``scan_type``: [{scan_frequency, repository_filters (sorted, unique)}]."""
    if rules is None:
        return None
    if not isinstance(rules, (list, tuple)):
        _fail(option, "give a list of rules, each {scan_frequency, repository_filters}")
    if len(rules) > MAX_RULES:
        _fail(option, f"{len(rules)} rules; ECR takes at most {MAX_RULES} (one per scan frequency)")
    cleaned, seen = [], set()
    for index, rule in enumerate(rules):
        where = f"{option}[{index}]"
        if not isinstance(rule, dict):
            _fail(where, "give a dict with scan_frequency and repository_filters")
        frequency = to_text(rule.get("scan_frequency", rule.get("scanFrequency")) or "").strip().upper()
        if frequency not in SCAN_FREQUENCIES:
            _fail(f"{where}.scan_frequency", f"{frequency or '(unset)'!s} is not one of {', '.join(SCAN_FREQUENCIES)}")
        if scan_type == "BASIC" and frequency not in BASIC_FREQUENCIES:
            _fail(
                f"{where}.scan_frequency",
                f"{frequency} needs scan_type=ENHANCED; with BASIC use SCAN_ON_PUSH (or MANUAL)",
            )
        if frequency in seen:
            _fail(f"{where}.scan_frequency", f"{frequency} is also the frequency of another rule; merge their filters")
        seen.add(frequency)
        filters = rule.get("repository_filters", rule.get("repositoryFilters"))
        if not isinstance(filters, (list, tuple)) or not filters:
            _fail(f"{where}.repository_filters", "give at least one filter, for example ['*'] for every repository")
        if len(filters) > MAX_FILTERS:
            _fail(f"{where}.repository_filters", f"{len(filters)} filters; ECR takes at most {MAX_FILTERS} per rule")
        names = sorted(
            {_filter(value, f"{where}.repository_filters[{position}]") for position, value in enumerate(filters)}
        )
        cleaned.append({"scan_frequency": frequency, "repository_filters": names})
    return sorted(cleaned, key=lambda rule: rule["scan_frequency"])


def validate_params(params):
    """``ecr_registry_scanning``'s request: {scan_type, rules (None: keep the current rules)}."""
    scan_type = to_text(params.get("scan_type") or "").strip().upper()
    if scan_type not in SCAN_TYPES:
        _fail("scan_type", f"{scan_type or '(unset)'!s} is not one of {', '.join(SCAN_TYPES)}")
    return {"scan_type": scan_type, "rules": validate_rules(params.get("rules"), scan_type)}


def from_api(configuration):
    """ECR's scanningConfiguration ({scanType, rules}) in snake_case, normalised like a request."""
    configuration = configuration or {}
    scan_type = configuration.get("scanType") or "BASIC"
    rules = []
    for rule in configuration.get("rules") or []:
        filters = sorted({f.get("filter") for f in rule.get("repositoryFilters") or [] if f.get("filter")})
        rules.append({"scan_frequency": rule.get("scanFrequency"), "repository_filters": filters})
    return {"scan_type": scan_type, "rules": sorted(rules, key=lambda rule: rule["scan_frequency"] or "")}


def desired(request, current):
    """The configuration the request asks for; rules left out keep the current ones, which must then suit the scan
    type (RegistrySettingsError naming ``rules`` else)."""
    rules = request["rules"]
    if rules is None:
        try:
            rules = validate_rules(current["rules"], request["scan_type"])
        except RegistrySettingsError as e:
            raise RegistrySettingsError(
                message=(
                    f"rules: the registry's current rules do not suit scan_type={request['scan_type']} ({e.message}); "
                    "give the rules too"
                ),
                option="rules",
            ) from e
    return {"scan_type": request["scan_type"], "rules": rules}


def to_api(configuration):
    """PutRegistryScanningConfiguration's parameters for a snake_case configuration."""
    return {
        "scanType": configuration["scan_type"],
        "rules": [
            {
                "scanFrequency": rule["scan_frequency"],
                "repositoryFilters": [
                    {"filter": name, "filterType": "WILDCARD"} for name in rule["repository_filters"]
                ],
            }
            for rule in configuration["rules"]
        ],
    }
