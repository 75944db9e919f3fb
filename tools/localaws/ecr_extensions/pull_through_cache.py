"""Pull through cache rules: Create, Describe, Update, Delete, Validate (state only: nothing is pulled)."""

from __future__ import annotations

import re

from moto.core.responses import ActionResult

from .common import PREFIX_RE, Prefixed, check_enum, check_pattern, check_registry_id, error, invalid, now, paginate

# upstream registry: (URL pattern, what it needs: None, "secret" (Secrets Manager credentialArn) or "role")
UPSTREAMS = {
    "ecr-public": (re.compile(r"public\.ecr\.aws"), None),
    "k8s": (re.compile(r"registry\.k8s\.io"), None),
    "quay": (re.compile(r"quay\.io"), None),
    "docker-hub": (re.compile(r"registry-1\.docker\.io"), "secret"),
    "github-container-registry": (re.compile(r"ghcr\.io"), "secret"),
    "gitlab-container-registry": (re.compile(r"registry\.gitlab\.com"), "secret"),
    "azure-container-registry": (re.compile(r"[a-z0-9]+\.azurecr\.io"), "secret"),
    "chainguard": (re.compile(r"cgr\.dev"), "secret"),
    "ecr": (re.compile(r"\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?"), "role"),
}
# "role": a customRoleArn is required when the upstream ECR registry is in another account.
CREDENTIAL_ARN_RE = re.compile(
    r"^arn:aws(-\w+)*:secretsmanager:[a-zA-Z0-9-:]+:secret:ecr\-pullthroughcache\/[a-zA-Z0-9\/_+=.@-]+$"
)
ROLE_ARN_RE = re.compile(r"^arn:aws(-[a-z]+)*:iam::\d{12}:role/[\w+=,.@/-]+$")
RULES = Prefixed("pull_through_cache_rules", "pull through cache rule", "PullThroughCacheRule", 50)


def upstream_of(url) -> str:
    if not isinstance(url, str) or not url:
        raise invalid("upstreamRegistryUrl", "Member must not be empty")
    for name, (pattern, _needs) in UPSTREAMS.items():
        if pattern.fullmatch(url):
            return name
    raise error(
        "UnsupportedUpstreamRegistryException",
        f"The specified upstream registry {url} is not supported. Supported: public.ecr.aws, registry.k8s.io, quay.io, "
        "registry-1.docker.io, ghcr.io, registry.gitlab.com, <name>.azurecr.io, cgr.dev, "
        "<account>.dkr.ecr.<region>.amazonaws.com",
    )


def check_prefix(prefix) -> str:
    check_pattern("ecrRepositoryPrefix", prefix, PREFIX_RE, 2, 30)
    return prefix.rstrip("/") if prefix != "ROOT" else prefix


def check_credentials(self, upstream: str, credential_arn, custom_role_arn, url: str = "") -> None:
    needs = UPSTREAMS[upstream][1]
    if needs == "role" and url.split(".", 1)[0] == self.current_account:
        # An ECR upstream in the rule's own account (another region) needs no role (ECR User Guide, "Sync an
        # upstream registry": a role is required when the registries belong to different accounts).
        needs = "optional role"
    if credential_arn is not None:
        check_pattern("credentialArn", credential_arn, CREDENTIAL_ARN_RE, 50, 612)
        if needs != "secret":
            raise invalid("credentialArn", f"the upstream registry {upstream} does not take a credentialArn")
        find_secret(self, credential_arn)
    elif needs == "secret":
        raise invalid("credentialArn", f"the upstream registry {upstream} requires a credentialArn (Secrets Manager)")
    if custom_role_arn is not None:
        if not ROLE_ARN_RE.fullmatch(custom_role_arn or "") or len(custom_role_arn) > 2048:
            raise invalid("customRoleArn", "must be the ARN of an IAM role")
    elif needs == "role":
        raise invalid("customRoleArn", f"the upstream registry {upstream} requires a customRoleArn (an IAM role)")


def find_secret(self, credential_arn: str) -> None:
    """The secret must exist in this account and region's Secrets Manager (moto's)."""
    from moto.secretsmanager.models import secretsmanager_backends  # pylint: disable=import-outside-toplevel

    arn_region, arn_account = credential_arn.split(":")[3:5]
    backend = secretsmanager_backends[self.current_account][self.region]
    if (arn_account, arn_region) != (self.current_account, self.region) or not _secret_exists(backend, credential_arn):
        raise error("SecretNotFoundException", f"The specified secret {credential_arn} could not be found")


def _secret_exists(backend, credential_arn: str) -> bool:
    try:
        backend.describe_secret(credential_arn)
    except Exception:  # pylint: disable=broad-exception-caught  # moto's own not-found error, or an unknown name
        name = credential_arn.split(":secret:", 1)[1]
        try:
            backend.describe_secret(name)
        except Exception:  # pylint: disable=broad-exception-caught
            return False
    return True


