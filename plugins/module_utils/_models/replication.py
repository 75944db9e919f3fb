# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A registry's replication configuration, pure: rules validated, ECR JSON <-> snake_case, compare, merge, and the
registry policy statements a cross-account destination needs (derived from the same rules).

ECR keeps one replication configuration per registry (account and region): a list of rules, each with
destinations (region, registry ID) and optional repository filters (``PREFIX_MATCH`` on the repository name).
A rule without filters replicates every repository. The limits checked here are ECR's: at most
``MAX_RULES`` rules, ``MAX_FILTERS`` filters per rule, ``MAX_DESTINATIONS`` distinct destinations across all
rules; a destination cannot be the source registry, and stays in the source region's partition.

A cross-account destination must allow the source account ``ecr:ReplicateImage`` (and ``ecr:CreateRepository``,
so ECR can create missing repositories) in its registry policy. ``destination_statements`` derives those
statements from the rules, one per source registry with a stable Sid (``replication_sid``), so
``ecr_policy`` (``scope=registry``, ``purge_statements=false``) can keep them in step without touching other
statements.
"""

import copy
import re

from ansible_collections.dockyard.ecr.plugins.module_utils._common import partitions
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ReplicationError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.options import REPLICATION_FILTER_TYPES, STATES
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import validate_registry_id
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_document import DEFAULT_VERSION

# ECR's limits (API model: ReplicationConfiguration.rules, RepositoryFilterList; service quota: 25 unique
# destinations across all rules of a registry).
MAX_RULES = 25
MAX_FILTERS = 100
MAX_DESTINATIONS = 25
FILTER_TYPES = REPLICATION_FILTER_TYPES
# ECR's RepositoryFilterValue: 2 to 256 characters of this pattern.
FILTER_RE = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]*)*/)*[a-z0-9]*(?:[._-][a-z0-9]*)*$")
FILTER_MIN, FILTER_MAX = 2, 256
# What a cross-account destination grants the source account.
REPLICATION_ACTIONS = ("ecr:CreateRepository", "ecr:ReplicateImage")
SID_PREFIX = "DockyardReplicationFrom"


RULE_KEYS = ("destinations", "repository_filters", "delete_replication")
DESTINATION_KEYS = ("region", "registry_id")
FILTER_KEYS = ("filter", "prefix", "filter_type")


def _fail(option, message):
    raise ReplicationError(message=f"{option}: {message}", option=option.split("[", 1)[0])


def _known_keys(value, where, keys):
    """Refuse keys the module's argument spec would refuse (the estate's data does not go through it)."""
    unknown = sorted(str(k) for k in value if k not in keys and value[k] is not None)
    if unknown:
        _fail(f"{where}.{unknown[0]}", f"not a key here; use {', '.join(keys)}")


def _destination(value, where, source_account, source_region):
    if not isinstance(value, dict):
        _fail(where, "give a dict with region and, for another account, registry_id")
    _known_keys(value, where, DESTINATION_KEYS)
    region = str(value.get("region") or "").strip()
    if not partitions.is_region_name(region):
        _fail(f"{where}.region", f"{region!r} is not an AWS region; give one like 'eu-west-1'")
    if partitions.known_regions() and region not in partitions.known_regions():
        _fail(
            f"{where}.region",
            f"{region!r} is not a region botocore knows; check the spelling (or upgrade botocore if the region is new)",
        )
    if source_region and partitions.partition_for_region(region) != partitions.partition_for_region(source_region):
        _fail(
            f"{where}.region",
            f"{region!r} is in partition {partitions.partition_for_region(region)}, the source registry "
            f"({source_region}) in {partitions.partition_for_region(source_region)}; ECR replicates within a "
            "partition only",
        )
    registry_id = validate_registry_id(value.get("registry_id"), f"{where}.registry_id", ReplicationError)
    registry_id = registry_id or source_account  # None until the source account is known
    if registry_id is not None and registry_id == source_account and region == source_region:
        _fail(
            where,
            f"{region} in account {registry_id} is the source registry itself; replicate to another region or "
            "another account",
        )
    return {"region": region, "registryId": registry_id}


def _filter(value, where):
    if not isinstance(value, dict):
        _fail(where, "give a dict with filter (a repository name prefix)")
    _known_keys(value, where, FILTER_KEYS)
    text = value.get("filter") if value.get("filter") is not None else value.get("prefix")
    text = "" if text is None else str(text).strip()
    if not FILTER_MIN <= len(text) <= FILTER_MAX:
        _fail(
            f"{where}.filter",
            f"{text!r} has {len(text)} characters; a repository filter has {FILTER_MIN} to {FILTER_MAX} "
            "(a prefix of the repository names to replicate, for example 'team/')",
        )
    if not FILTER_RE.match(text):
        hint = f" (ECR names are lower case: use {text.lower()!r})" if FILTER_RE.match(text.lower()) else ""
        _fail(
            f"{where}.filter",
            f"{text!r} is not a repository name prefix{hint}; use lower-case letters, digits, '.', '_', '-' and "
            "'/' (no wildcards: every repository whose name starts with the prefix is replicated)",
        )
    filter_type = value.get("filter_type") or "PREFIX_MATCH"
    if filter_type not in FILTER_TYPES:
        _fail(f"{where}.filter_type", f"{filter_type!r} is not one of {', '.join(FILTER_TYPES)}")
    return {"filter": text, "filterType": filter_type}


def _unique(items):
    kept = []
    for item in items:
        if item not in kept:
            kept.append(item)
    return kept


def validate_rules(rules, source_account=None, source_region=None, option="rules"):
    """The rules (snake_case, as the module takes them) checked and turned into ECR's shape.

    ``source_account`` (the registry's account, None while unknown) fills in destinations without
    ``registry_id``; ``source_region`` is the registry's region. Repeated destinations and filters within a
    rule are dropped. Raises ReplicationError naming the element (``rules[1].destinations[0].region``).
    """
    if rules is None:
        return None
    if not isinstance(rules, (list, tuple)):
        _fail(option, "give a list of rules")
    if len(rules) > MAX_RULES:
        _fail(option, f"{len(rules)} rules; ECR allows at most {MAX_RULES} in a registry's replication configuration")
    result = []
    for index, rule in enumerate(rules):
        where = f"{option}[{index}]"
        if not isinstance(rule, dict):
            _fail(where, "give a dict with destinations and, optionally, repository_filters")
        _known_keys(rule, where, RULE_KEYS)
        destinations = rule.get("destinations") or []
        if not isinstance(destinations, (list, tuple)) or not destinations:
            _fail(
                f"{where}.destinations", "give at least one destination (region and, for another account, registry_id)"
            )
        filters = rule.get("repository_filters") or []
        if not isinstance(filters, (list, tuple)):
            _fail(f"{where}.repository_filters", "give a list of filters")
        if len(filters) > MAX_FILTERS:
            _fail(f"{where}.repository_filters", f"{len(filters)} filters; ECR allows at most {MAX_FILTERS} per rule")
        ecr_rule = {
            "destinations": _unique(
                _destination(d, f"{where}.destinations[{i}]", source_account, source_region)
                for i, d in enumerate(destinations)
            ),
        }
        checked = _unique(_filter(f, f"{where}.repository_filters[{i}]") for i, f in enumerate(filters))
        if checked:
            ecr_rule["repositoryFilters"] = checked
        if rule.get("delete_replication"):
            ecr_rule["deleteReplication"] = {"enabled": True}
        result.append(ecr_rule)
    distinct = {(d["registryId"], d["region"]) for rule in result for d in rule["destinations"]}
    if len(distinct) > MAX_DESTINATIONS:
        _fail(
            option,
            f"{len(distinct)} distinct destinations; ECR allows at most {MAX_DESTINATIONS} across all rules of a registry",
        )
    return result


def normalize_rule(rule):
    """A rule in ECR's shape, comparable: destinations and filters sorted, no empty or false parts."""
    rule = rule or {}
    normal = {
        "destinations": sorted(
            ({"region": d.get("region"), "registryId": d.get("registryId")} for d in rule.get("destinations") or []),
            key=lambda d: (d["registryId"] or "", d["region"] or ""),
        )
    }
    filters = sorted(
        (
            {"filter": f.get("filter"), "filterType": f.get("filterType") or "PREFIX_MATCH"}
            for f in rule.get("repositoryFilters") or []
        ),
        key=lambda f: (f["filter"] or "", f["filterType"]),
    )
    if filters:
        normal["repositoryFilters"] = filters
    if (rule.get("deleteReplication") or {}).get("enabled"):
        normal["deleteReplication"] = {"enabled": True}
    return normal


def normalize(rules):
    """The rules as a sorted list of normalised rules (order makes no difference to ECR)."""
    return sorted((normalize_rule(r) for r in rules or []), key=repr)


def rules_differ(current, desired):
    return normalize(current) != normalize(desired)


def desired_rules(current, requested, state="present", purge_rules=True):
    """The rules that should be in force, from what is (``current``) and what the request says.

    - present, purge_rules: exactly ``requested``;
    - present, not purge_rules: ``current`` plus the requested rules it lacks;
    - absent with ``requested``: ``current`` without the requested rules;
    - absent without ``requested``: no rules.
    """
    if state not in STATES:
        _fail("state", f"{state!r} is not one of {', '.join(STATES)}")
    current = [copy.deepcopy(r) for r in current or []]
    if state == "present":
        if purge_rules:
            return [copy.deepcopy(r) for r in requested or []]
        known = [normalize_rule(r) for r in current]
        return current + [copy.deepcopy(r) for r in requested or [] if normalize_rule(r) not in known]
    if not requested:
        return []
    unwanted = [normalize_rule(r) for r in requested]
    return [r for r in current if normalize_rule(r) not in unwanted]


def to_snake(rules):
    """ECR's rules as the module returns them (snake_case)."""
    result = []
    for rule in rules or []:
        item = {
            "destinations": [
                {"region": d.get("region"), "registry_id": d.get("registryId")} for d in rule.get("destinations") or []
            ],
            "repository_filters": [
                {"filter": f.get("filter"), "filter_type": f.get("filterType")}
                for f in rule.get("repositoryFilters") or []
            ],
            "delete_replication": bool((rule.get("deleteReplication") or {}).get("enabled")),
        }
        result.append(item)
    return result


def configuration(rules):
    """What PutReplicationConfiguration takes."""
    return {"rules": [copy.deepcopy(r) for r in rules or []]}


def replication_sid(source_account, source_region):
    """The stable Sid of what one source registry (account and region) is granted in a destination's policy:
    ``DockyardReplicationFrom123456789012UsEast1``."""
    region = "".join(part.capitalize() for part in str(source_region).split("-"))
    return f"{SID_PREFIX}{source_account}{region}"


def _resources(rules_to_destination, destination_account, destination_region):
    partition = partitions.partition_for_region(destination_region)
    prefixes = set()
    for rule in rules_to_destination:
        filters = rule.get("repositoryFilters") or []
        if not filters:
            return [partitions.repository_arn(destination_account, destination_region, "*")]
        prefixes.update(f["filter"] for f in filters)
    # A prefix that another one starts with adds nothing.
    kept = sorted(p for p in prefixes if not any(p != other and p.startswith(other) for other in prefixes))
    return [partitions.arn("ecr", destination_region, destination_account, f"repository/{p}*", partition) for p in kept]


def destination_statements(source_account, source_region, rules):
    """{(destination account, destination region): statement} for the cross-account destinations of ``rules``
    (ECR's shape, validated): the source account may ``ecr:CreateRepository`` and ``ecr:ReplicateImage`` on the
    repositories the rules replicate there (``repository/PREFIX*`` per filter, ``repository/*`` for a rule
    without filters). Same-account destinations need no grant and give none."""
    by_destination = {}
    for rule in rules or []:
        for destination in rule.get("destinations") or []:
            key = (destination["registryId"], destination["region"])
            if destination["registryId"] != source_account:
                by_destination.setdefault(key, []).append(rule)
    statements = {}
    for (account, region), matched in sorted(by_destination.items()):
        statements[(account, region)] = {
            "Sid": replication_sid(source_account, source_region),
            "Effect": "Allow",
            "Principal": {
                "AWS": partitions.arn("iam", "", source_account, "root", partitions.partition_for_region(region))
            },
            "Action": list(REPLICATION_ACTIONS),
            "Resource": _resources(matched, account, region),
        }
    return statements


def destination_policies(source_account, source_region, rules):
    """What ``ecr_replication`` returns as ``destination_policies``: per cross-account destination (registry ID
    and region) the registry policy document to merge there with ``ecr_policy`` (``scope=registry``,
    ``purge_statements=false``)."""
    return [
        {
            "registry_id": account,
            "region": region,
            "sid": statement["Sid"],
            "policy": {"Version": DEFAULT_VERSION, "Statement": [statement]},
        }
        for (account, region), statement in destination_statements(source_account, source_region, rules).items()
    ]


def registry_replication_policy(sources, account_id, region):
    """The statements a destination registry (``account_id``, ``region``) needs for every source that replicates
    into it, as a policy document (None when no source does). ``sources`` are dicts with ``account_id``,
    ``region`` and ``replication`` (rules as ``ecr_replication`` takes them), e.g. the entries of the estate's
    ``ecr_registries``; the same function as ``ecr_replication``'s ``destination_policies``."""
    statements = []
    for index, source in enumerate(sources or []):
        if not isinstance(source, dict) or not source.get("replication"):
            continue
        source_account = validate_registry_id(
            source.get("account_id"), f"ecr_registries[{index}].account_id", ReplicationError
        )
        source_region = source.get("region")
        rules = validate_rules(
            source["replication"], source_account, source_region, f"ecr_registries[{index}].replication"
        )
        statement = destination_statements(source_account, source_region, rules).get((str(account_id), region))
        if statement is not None:
            statements.append(statement)
    if not statements:
        return None
    return {"Version": DEFAULT_VERSION, "Statement": statements}


def validate_params(params):
    """ecr_replication's request checked before any AWS call (what needs the source account is checked again
    by ``complete_request`` once it is known)."""
    registry_id = validate_registry_id(params.get("registry_id"), "registry_id", ReplicationError)
    state = params.get("state") or "present"
    rules = params.get("rules")
    if state == "present" and rules is None:
        _fail("rules", "state=present needs rules (an empty list removes every rule, as state=absent does)")
    return {
        "state": state,
        "registry_id": registry_id,
        "purge_rules": params.get("purge_rules", True) is not False,
        "raw_rules": rules,
        # Shape checks now; destinations without registry_id are filled in once the account is known.
        "rules": validate_rules(rules, registry_id, params.get("region")),
    }


def complete_request(request, source_account, source_region):
    """The request's rules validated against the registry now known (account, region)."""
    if request["registry_id"] and request["registry_id"] != source_account:
        _fail(
            "registry_id",
            f"{request['registry_id']} is not the account of the credentials ({source_account}); ECR manages only the "
            "caller's own replication configuration, so use credentials of that account (assume a role in it), or "
            "leave registry_id out",
        )
    if request["raw_rules"] is None:
        return dict(request, rules=None)
    return dict(request, rules=validate_rules(request["raw_rules"], source_account, source_region))
