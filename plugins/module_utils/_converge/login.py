# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Registry logins converged into the auth files: ``login`` (tokens only where needed) and ``logout``.

Plans with ``_models.login_plan``, fetches with ``_api.authorization_token`` (never in check mode), writes
with ``_models.auth_file`` (same path in check mode, which writes nothing). Results, diffs and warnings hold
hosts, paths and expiry times only, never a secret.
"""

import shutil
import time

from ansible_collections.dockyard.ecr.plugins.module_utils._api.authorization_token import fetch_token
from ansible_collections.dockyard.ecr.plugins.module_utils._models.auth_file import (
    HELPER,
    HELPER_BINARY,
    check_writable,
    option_for,
    read_all,
    remove_login,
    set_helper,
    set_token,
    update_auth_file,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.auth_token import (
    DEFAULT_MIN_VALIDITY,
    ECR_TOKEN_LIFETIME,
    ECR_USERNAME,
    fresh_token_expiry,
    iso8601,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.login_plan import (
    CHECK_MODE_AUTH,
    diff_view,
    file_warnings,
    has_login,
    logout_view,
    plan_logins,
    report_secret,
    username_of,
)


def login(
    registries,
    auth_files,
    client_for_region,
    min_validity=DEFAULT_MIN_VALIDITY,
    credential_helper=False,
    check_mode=False,
    now=None,
    on_secret=None,
    which=shutil.which,
):
    """Make every auth file hold a login for every registry; fetch tokens only where needed.

    ``registries``: resolved ``Registry`` tuples; ``auth_files``: ``AuthFile`` tuples;
    ``client_for_region(region)``: an ECR client, asked for only when a token must be fetched and
    never in check mode; ``on_secret(value)``: told every secret met before anything else happens
    with it. Returns ``{"changed", "registries", "diff", "warnings"}``; none of them holds a secret.
    """
    now = time.time() if now is None else now
    on_secret = on_secret or (lambda value: None)
    for auth_file in auth_files:
        check_writable(auth_file)  # before any token is fetched
    documents, caches = read_all(auth_files)
    hosts = [registry.host for registry in registries]
    before = diff_view(auth_files, documents, caches, hosts)
    plans = plan_logins(registries, auth_files, documents, caches, min_validity, credential_helper, now, on_secret)

    # One token per region, only for the registries no stored token can serve.
    tokens = {}
    for registry in registries:
        if credential_helper or plans[registry.host]["source"] is not None or registry.region in tokens:
            continue
        if check_mode:
            tokens[registry.region] = {"auth": CHECK_MODE_AUTH, "username": ECR_USERNAME, "expires_at": None}
            continue
        token = fetch_token(client_for_region(registry.region), registry.region)
        report_secret(on_secret, token["auth"])
        on_secret(token["password"])
        expires_at, expiry_source = fresh_token_expiry(token["expires_at"], now)
        tokens[registry.region] = {
            "auth": token["auth"],
            "username": token["username"],
            "expires_at": expires_at,
            "expiry_source": expiry_source,
        }

    logins, results = {}, []
    after_view = {path: dict(entries) for path, entries in before.items()}
    for registry in registries:
        plan = plans[registry.host]
        if credential_helper:
            chosen, reused = {"auth": None, "username": ECR_USERNAME, "expires_at": None}, not plan["needs"]
            entry = {"credential_helper": HELPER}
        elif plan["source"] is not None:
            chosen, reused = dict(plan["source"], username=username_of(plan["source"]["auth"])), True
            entry = {"token": True, "expires_at": iso8601(chosen["expires_at"])}
        else:
            chosen, reused = tokens[registry.region], False
            entry = {"token": True, "expires_at": iso8601(chosen["expires_at"])}
        logins[registry.host] = chosen
        for path in plan["needs"]:
            after_view[path][registry.host] = entry
        results.append(
            {
                "registry_id": registry.registry_id,
                "region": registry.region,
                "host": registry.host,
                "username": chosen["username"],
                "expires_at": iso8601(chosen["expires_at"]),
                "reused": reused,
                "credential_helper": bool(credential_helper),
                "changed": bool(plan["changes"]),
            }
        )

    changed = False
    warnings = []
    for auth_file in auth_files:
        wanted = [r.host for r in registries if auth_file.path in plans[r.host]["needs"]]

        def change(document, cache, wanted=wanted):
            for host in wanted:
                chosen = logins[host]
                if credential_helper:
                    set_helper(document, cache, host)
                else:
                    expires_at = chosen["expires_at"] if chosen["expires_at"] is not None else now + ECR_TOKEN_LIFETIME
                    set_token(document, cache, host, chosen["auth"], expires_at, chosen.get("expiry_source"))

        document = documents[auth_file.path]
        if wanted:
            file_changed, document = update_auth_file(
                auth_file.path, change, check_mode=check_mode, option=option_for(auth_file)
            )[::2]
            changed |= file_changed
        warnings.extend(file_warnings(auth_file, document, registries, credential_helper))

    if credential_helper and which(HELPER_BINARY) is None:
        warnings.append(
            f"credential_helper: {HELPER_BINARY} is not on PATH; docker and podman cannot log in to"
            f" {', '.join(hosts)} with it until it is installed (amazon-ecr-credential-helper)"
        )
    return {
        "changed": changed,
        "registries": results,
        "diff": {"before": before, "after": after_view},
        "warnings": warnings,
    }


def _logout_change(hosts, removed):
    """The edit of a logout; ``removed`` gets the keys removed that this module did not write."""

    def change(document, cache):
        del removed[:]  # the lock may show a newer document than the one read before
        for host in hosts:
            removed.extend(remove_login(document, cache, host))

    return change


def logout(registries, auth_files, check_mode=False):
    """Remove the registries' ``auths`` entries and ``ecr-login`` helper entries (and their expiry records).

    Every key form of a host goes (``HOST``, ``https://HOST``, ``http://HOST/``: what ``docker login`` wrote);
    an ``auths`` entry removed that this module did not write is named in the warnings. Other registries,
    other helpers (even for these hosts), ``credsStore`` and unknown keys stay.
    """
    documents, caches = read_all(auth_files)
    hosts = [registry.host for registry in registries]
    before = logout_view(auth_files, documents, caches, hosts)
    changed = False
    warnings = []
    after_documents = dict(documents)
    for auth_file in auth_files:
        if not any(has_login(documents[auth_file.path], host) for host in hosts):
            continue
        removed = []
        file_changed, after = update_auth_file(
            auth_file.path, _logout_change(hosts, removed), check_mode=check_mode, option=option_for(auth_file)
        )[::2]
        changed |= file_changed
        after_documents[auth_file.path] = after
        for key in removed:
            warnings.append(
                f"{auth_file.path}: {'would remove' if check_mode else 'removed'} the login for {key}, which"
                " dockyard.ecr.ecr_login did not write (docker login or podman login did); log in again with that"
                " tool if it was still needed"
            )
    after_view = logout_view(auth_files, after_documents, {}, hosts)
    results = [
        {
            "registry_id": registry.registry_id,
            "region": registry.region,
            "host": registry.host,
            "username": None,
            "expires_at": None,
            "reused": False,
            "credential_helper": False,
            "changed": any(has_login(documents[f.path], registry.host) for f in auth_files),
        }
        for registry in registries
    ]
    return {
        "changed": changed,
        "registries": results,
        "diff": {"before": before, "after": after_view},
        "warnings": warnings,
    }
