# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pull through cache rules, pure: the upstream registries ECR supports, validation, comparison.

From the Amazon ECR User Guide ("Sync an upstream registry with an Amazon ECR private registry"):
- Amazon ECR Public, the Kubernetes registry and Quay need no authentication;
- Docker Hub, Microsoft Azure Container Registry, GitHub Container Registry, GitLab Container Registry (the SaaS
  offering, registry.gitlab.com) and Chainguard need a Secrets Manager secret whose name starts with
  ``ecr-pullthroughcache/``, in the account and region of the rule;
- Amazon ECR (private, another region or account) authenticates with an IAM role, required when the upstream
  registry belongs to another account.
Only the credential and the role of a rule can be updated; another upstream means a new rule.
"""

import re

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import RegistrySettingsError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.options import STATES
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import validate_registry_id

NO_AUTH, SECRET, ROLE = "none", "secret", "role"
# ECR's name of the upstream registry (the API's UpstreamRegistry enum): (URL pattern, authentication, example).
UPSTREAMS = {
    "ecr-public": (re.compile(r"public\.ecr\.aws"), NO_AUTH, "public.ecr.aws"),
    "k8s": (re.compile(r"registry\.k8s\.io"), NO_AUTH, "registry.k8s.io"),
    "quay": (re.compile(r"quay\.io"), NO_AUTH, "quay.io"),
    "docker-hub": (re.compile(r"registry-1\.docker\.io"), SECRET, "registry-1.docker.io"),
    "github-container-registry": (re.compile(r"ghcr\.io"), SECRET, "ghcr.io"),
    "gitlab-container-registry": (re.compile(r"registry\.gitlab\.com"), SECRET, "registry.gitlab.com"),
    "azure-container-registry": (re.compile(r"[a-z0-9]+\.azurecr\.io"), SECRET, "NAME.azurecr.io"),
    "chainguard": (re.compile(r"cgr\.dev"), SECRET, "cgr.dev"),
    "ecr": (
        re.compile(r"(?P<account>[0-9]{12})\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?"),
        ROLE,
        "ACCOUNT.dkr.ecr.REGION.amazonaws.com",
    ),
}
# What users write for Docker Hub, which ECR wants as its registry host.
ALIASES = {"docker.io": "registry-1.docker.io", "index.docker.io": "registry-1.docker.io"}
# PullThroughCacheRuleRepositoryPrefix and CredentialArn in ECR's API model.
PREFIX_RE = re.compile(r"(?:[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*|ROOT)")
PREFIX_LENGTH = (2, 30)
CREDENTIAL_ARN_RE = re.compile(
    r"arn:aws(?:-\w+)*:secretsmanager:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):secret:"
    r"ecr-pullthroughcache/[a-zA-Z0-9/_+=.@-]+"
)
CREDENTIAL_ARN_LENGTH = (50, 612)
ROLE_ARN_RE = re.compile(r"arn:aws(?:-[a-z]+)*:iam::(?P<account>[0-9]{12}):role/[\w+=,.@/-]+")
ROLE_ARN_MAX = 2048

FIELDS = ("ecr_repository_prefix", "upstream_registry_url", "upstream_registry", "upstream_repository_prefix")


def _fail(option, message):
    raise RegistrySettingsError(message=f"{option}: {message}", option=option)


def supported_upstreams():
    """'name (host, auth)' for the messages."""
    needs = {NO_AUTH: "no credentials", SECRET: "credential_arn", ROLE: "custom_role_arn across accounts"}
    return "; ".join(f"{name} ({example}, {needs[auth]})" for name, (_p, auth, example) in UPSTREAMS.items())


def upstream_of(url):
    """(ECR's upstream name, the URL as ECR wants it, the match) for an upstream registry URL."""
    text = to_text(url if url is not None else "").strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text).rstrip("/")
    text = ALIASES.get(text, text)
    for name, (pattern, _auth, _example) in UPSTREAMS.items():
        match = pattern.fullmatch(text)
        if match:
            return name, text, match
    _fail(
        "upstream_registry_url",
        f"{text or '(empty)'!s} is not an upstream registry ECR can cache; ECR supports {supported_upstreams()}",
    )


def _prefix(value, option):
    text = to_text(value if value is not None else "").strip()
    if text != "ROOT":
        text = text.rstrip("/")
    low, high = PREFIX_LENGTH
    if not low <= len(text) <= high or not PREFIX_RE.fullmatch(text):
        _fail(
            option,
            f"{text or '(empty)'!s} is not a repository prefix; give {low} to {high} characters of a repository "
            "name in lower case (for example 'docker-hub' or 'cache/quay'), or ROOT",
        )
    return text


def validate_params(params, region=None):
    """``ecr_pull_through_cache``'s request, checked before any AWS call. ``region``: the module's region, which
    a credential's secret must be in."""
    state = params.get("state") or "present"
    if state not in STATES:
        _fail("state", f"{state!r} is not one of present, absent")
    registry_id = validate_registry_id(params.get("registry_id"), error=RegistrySettingsError)
    request = {
        "state": state,
        "registry_id": registry_id,
        "ecr_repository_prefix": _prefix(params.get("ecr_repository_prefix"), "ecr_repository_prefix"),
    }
    if state == "absent":
        return request
    if params.get("upstream_registry_url") is None:
        _fail("upstream_registry_url", f"required with state=present; ECR supports {supported_upstreams()}")
    upstream, url, match = upstream_of(params["upstream_registry_url"])
    auth = UPSTREAMS[upstream][1]
    upstream_prefix = params.get("upstream_repository_prefix")
    if upstream_prefix is not None:
        upstream_prefix = _prefix(upstream_prefix, "upstream_repository_prefix")
        if upstream != "ecr" and upstream_prefix != "ROOT":
            _fail(
                "upstream_repository_prefix",
                f"only an Amazon ECR upstream takes an upstream repository prefix, not {upstream}; leave it out",
            )
    if upstream == "ecr":
        upstream_prefix = upstream_prefix or "ROOT"
    else:
        upstream_prefix = None
    credential_arn = _credential(params.get("credential_arn"), upstream, auth, registry_id, region)
    custom_role_arn = _role(params.get("custom_role_arn"), upstream, registry_id, match)
    request.update(
        upstream_registry=upstream,
        upstream_registry_url=url,
        upstream_repository_prefix=upstream_prefix,
        credential_arn=credential_arn,
        custom_role_arn=custom_role_arn,
    )
    return request


