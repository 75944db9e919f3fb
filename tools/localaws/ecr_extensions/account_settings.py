"""GetAccountSetting / PutAccountSetting, and the registry policy scope they set (V1 or V2)."""

from __future__ import annotations

import json

from moto.core.responses import ActionResult

from .common import check_enum, error, invalid, store

SETTINGS = {
    # name: (allowed values, default for a new registry)
    "BASIC_SCAN_TYPE_VERSION": (("AWS_NATIVE", "CLAIR"), "AWS_NATIVE"),
    "REGISTRY_POLICY_SCOPE": (("V1", "V2"), "V2"),
}
# V1: a registry policy governs replication and pull through cache only.
V1_REGISTRY_ACTIONS = {"ecr:CreateRepository", "ecr:ReplicateImage", "ecr:BatchImportUpstreamImage"}


def settings(backend) -> dict:
    return store(backend, "account_settings", lambda: {name: default for name, (_allowed, default) in SETTINGS.items()})


def _name(name) -> str:
    if name not in SETTINGS:
        raise invalid("name", f"Member must satisfy enum value set: [{', '.join(SETTINGS)}]")
    return name


def get_account_setting(self) -> ActionResult:
    name = _name(self._get_param("name"))
    return ActionResult({"name": name, "value": settings(self.ecr_backend)[name]})


def put_account_setting(self) -> ActionResult:
    name = _name(self._get_param("name"))
    value = self._get_param("value")
    check_enum("value", value, SETTINGS[name][0])
    settings(self.ecr_backend)[name] = value
    return ActionResult({"name": name, "value": value})


def validate_registry_policy_action(backend, policy_text: str) -> None:
    """Replaces moto's check (V1's actions only, without BatchImportUpstreamImage) with one that follows the
    account's REGISTRY_POLICY_SCOPE: V1 allows the replication and pull through cache actions, V2 any ECR action."""
    scope = settings(backend)["REGISTRY_POLICY_SCOPE"]
    statements = json.loads(policy_text).get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        actions = statement.get("Action", [])
        for action in [actions] if isinstance(actions, str) else actions:
            lowered = action.lower()
            if not lowered.startswith("ecr:"):
                raise _refused(f"action {action} is not an Amazon ECR action")
            if scope == "V1" and lowered not in {a.lower() for a in V1_REGISTRY_ACTIONS}:
                raise _refused(
                    f"action {action} is not allowed in a registry policy of scope V1 "
                    f"(allowed: {', '.join(sorted(V1_REGISTRY_ACTIONS))}); PutAccountSetting REGISTRY_POLICY_SCOPE V2 "
                    "allows every ECR action"
                )


def _refused(why: str):
    return error(
        "InvalidParameterException",
        f"Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid registry policy provided': {why}",
    )
