# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Login planning, pure: which registries (account, region, host), and per host which auth files need a
write and which stored token can serve them (none: fetch one).

A registry whose stored token stays valid for at least ``min_validity`` seconds is left alone, without any
``GetAuthorizationToken`` call. One call per region is enough for all registries in it: the token is valid
for every registry the caller may access. Secrets met on the way go to ``on_secret`` (``module.no_log_values.add``).
"""

import difflib
from collections import namedtuple

from ansible_collections.dockyard.ecr.plugins.module_utils._common import partitions
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import AuthError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.registry import registry_host_for
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import (
    validate_region,
    validate_registry_host,
    validate_registry_id,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.auth_file import (
    HELPER,
    describe,
    login_keys,
    section_of,
    stored_login,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.auth_token import split_auth

Registry = namedtuple("Registry", ["registry_id", "region", "host"])

# Stands for the token a real run would fetch, in check mode only; never written anywhere.
CHECK_MODE_AUTH = "check-mode: a new token would be fetched"


def region_warnings(registries, known=None):
    """A warning per region botocore does not know (a typo such as ``eu-wset-1``, or a region newer than botocore).

    Not a refusal: botocore's list lags behind new regions. Close known names are suggested.
    """
    known = partitions.known_regions() if known is None else set(known)
    if not known:
        return []
    warnings, seen = [], set()
    for registry in registries:
        region = registry.region
        if region in known or region in seen:
            continue
        seen.add(region)
        close = difflib.get_close_matches(region, sorted(known), n=1, cutoff=0.8)
        hint = f"did you mean {close[0]!r}? " if close else ""
        warnings.append(
            f"region: {region!r} is not a region this botocore knows; {hint}check the spelling (the calls and the"
            " registry host name use it), or update botocore if the region is new"
        )
    return warnings


def helper_host_problem(host, registry_id, region):
    """Why docker-credential-ecr-login cannot serve ``host`` for this registry; None when it can.

    The helper finds the account and region in the host name and serves only ECR's own registry host
    names (``ACCOUNT.dkr.ecr[-fips].REGION.SUFFIX``, any partition); a VPC endpoint alias, a proxy or a
    ``HOST:PORT`` gets "not an ECR registry" from it. ``registry_id`` None: not known yet (the caller's).
    """
    match = partitions.registry_host_re().match(host)
    if match is None:
        return (
            f"{host!r} is not an ECR registry host name (ACCOUNT.dkr.ecr.REGION.amazonaws.com), and"
            " docker-credential-ecr-login serves only those; log in to that host with a token (credential_helper:"
            " false), or drop host to send the registry's own ECR host name to the helper"
        )
    if match["region"] != region or (registry_id is not None and match["account"] != registry_id):
        return (
            f"{host!r} is the registry of account {match['account']} in {match['region']}, but this entry is"
            f" account {registry_id or '(the caller)'} in {region}; the helper would log in to the host's registry:"
            " fix host, or drop it"
        )
    return None


def check_helper_hosts(registries, credential_helper, wheres=None):
    """With ``credential_helper``, refuse a ``host`` the helper cannot serve (see ``helper_host_problem``)."""
    if not credential_helper:
        return
    for index, registry in enumerate(registries):
        where = wheres[index] if wheres else f"registries[{index}]"
        problem = registry.host and helper_host_problem(registry.host, registry.registry_id, registry.region)
        if problem:
            raise AuthError(message=f"{where}.host: {problem}", option=f"{where}.host")


def validate_registries(registries=None, registry_ids=None, default_region=None, credential_helper=False):
    """Check ``registries``/``registry_ids`` and fill in regions; no AWS call.

    Returns a list of ``Registry`` whose ``registry_id`` is None where the caller's account is meant
    and whose ``host`` is None where ECR's own host name is meant (``resolve_registries`` fills both).
    With neither option: the caller's account in the default region.
    """
    if registries and registry_ids:
        raise AuthError(
            message="registries and registry_ids are alternatives: put every registry in registries",
            option="registries",
        )
    if registry_ids:
        specs = [(f"registry_ids[{index}]", {"registry_id": item}) for index, item in enumerate(registry_ids)]
        id_option = "{0}"
    else:
        specs = [(f"registries[{index}]", item or {}) for index, item in enumerate(registries or [{}])]
        id_option = "{0}.registry_id"
    result = []
    for where, spec in specs:
        if not isinstance(spec, dict):
            raise AuthError(message=f"{where}: expected a dict with registry_id, region and host", option=where)
        registry_id = validate_registry_id(spec.get("registry_id"), id_option.format(where), error=AuthError)
        region = spec.get("region") or default_region
        if not region:
            raise AuthError(
                message=(
                    f"{where}.region: no region for this registry; set region on the module (or AWS_REGION) or give"
                    f" {where}.region"
                ),
                option="region",
            )
        region = validate_region(region, f"{where}.region" if spec.get("region") else "region", error=AuthError)
        host = validate_registry_host(spec.get("host"), f"{where}.host", error=AuthError)
        result.append(Registry(registry_id, region, host))
    check_helper_hosts(result, credential_helper, [where for where, _spec in specs])
    return result


def resolve_registries(registries, caller_account, credential_helper=False):
    """Fill in the caller's account (``caller_account(region)``, called once and only if needed) and the hosts.

    Duplicates (same host, same account and region) are merged; one host given to two different
    registries is refused; with ``credential_helper``, a host of another account than the caller's too.
    """

    account = None
    resolved = []
    seen = {}
    for index, registry in enumerate(registries):
        registry_id = registry.registry_id
        if registry_id is None:
            if account is None:
                account = caller_account(registry.region)
            registry_id = account
            if credential_helper and registry.host:  # the host's account must be the caller's
                check_helper_hosts(
                    [Registry(registry_id, registry.region, registry.host)], True, [f"registries[{index}]"]
                )
        host = registry.host or registry_host_for(registry_id, registry.region)
        item = Registry(registry_id, registry.region, host)
        if host in seen:
            if seen[host] != item:
                raise AuthError(
                    message=(
                        f"registries[{index}]: host {host} is already used for account {seen[host].registry_id} in"
                        f" {seen[host].region}; one host can hold one registry's login"
                    ),
                    option="registries",
                )
            continue
        seen[host] = item
        resolved.append(item)
    return resolved


def diff_view(auth_files, documents, caches, hosts):
    view = {}
    for auth_file in auth_files:
        entries = {}
        for host in hosts:
            entry = describe(documents.get(auth_file.path), caches.get(auth_file.path), host)
            if entry is not None:
                entries[host] = entry
        view[auth_file.path] = entries
    return view


def username_of(auth):
    parts = split_auth(auth)
    return parts[0] if parts else None


def report_secret(on_secret, auth):
    """Tell ``on_secret`` an ``auth`` value and the password inside it (long enough to be worth masking)."""
    values = [auth]
    parts = split_auth(auth)
    if parts:
        values.append(parts[1])
    for value in values:
        if value and len(value) >= 8:
            on_secret(value)


def plan_logins(registries, auth_files, documents, caches, min_validity, credential_helper, now, on_secret):
    """Per host: the files that need a write and the stored login that can serve them (None: fetch one)."""
    plans = {}
    for registry in registries:
        host = registry.host
        logins = {f.path: stored_login(documents[f.path], caches[f.path], host) for f in auth_files}
        for stored in logins.values():
            if stored["auth"]:
                report_secret(on_secret, stored["auth"])
        if credential_helper:
            needs = [path for path, s in logins.items() if s["helper"] != HELPER or s["auth"] is not None]
            plans[host] = {"needs": needs, "source": None, "changes": needs}
            continue
        usable = {
            path: s
            for path, s in logins.items()
            if s["auth"] and s["expires_at"] is not None and s["expires_at"] - now >= min_validity
        }
        # A file whose token is usable but which also sends the host to ecr-login still needs a write.
        needs = [path for path, s in logins.items() if path not in usable or s["helper"] == HELPER]
        source = max(usable.values(), key=lambda s: s["expires_at"]) if usable else None
        # A file that already holds the token being reused only gets its expiry recorded: no change.
        changes = [
            path
            for path in needs
            if source is None or logins[path]["auth"] != source["auth"] or logins[path]["helper"] == HELPER
        ]
        plans[host] = {"needs": needs, "source": source, "changes": changes}
    return plans


def file_warnings(auth_file, document, registries, credential_helper):
    """Settings in a file that would stop its readers from using the login just written."""
    if not document or credential_helper:
        return []
    warnings = []
    store = document.get("credsStore")
    if auth_file.kind == "docker" and isinstance(store, str) and store:
        warnings.append(
            f"{auth_file.path} sets credsStore {store!r}: the docker CLI asks docker-credential-{store} for every"
            " registry without a credHelpers entry and ignores the tokens in auths; set credential_helper: true,"
            " or remove credsStore (podman ignores it)"
        )
    helpers = section_of(document, "credHelpers") or {}
    for registry in registries:
        helper = helpers.get(registry.host)
        if isinstance(helper, str) and helper != HELPER:
            warnings.append(
                f"{auth_file.path}: credHelpers sends {registry.host} to docker-credential-{helper}, which takes"
                " precedence over the token written to auths; remove that entry or set credential_helper: true"
            )
    return warnings


def has_login(document, host):
    """Whether ``document`` holds a login for ``host`` that a logout removes (any key form, see ``login_keys``)."""
    return bool(login_keys(document, host))


def logout_view(auth_files, documents, caches, hosts):
    """The diff view of a logout: every key a logout of ``hosts`` removes (``https://HOST`` forms too)."""
    view = {}
    for auth_file in auth_files:
        document, entries = documents.get(auth_file.path), {}
        for host in hosts:
            for key in login_keys(document, host):
                entry = describe(document, caches.get(auth_file.path), key)
                if entry is not None:
                    entries[key] = entry
        view[auth_file.path] = entries
    return view
