"""What the extensions share: ECR's errors, parameter checks, state kept on moto's ECR backend, pagination."""

from __future__ import annotations

import datetime
import re
from typing import Any, Callable

from moto.core.exceptions import ServiceException

# ECR's repository-name-like prefixes (pull through cache rules, creation templates), from its API model.
PREFIX_RE = re.compile(r"^([a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*\/?|ROOT)$")


class ECRError(ServiceException):
    """An ECR error as moto's server serialises it (`__type` CODE, `message`, ECR's HTTP status for CODE). Defined
    outside moto's packages, so moto looks CODE up in the model of the service called (ECR), not in "moto.core"."""


def error(code: str, message: str) -> ECRError:
    return ECRError(code, message)


def invalid(parameter: str, constraint: str) -> ECRError:
    return error(
        "InvalidParameterException", f"Invalid parameter at '{parameter}' failed to satisfy constraint: '{constraint}'"
    )


def check_enum(parameter: str, value: Any, allowed) -> None:
    if value not in allowed:
        raise error(
            "ValidationException",
            f"1 validation error detected: Value '{value}' at '{parameter}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(allowed)}]",
        )


def check_pattern(parameter: str, value: Any, pattern: re.Pattern, low: int, high: int) -> None:
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise error(
            "ValidationException",
            f"1 validation error detected: Value '{value}' at '{parameter}' failed to satisfy constraint: "
            f"Member must have length between {low} and {high}",
        )
    if not pattern.fullmatch(value):
        raise invalid(parameter, f"must satisfy regular expression '{pattern.pattern}'")


def check_max_length(parameter: str, value: Any, high: int) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > high):
        raise error(
            "ValidationException",
            f"1 validation error detected: Value at '{parameter}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {high}",
        )


def check_registry_id(registry_id: Any, account: str) -> None:
    """Calls that name a registry act on the caller's own (moto has no cross-account registries)."""
    if registry_id not in (None, "", account):
        raise invalid("registryId", f"registryId {registry_id} does not match the caller's account {account}")


def store(backend: Any, name: str, factory: Callable[[], Any]) -> Any:
    """State kept on moto's ECR backend of one account and region (reset with it by moto's reset API)."""
    key = f"localaws_{name}"
    if key not in backend.__dict__:
        backend.__dict__[key] = factory()
    return backend.__dict__[key]


class Prefixed:
    """Resources of one kind kept by prefix in each account and region (pull through cache rules, templates)."""

    def __init__(self, name: str, what: str, kind: str, limit: int):
        self.name, self.what, self.kind, self.limit = name, what, kind, limit

    def all(self, backend) -> dict:
        return store(backend, self.name, dict)

    def get(self, backend, prefix: str) -> dict:
        found = self.all(backend).get(prefix)
        if found is None:
            raise error(
                f"{self.kind}NotFoundException",
                f"The {self.what} with prefix '{prefix}' does not exist in the registry with id '{backend.account_id}'",
            )
        return found

    def add(self, backend, prefix: str, item: dict) -> dict:
        existing = self.all(backend)
        if prefix in existing:
            raise error(
                f"{self.kind}AlreadyExistsException",
                f"The {self.what} with prefix '{prefix}' already exists in the registry with id '{backend.account_id}'",
            )
        if len(existing) >= self.limit:
            raise error("LimitExceededException", f"The maximum of {self.limit} {self.what}s was reached")
        existing[prefix] = item
        return item

    def remove(self, backend, prefix: str) -> dict:
        self.get(backend, prefix)
        return self.all(backend).pop(prefix)


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def paginate(items: list, max_results: Any, next_token: Any) -> tuple[list, str | None]:
    """A page of ITEMS: the token is the index of the next item (opaque enough for a test emulator)."""
    start = 0
    if next_token:
        if not str(next_token).isdigit() or int(next_token) > len(items):
            raise invalid("nextToken", "Invalid pagination token")
        start = int(next_token)
    size = len(items) if max_results in (None, "") else int(max_results)
    if not 1 <= size <= 1000 and max_results not in (None, ""):
        raise invalid("maxResults", "Member must have value between 1 and 1000")
    page = items[start : start + size]
    return page, (str(start + size) if start + size < len(items) else None)