def _credential(value, upstream, auth, registry_id, region):
    option = "credential_arn"
    if value is None:
        if auth == SECRET:
            _fail(
                option,
                f"{upstream} needs credentials: give the ARN of a Secrets Manager secret named "
                "ecr-pullthroughcache/NAME (with username and accessToken) in the rule's account and region",
            )
        return None
    text = to_text(value).strip()
    if auth != SECRET:
        _fail(option, f"{upstream} takes no Secrets Manager credential; leave credential_arn out")
    low, high = CREDENTIAL_ARN_LENGTH
    match = CREDENTIAL_ARN_RE.fullmatch(text)
    if not match or not low <= len(text) <= high:
        _fail(
            option,
            f"{text!r} is not the ARN of a Secrets Manager secret whose name starts with ecr-pullthroughcache/ "
            "(ECR requires that prefix); for example "
            "arn:aws:secretsmanager:REGION:ACCOUNT:secret:ecr-pullthroughcache/docker-hub-AbCdEf",
        )
    if registry_id and match.group("account") != registry_id:
        _fail(option, f"the secret is in account {match.group('account')}; it must be in the registry's, {registry_id}")
    if region and match.group("region") != region:
        _fail(option, f"the secret is in region {match.group('region')}; it must be in the rule's region, {region}")
    return text


def _role(value, upstream, registry_id, match):
    option = "custom_role_arn"
    if value is None:
        if upstream == "ecr" and registry_id and match.group("account") != registry_id:
            _fail(
                option,
                f"the upstream registry is in account {match.group('account')}, another account: give the ARN of an "
                f"IAM role in {registry_id} that ECR assumes to pull from it",
            )
        return None
    text = to_text(value).strip()
    if upstream != "ecr":
        _fail(option, f"only an Amazon ECR upstream authenticates with a role, not {upstream}; leave it out")
    role = ROLE_ARN_RE.fullmatch(text)
    if not role or len(text) > ROLE_ARN_MAX:
        _fail(option, f"{text!r} is not the ARN of an IAM role (arn:aws:iam::ACCOUNT:role/NAME)")
    if registry_id and role.group("account") != registry_id:
        _fail(option, f"the role is in account {role.group('account')}; it must be in the registry's, {registry_id}")
    return text


def from_api(rule):
    """A DescribePullThroughCacheRules rule in snake_case (None stays None)."""
    if rule is None:
        return None
    keys = (
        ("ecrRepositoryPrefix", "ecr_repository_prefix"),
        ("upstreamRegistryUrl", "upstream_registry_url"),
        ("upstreamRegistry", "upstream_registry"),
        ("upstreamRepositoryPrefix", "upstream_repository_prefix"),
        ("credentialArn", "credential_arn"),
        ("customRoleArn", "custom_role_arn"),
        ("registryId", "registry_id"),
    )
    result = {snake: rule.get(camel) for camel, snake in keys}
    for camel, snake in (("createdAt", "created_at"), ("updatedAt", "updated_at")):
        if rule.get(camel) is not None:
            result[snake] = rule[camel].isoformat() if hasattr(rule[camel], "isoformat") else str(rule[camel])
    return result


def plan(request, current):
    """What to do: ("none" | "create" | "update" | "delete", the rule after, the update's changes).

    ``current`` is the rule in snake_case (None: no rule). A rule with another upstream cannot be updated: the
    request fails (``upstream_registry_url``) rather than deleting a rule the caches depend on."""
    if request["state"] == "absent":
        return ("delete", None, {}) if current else ("none", None, {})
    wanted = {key: request[key] for key in ("ecr_repository_prefix", "upstream_registry", "upstream_registry_url")}
    wanted["upstream_repository_prefix"] = request["upstream_repository_prefix"]
    wanted["credential_arn"] = request["credential_arn"]
    wanted["custom_role_arn"] = request["custom_role_arn"]
    if current is None:
        return "create", wanted, {}
    for key in ("upstream_registry_url", "upstream_repository_prefix"):
        if (current.get(key) or None) != (wanted[key] or None) and not (
            key == "upstream_repository_prefix" and wanted[key] is None
        ):
            _fail(
                "upstream_registry_url" if key == "upstream_registry_url" else key,
                f"the rule for prefix {request['ecr_repository_prefix']!r} caches {current.get('upstream_registry_url')}"
                f" (upstream prefix {current.get('upstream_repository_prefix') or 'none'}); ECR cannot change a rule's "
                "upstream. Remove the rule first (state=absent) or use another ecr_repository_prefix",
            )
    changes = {
        key: wanted[key]
        for key in ("credential_arn", "custom_role_arn")
        if wanted[key] is not None and wanted[key] != current.get(key)
    }
    after = dict(current, **changes)
    return ("update" if changes else "none"), after, changes
