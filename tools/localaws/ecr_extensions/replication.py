"""PutReplicationConfiguration as ECR checks it: moto 5.2 refuses more than one rule ("This feature is disabled")
and checks nothing else. Here: at most 25 rules and 25 distinct destinations, at least one destination per rule,
destinations and filters of ECR's shape, no destination equal to the source registry. Copying images to the
destinations is the bridge's work (replicate.py)."""

from __future__ import annotations

import re

from moto.core.responses import ActionResult

from .common import check_enum, check_pattern, error, invalid

MAX_RULES = 25
MAX_DESTINATIONS = 25
MAX_FILTERS = 100
REGION_RE = re.compile(r"[0-9a-z-]{2,25}")
REGISTRY_RE = re.compile(r"[0-9]{12}")
FILTER_RE = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]*)*/)*[a-z0-9]*(?:[._-][a-z0-9]*)*$")


def _too_many(parameter: str, limit: int):
    return error(
        "ValidationException",
        f"1 validation error detected: Value at '{parameter}' failed to satisfy constraint: "
        f"Member must have length less than or equal to {limit}",
    )


def check_configuration(backend, configuration) -> dict:
    rules = (configuration or {}).get("rules")
    if not isinstance(rules, list):
        raise invalid("replicationConfiguration.rules", "Member must not be null")
    if len(rules) > MAX_RULES:
        raise _too_many("replicationConfiguration.rules", MAX_RULES)
    distinct = set()
    for index, rule in enumerate(rules, start=1):
        where = f"replicationConfiguration.rules.{index}.member"
        destinations = rule.get("destinations") or []
        if not destinations:
            raise invalid(f"{where}.destinations", "Member must have at least 1 destination")
        for position, destination in enumerate(destinations, start=1):
            at = f"{where}.destinations.{position}.member"
            check_pattern(f"{at}.region", destination.get("region"), REGION_RE, 2, 25)
            check_pattern(f"{at}.registryId", destination.get("registryId"), REGISTRY_RE, 12, 12)
            if destination["region"] == backend.region_name and destination["registryId"] == backend.account_id:
                raise invalid(
                    "replicationConfiguration", "Replication destination cannot be the same as the source registry"
                )
            distinct.add((destination["registryId"], destination["region"]))
        filters = rule.get("repositoryFilters") or []
        if len(filters) > MAX_FILTERS:
            raise _too_many(f"{where}.repositoryFilters", MAX_FILTERS)
        for position, repository_filter in enumerate(filters, start=1):
            at = f"{where}.repositoryFilters.{position}.member"
            check_pattern(f"{at}.filter", repository_filter.get("filter"), FILTER_RE, 2, 256)
            check_enum(f"{at}.filterType", repository_filter.get("filterType"), ("PREFIX_MATCH",))
    if len(distinct) > MAX_DESTINATIONS:
        raise error(
            "LimitExceededException",
            f"The replication configuration has {len(distinct)} unique destinations; the limit is {MAX_DESTINATIONS}",
        )
    return {"rules": rules}


def put_replication_configuration(self) -> ActionResult:
    configuration = check_configuration(self.ecr_backend, self._get_param("replicationConfiguration"))
    self.ecr_backend.replication_config = configuration
    return ActionResult({"replicationConfiguration": configuration})