def _rule(self, prefix) -> dict:
    return RULES.get(self.ecr_backend, check_prefix(prefix))


def create_pull_through_cache_rule(self) -> ActionResult:
    check_registry_id(self._get_param("registryId"), self.current_account)
    prefix = check_prefix(self._get_param("ecrRepositoryPrefix"))
    url = self._get_param("upstreamRegistryUrl")
    upstream = upstream_of(url)
    named = self._get_param("upstreamRegistry")
    if named is not None:
        check_enum("upstreamRegistry", named, tuple(UPSTREAMS))
        if named != upstream:
            raise invalid("upstreamRegistry", f"{named} does not match the upstream registry URL {url} ({upstream})")
    credential_arn, custom_role_arn = self._get_param("credentialArn"), self._get_param("customRoleArn")
    check_credentials(self, upstream, credential_arn, custom_role_arn, url)
    upstream_prefix = self._get_param("upstreamRepositoryPrefix")
    if upstream_prefix is not None:
        check_pattern("upstreamRepositoryPrefix", upstream_prefix, PREFIX_RE, 2, 30)
        if upstream != "ecr" and upstream_prefix != "ROOT":
            raise invalid(
                "upstreamRepositoryPrefix", "only an ecr upstream registry takes an upstream repository prefix"
            )
    rule = {
        "ecrRepositoryPrefix": prefix,
        "upstreamRegistryUrl": url,
        "createdAt": now(),
        "registryId": self.current_account,
        "upstreamRegistry": upstream,
    }
    if credential_arn is not None:
        rule["credentialArn"] = credential_arn
    if custom_role_arn is not None:
        rule["customRoleArn"] = custom_role_arn
    if upstream == "ecr":
        rule["upstreamRepositoryPrefix"] = upstream_prefix or "ROOT"
    return ActionResult(dict(RULES.add(self.ecr_backend, prefix, rule)))


def describe_pull_through_cache_rules(self) -> ActionResult:
    check_registry_id(self._get_param("registryId"), self.current_account)
    prefixes = self._get_param("ecrRepositoryPrefixes")
    if prefixes:
        found = [_rule(self, prefix) for prefix in prefixes]
    else:
        stored = RULES.all(self.ecr_backend)
        found = [stored[prefix] for prefix in sorted(stored)]
    page, token = paginate(found, self._get_param("maxResults"), self._get_param("nextToken"))
    result = {"pullThroughCacheRules": page}
    if token:
        result["nextToken"] = token
    return ActionResult(result)


def update_pull_through_cache_rule(self) -> ActionResult:
    check_registry_id(self._get_param("registryId"), self.current_account)
    rule = _rule(self, self._get_param("ecrRepositoryPrefix"))
    credential_arn, custom_role_arn = self._get_param("credentialArn"), self._get_param("customRoleArn")
    if credential_arn is None and custom_role_arn is None:
        raise invalid("credentialArn", "give a credentialArn or a customRoleArn to update")
    check_credentials(
        self,
        rule["upstreamRegistry"],
        credential_arn if credential_arn is not None else rule.get("credentialArn"),
        custom_role_arn if custom_role_arn is not None else rule.get("customRoleArn"),
        rule["upstreamRegistryUrl"],
    )
    for key, value in (("credentialArn", credential_arn), ("customRoleArn", custom_role_arn)):
        if value is not None:
            rule[key] = value
    rule["updatedAt"] = now()
    keys = (
        "ecrRepositoryPrefix",
        "registryId",
        "updatedAt",
        "credentialArn",
        "customRoleArn",
        "upstreamRepositoryPrefix",
    )
    return ActionResult({key: rule[key] for key in keys if key in rule})


def delete_pull_through_cache_rule(self) -> ActionResult:
    check_registry_id(self._get_param("registryId"), self.current_account)
    rule = RULES.remove(self.ecr_backend, check_prefix(self._get_param("ecrRepositoryPrefix")))
    return ActionResult({key: value for key, value in rule.items() if key not in ("updatedAt", "upstreamRegistry")})


def validate_pull_through_cache_rule(self) -> ActionResult:
    """Valid when its secret still exists (the emulator cannot reach an upstream registry)."""
    check_registry_id(self._get_param("registryId"), self.current_account)
    rule = _rule(self, self._get_param("ecrRepositoryPrefix"))
    result = {key: rule[key] for key in ("ecrRepositoryPrefix", "registryId", "upstreamRegistryUrl") if key in rule}
    result.update(
        {key: rule[key] for key in ("credentialArn", "customRoleArn", "upstreamRepositoryPrefix") if key in rule}
    )
    result["isValid"] = True
    if "credentialArn" in rule:
        try:
            find_secret(self, rule["credentialArn"])
        except Exception as failure:  # pylint: disable=broad-exception-caught  # reported, as ECR does
            result.update(isValid=False, failure=str(getattr(failure, "message", failure)))
    return ActionResult(result)
