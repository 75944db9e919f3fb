# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ECR registry logins written straight into the docker and podman auth files.

Pure Python (no module object), so ``ecr_login`` and later the ``publish`` role can share it:

- **tokens**: ``GetAuthorizationToken`` gives ``base64("AWS:" + password)``. A real ECR password is
  itself base64 JSON (``{"payload": ..., "datakey": ..., "version": "2", "type": "DATA_KEY",
  "expiration": EPOCH}``); that ``expiration`` is undocumented, so it is only a fallback when the
  expiry of a *stored* token is not known otherwise. A fresh token's expiry is the response's
  ``expiresAt``; when that is already past (moto answers 2015), ECR's documented 12 hours from now
  is recorded instead (``expiry_source: assumed`` in the expiry cache).
- **auth files**: docker's ``config.json`` and containers' ``auth.json`` share the ``auths`` /
  ``credHelpers`` shape. Only the entries of the registries asked for are touched; every other key
  is kept as it was. Writes are atomic (temporary file in the same directory, fsync, rename) with
  mode 0600; new parent directories get 0700. Read-merge-write runs under ``flock`` on a sidecar
  ``FILE.lock`` (the rename replaces the file, so the file itself cannot carry the lock).
- **expiry cache**: ``FILE.dockyard-ecr.json`` next to each auth file (mode 0600, guarded by the
  same lock), one entry per registry host: expiry, where it came from and the sha256 of the
  ``auth`` value it describes, so an entry rewritten by someone else is recognised. No secret.
- **reuse**: a registry whose stored token stays valid for at least ``min_validity`` seconds is
  left alone, without any ``GetAuthorizationToken`` call. One call per region is enough for all
  registries in it: the token is valid for every registry the caller may access (``registryIds``
  only changes the proxy endpoint in the answer, so it is not sent).

Secrets (token, password, ``auth`` values) never leave this file except into the auth files and
the ``on_secret`` callback (``module.no_log_values.add``); results, diffs and warnings hold hosts,
paths and expiry times only.
"""

import base64
import binascii
import contextlib
import copy
import datetime
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections import namedtuple

from ansible_collections.dockyard.ecr.plugins.module_utils.ecr import (
    ECRError,
    registry_host_for,
    translate_errors,
    validate_registry_host,
)

ECR_USERNAME = "AWS"
ECR_TOKEN_LIFETIME = 12 * 3600  # seconds; "The authorization token is valid for 12 hours"
DEFAULT_MIN_VALIDITY = 3600
HELPER = "ecr-login"  # credHelpers value: the program is docker-credential-ecr-login
HELPER_BINARY = "docker-credential-" + HELPER
AUTH_FILE_KINDS = ("docker", "podman")
LOCK_SUFFIX = ".lock"
CACHE_SUFFIX = ".dockyard-ecr.json"
CACHE_VERSION = 1
FILE_MODE = 0o600
DIR_MODE = 0o700
# Keys of an ``auths`` entry that carry credentials. Writing a token replaces all of them: an
# ``identitytoken`` left behind would be used instead of the token.
CREDENTIAL_KEYS = ("auth", "username", "password", "identitytoken", "registrytoken")
REGISTRY_ID_RE = re.compile(r"^[0-9]{12}$")
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
_DURATION_PART_RE = re.compile(r"([0-9]+)([dhms])")
_DURATION_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
# Registry domains outside the aws partition (ACCOUNT.dkr.ecr.REGION.DOMAIN).
_PARTITION_DOMAINS = (
    ("cn-", "amazonaws.com.cn"),
    ("us-isob-", "sc2s.sgov.gov"),
    ("us-iso-", "c2s.ic.gov"),
)

Registry = namedtuple("Registry", ["registry_id", "region", "host"])
AuthFile = namedtuple("AuthFile", ["kind", "path"])


class AuthError(ECRError):
    """A login that cannot be carried out; the message names the option or the file and the fix."""


# ---------------------------------------------------------------------------------------------
# Durations, times
# ---------------------------------------------------------------------------------------------


def parse_duration(value, option="min_validity"):
    """Seconds from an int (``3600``) or a duration string (``"3600"``, ``"90s"``, ``"30m"``, ``"1h30m"``, ``"1d"``)."""
    if isinstance(value, bool):
        value = None  # True/False are ints in Python, not durations
    elif isinstance(value, int):
        if value >= 0:
            return value
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if text.isdigit():
            return int(text)
        if text and _DURATION_PART_RE.sub("", text) == "":
            units = [match[1] for match in _DURATION_PART_RE.findall(text)]
            if len(set(units)) == len(units):
                return sum(int(number) * _DURATION_UNITS[unit] for number, unit in _DURATION_PART_RE.findall(text))
    raise AuthError(
        message=(
            f"{option}: {value!r} is not a duration; give seconds as a number (3600) or a string of numbers with units"
            " d, h, m, s ('1h', '30m', '1h30m')"
        ),
        option=option,
    )


def validate_min_validity(value, option="min_validity"):
    """``min_validity`` in seconds: a duration shorter than ECR's 12-hour token lifetime."""
    seconds = parse_duration(value, option)
    if seconds >= ECR_TOKEN_LIFETIME:
        raise AuthError(
            message=(
                f"{option}: {value!r} is {seconds} seconds, but an ECR token is valid for 12 hours, so every run would"
                " fetch a new one; give less than 12h (the default is 1h)"
            ),
            option=option,
        )
    return seconds


def iso8601(epoch):
    """``2026-11-23T12:00:00Z`` for an epoch; None stays None."""
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _epoch(value):
    """Seconds since the epoch from a datetime (botocore's expiresAt) or a number; None when neither."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return int(value.timestamp())
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    return None


def fresh_token_expiry(expires_at, now):
    """``(epoch, source)`` for a token just issued: the response's expiresAt, or 12 hours from now.

    ECR documents a 12-hour token. A response whose ``expiresAt`` is missing or already past (moto
    always answers 2015-01-01) cannot be right for a token issued a moment ago, so the documented
    lifetime is recorded instead, marked ``assumed``.
    """
    epoch = _epoch(expires_at)
    if epoch is not None and epoch > now:
        return epoch, "response"
    return int(now) + ECR_TOKEN_LIFETIME, "assumed"


# ---------------------------------------------------------------------------------------------
# Tokens (pure)
# ---------------------------------------------------------------------------------------------


def _b64decode_loose(text):
    """Bytes from standard or URL-safe base64, padded or not; None when ``text`` is not base64."""
    if not isinstance(text, str) or not text:
        return None
    compact = "".join(text.split())
    compact += "=" * (-len(compact) % 4)
    altchars = b"-_" if ("-" in compact or "_" in compact) else None
    try:
        return base64.b64decode(compact.encode("ascii"), altchars=altchars, validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None


def split_auth(auth):
    """``(username, password)`` from an ``auth`` value / authorization token, or None when it is not one."""
    raw = _b64decode_loose(auth)
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    username, sep, password = text.partition(":")
    if not sep or not username or not password:
        return None
    return username, password


def decode_authorization_token(token):
    """``(username, password)`` from GetAuthorizationToken's ``authorizationToken``; AuthError when malformed."""
    parts = split_auth(token)
    if parts is None:
        # Never put the token itself in the message.
        raise AuthError(message="Failed to read the ECR authorization token: it is not base64 of 'user:password'")
    return parts


def make_auth(username, password):
    """The ``auth`` value docker and podman store: ``base64("user:password")``."""
    return base64.b64encode(f"{username}:{password}".encode("utf-8")).decode("ascii")


def password_expiry(password):
    """The ``expiration`` epoch a real ECR password carries (base64 JSON), or None for any other shape.

    Undocumented by AWS, so only used for stored tokens whose expiry the cache does not know.
    Milliseconds are recognised and converted.
    """
    raw = _b64decode_loose(password)
    if raw is None:
        return None
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(document, dict):
        return None
    expiration = document.get("expiration")
    if isinstance(expiration, str) and expiration.strip().isdigit():
        expiration = int(expiration.strip())
    if isinstance(expiration, bool) or not isinstance(expiration, (int, float)) or expiration <= 0:
        return None
    if expiration > 10**11:  # milliseconds
        expiration = expiration / 1000
    return int(expiration)


def auth_expiry(auth):
    """The expiry embedded in a stored ``auth`` value (see ``password_expiry``), or None."""
    parts = split_auth(auth)
    return password_expiry(parts[1]) if parts else None


def fingerprint(auth):
    """sha256 of an ``auth`` value: what the expiry cache keeps to recognise the entry it describes."""
    return hashlib.sha256(auth.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------
# Registries: validation (no AWS call) and resolution
# ---------------------------------------------------------------------------------------------


def registry_domain(region):
    """``amazonaws.com``, or the domain of the partition the region belongs to."""
    for prefix, domain in _PARTITION_DOMAINS:
        if region.startswith(prefix):
            return domain
    return "amazonaws.com"


def _validate_registry_id(registry_id, option):
    if registry_id is None:
        return None
    registry_id = str(registry_id).strip()
    if not REGISTRY_ID_RE.match(registry_id):
        raise AuthError(
            message=f"{option}: {registry_id!r} is not an AWS account ID; give the registry's 12-digit account ID",
            option=option,
        )
    return registry_id


def _validate_region(region, option):
    if not REGION_RE.match(region):
        raise AuthError(
            message=f"{option}: {region!r} is not an AWS region; give one like 'eu-west-1'",
            option=option,
        )
    return region


def _validate_host(host, option):
    try:
        return validate_registry_host(host)
    except ECRError as e:
        message = e.message.replace("registry_host:", f"{option}:", 1)
        raise AuthError(message=message, option=option) from e


def validate_registries(registries=None, registry_ids=None, default_region=None):
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
        registry_id = _validate_registry_id(spec.get("registry_id"), id_option.format(where))
        region = spec.get("region") or default_region
        if not region:
            raise AuthError(
                message=(
                    f"{where}.region: no region for this registry; set region on the module (or AWS_REGION) or give"
                    f" {where}.region"
                ),
                option="region",
            )
        region = _validate_region(region, f"{where}.region" if spec.get("region") else "region")
        host = _validate_host(spec.get("host"), f"{where}.host")
        result.append(Registry(registry_id, region, host))
    return result


def resolve_registries(registries, caller_account):
    """Fill in the caller's account (``caller_account(region)``, called once and only if needed) and the hosts.

    Duplicates (same host, same account and region) are merged; one host given to two different
    registries is refused.
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
        host = registry.host or registry_host_for(registry_id, registry.region, suffix=registry_domain(registry.region))
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


# ---------------------------------------------------------------------------------------------
# Auth file locations
# ---------------------------------------------------------------------------------------------


def default_docker_config(environ=None):
    """``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json`` (where the docker CLI reads)."""
    environ = os.environ if environ is None else environ
    directory = environ.get("DOCKER_CONFIG")
    if directory:
        return os.path.join(os.path.expanduser(directory), "config.json")
    home = environ.get("HOME") or os.path.expanduser("~")
    return os.path.join(home, ".docker", "config.json")


def default_podman_auth_file(environ=None, uid=None, platform=None):
    """Where podman, buildah and skopeo read and write logins (containers-auth.json(5)).

    ``$REGISTRY_AUTH_FILE``; else ``$XDG_RUNTIME_DIR/containers/auth.json``; else, on Linux,
    ``/run/containers/UID/auth.json`` (containers/image's default when XDG_RUNTIME_DIR is unset);
    on macOS and Windows ``~/.config/containers/auth.json``.
    """
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if environ.get("REGISTRY_AUTH_FILE"):
        return os.path.expanduser(environ["REGISTRY_AUTH_FILE"])
    if platform.startswith(("darwin", "win")):
        home = environ.get("HOME") or os.path.expanduser("~")
        return os.path.join(home, ".config", "containers", "auth.json")
    if environ.get("XDG_RUNTIME_DIR"):
        return os.path.join(environ["XDG_RUNTIME_DIR"], "containers", "auth.json")
    uid = os.getuid() if uid is None else uid
    return f"/run/containers/{uid}/auth.json"


def resolve_auth_files(kinds, docker_config=None, podman_auth_file=None, environ=None):
    """The files to write, as ``AuthFile(kind, absolute path)``; one entry per real file.

    ``docker_config`` may name the file or the directory holding ``config.json``. A path option for
    a kind not in ``kinds`` is refused, so a path is never silently ignored.
    """
    kinds = list(kinds or [])
    if not kinds:
        raise AuthError(message="auth_files: name at least one of docker, podman", option="auth_files")
    for kind in kinds:
        if kind not in AUTH_FILE_KINDS:
            raise AuthError(
                message=f"auth_files: {kind!r} is not one of {', '.join(AUTH_FILE_KINDS)}", option="auth_files"
            )
    for option, kind, value in (
        ("docker_config", "docker", docker_config),
        ("podman_auth_file", "podman", podman_auth_file),
    ):
        if value and kind not in kinds:
            raise AuthError(
                message=f"{option} is set but auth_files does not include {kind}; add {kind} to auth_files or drop {option}",
                option=option,
            )
    files = []
    seen = set()
    for kind in AUTH_FILE_KINDS:
        if kind not in kinds:
            continue
        if kind == "docker":
            path = os.path.expanduser(docker_config) if docker_config else default_docker_config(environ)
            if os.path.isdir(path):
                path = os.path.join(path, "config.json")
        else:
            path = os.path.expanduser(podman_auth_file) if podman_auth_file else default_podman_auth_file(environ)
        path = os.path.abspath(path)
        # Write through a symlinked file (dotfile managers) rather than replacing the link.
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        files.append(AuthFile(kind, real))
    return files


# ---------------------------------------------------------------------------------------------
# Files: read, lock, atomic write
# ---------------------------------------------------------------------------------------------


def lock_path(path):
    return path + LOCK_SUFFIX


def cache_path(path):
    return path + CACHE_SUFFIX


def read_json_object(path, what="auth file"):
    """The JSON object in ``path``; None when the file does not exist; AuthError when it is not an object."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as e:
        if e.errno == errno.ENOENT:
            return None
        raise AuthError(message=f"Failed to read {what} {path}: {e.strerror}") from e
    if not raw.strip():
        return {}
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        # The position only: the file holds secrets, so quote none of it.
        raise AuthError(
            message=f"{what} {path} is not valid JSON ({type(e).__name__} at {getattr(e, 'pos', '?')}); fix or remove it"
        ) from e
    if not isinstance(document, dict):
        raise AuthError(
            message=f"{what} {path} holds a JSON {type(document).__name__}, not an object; fix or remove it"
        )
    return document


def ensure_parent(path):
    """Create the missing parent directories of ``path`` with mode 0700 (existing ones are left alone)."""
    parent = os.path.dirname(path)
    missing = []
    while parent and not os.path.isdir(parent):
        missing.append(parent)
        parent = os.path.dirname(parent)
    for directory in reversed(missing):
        try:
            os.mkdir(directory, DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(directory, DIR_MODE)  # mkdir's mode is filtered by the umask


def serialize(document):
    """The bytes written: tab-indented like ``docker login`` and ``podman login``, keys in their order."""
    return (json.dumps(document, indent="\t", ensure_ascii=False) + "\n").encode("utf-8")


def atomic_write(path, data, mode=FILE_MODE):
    """Write ``data`` to ``path`` through a temporary file in the same directory, fsync, rename."""
    ensure_parent(path)
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@contextlib.contextmanager
def locked(path):
    """Hold an exclusive ``flock`` on ``path.lock`` (created 0600) for the ``with`` block."""
    ensure_parent(path)
    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _empty_cache(path):
    return {"version": CACHE_VERSION, "auth_file": path, "registries": {}}


def read_cache(path):
    """The expiry cache of the auth file ``path``; an unreadable or foreign cache counts as empty."""
    try:
        cache = read_json_object(cache_path(path), "expiry cache")
    except AuthError:
        cache = None
    if not cache or cache.get("version") != CACHE_VERSION or not isinstance(cache.get("registries"), dict):
        return _empty_cache(path)
    return cache


def update_auth_file(path, change, check_mode=False):
    """Read ``path`` and its expiry cache, let ``change(document, cache)`` edit them, write what changed.

    Under the lock in a real run, so concurrent writers of the same file (forks logging in to
    different accounts) each merge into the latest content and no entry is lost. In check mode
    nothing is locked or written. Returns ``(changed, before, after)``: whether the auth file
    changes, and its documents (``before`` is None when the file does not exist).
    """
    context = contextlib.nullcontext() if check_mode else locked(path)
    with context:
        before = read_json_object(path)
        cache_before = read_cache(path)
        document = copy.deepcopy(before) if before is not None else {}
        cache = copy.deepcopy(cache_before)
        change(document, cache)
        if before is None and not document:
            return False, None, None  # nothing to write into a file that does not exist
        changed = document != before
        if not check_mode:
            if changed:
                atomic_write(path, serialize(document))
            if cache != cache_before:
                if cache["registries"]:
                    atomic_write(cache_path(path), serialize(cache))
                else:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(cache_path(path))
        return changed, before, document


# ---------------------------------------------------------------------------------------------
# Entries: read and change one registry's login in a document (pure)
# ---------------------------------------------------------------------------------------------


def _section(document, key):
    value = document.get(key)
    return value if isinstance(value, dict) else None


def stored_login(document, cache, host):
    """What a document holds for ``host``: token, expiry (cache first, then the token) and helper.

    ``{"auth", "expires_at", "expiry_source", "helper"}`` with None where absent or unknown.
    """
    auths = _section(document or {}, "auths") or {}
    helpers = _section(document or {}, "credHelpers") or {}
    entry = auths.get(host)
    auth = entry.get("auth") if isinstance(entry, dict) else None
    auth = auth if isinstance(auth, str) and auth else None
    expires_at = expiry_source = None
    if auth is not None:
        cached = (cache or {}).get("registries", {}).get(host)
        if isinstance(cached, dict) and cached.get("auth_sha256") == fingerprint(auth):
            expires_at = _epoch(cached.get("expires_at"))
            expiry_source = cached.get("expiry_source") if expires_at is not None else None
        if expires_at is None:
            expires_at = auth_expiry(auth)
            expiry_source = "token" if expires_at is not None else None
    helper = helpers.get(host)
    return {
        "auth": auth,
        "expires_at": expires_at,
        "expiry_source": expiry_source,
        "helper": helper if isinstance(helper, str) else None,
    }


def set_token(document, cache, host, auth, expires_at, expiry_source):
    """Store ``auth`` for ``host`` (keeping non-credential keys of its entry) and record its expiry.

    Removes an ``ecr-login`` credHelpers entry for the host (it would take precedence); any other
    helper is left alone (the caller warns).
    """
    auths = document.get("auths")
    if not isinstance(auths, dict):
        auths = document["auths"] = {}
    entry = auths.get(host) if isinstance(auths.get(host), dict) else {}
    updated = {k: (auth if k == "auth" else v) for k, v in entry.items() if k == "auth" or k not in CREDENTIAL_KEYS}
    updated.setdefault("auth", auth)
    auths[host] = updated
    _drop_helper(document, host)
    cache["registries"][host] = {
        "expires_at": int(expires_at),
        "expires": iso8601(expires_at),
        "expiry_source": expiry_source,
        "auth_sha256": fingerprint(auth),
    }


def set_helper(document, cache, host):
    """Send ``host`` to docker-credential-ecr-login (``credHelpers``) and drop its stored token."""
    helpers = document.get("credHelpers")
    if not isinstance(helpers, dict):
        helpers = document["credHelpers"] = {}
    helpers[host] = HELPER
    auths = _section(document, "auths")
    if auths is not None:
        auths.pop(host, None)
    cache["registries"].pop(host, None)


def remove_login(document, cache, host):
    """Remove ``host``'s ``auths`` entry and its ``ecr-login`` helper entry; nothing else."""
    auths = _section(document, "auths")
    if auths is not None:
        auths.pop(host, None)
    _drop_helper(document, host)
    cache["registries"].pop(host, None)


def _drop_helper(document, host):
    helpers = _section(document, "credHelpers")
    if helpers is not None and helpers.get(host) == HELPER:
        del helpers[host]
        if not helpers:
            del document["credHelpers"]


def describe(document, cache, host):
    """The diff view of ``host`` in a document: no secrets, None when there is no login."""
    login = stored_login(document, cache, host)
    if login["helper"] is not None:
        return {"credential_helper": login["helper"]}
    if login["auth"] is not None:
        return {"token": True, "expires_at": iso8601(login["expires_at"])}
    return None


# ---------------------------------------------------------------------------------------------
# Tokens from ECR
# ---------------------------------------------------------------------------------------------


def fetch_token(client, region):
    """One GetAuthorizationToken call (no registryIds: the token serves every registry the caller may use).

    Returns ``{"auth", "username", "password", "expires_at"}`` with expires_at as the response gave it.
    """
    with translate_errors(f"get an ECR authorization token in {region}"):
        response = client.get_authorization_token(aws_retry=True)
    data = response.get("authorizationData") or []
    if not data or not data[0].get("authorizationToken"):
        raise AuthError(message=f"Failed to get an ECR authorization token in {region}: the response holds none")
    token = data[0]["authorizationToken"]
    username, password = decode_authorization_token(token)
    return {"auth": token, "username": username, "password": password, "expires_at": data[0].get("expiresAt")}


# ---------------------------------------------------------------------------------------------
# Login and logout
# ---------------------------------------------------------------------------------------------


def _read_all(auth_files):
    documents, caches = {}, {}
    for auth_file in auth_files:
        documents[auth_file.path] = read_json_object(auth_file.path)
        caches[auth_file.path] = read_cache(auth_file.path)
    return documents, caches


def _diff_view(auth_files, documents, caches, hosts):
    view = {}
    for auth_file in auth_files:
        entries = {}
        for host in hosts:
            entry = describe(documents.get(auth_file.path), caches.get(auth_file.path), host)
            if entry is not None:
                entries[host] = entry
        view[auth_file.path] = entries
    return view


def _username(auth):
    parts = split_auth(auth)
    return parts[0] if parts else None


def _report_secret(on_secret, auth):
    """Tell ``on_secret`` an ``auth`` value and the password inside it (long enough to be worth masking)."""
    values = [auth]
    parts = split_auth(auth)
    if parts:
        values.append(parts[1])
    for value in values:
        if value and len(value) >= 8:
            on_secret(value)


# Stands for the token a real run would fetch, in check mode only; never written anywhere.
_CHECK_MODE_AUTH = "check-mode: a new token would be fetched"


def _plan(registries, auth_files, documents, caches, min_validity, credential_helper, now, on_secret):
    """Per host: the files that need a write and the stored login that can serve them (None: fetch one)."""
    plans = {}
    for registry in registries:
        host = registry.host
        logins = {f.path: stored_login(documents[f.path], caches[f.path], host) for f in auth_files}
        for stored in logins.values():
            if stored["auth"]:
                _report_secret(on_secret, stored["auth"])
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
    documents, caches = _read_all(auth_files)
    hosts = [registry.host for registry in registries]
    before = _diff_view(auth_files, documents, caches, hosts)
    plans = _plan(registries, auth_files, documents, caches, min_validity, credential_helper, now, on_secret)

    # One token per region, only for the registries no stored token can serve.
    tokens = {}
    for registry in registries:
        if credential_helper or plans[registry.host]["source"] is not None or registry.region in tokens:
            continue
        if check_mode:
            tokens[registry.region] = {"auth": _CHECK_MODE_AUTH, "username": ECR_USERNAME, "expires_at": None}
            continue
        token = fetch_token(client_for_region(registry.region), registry.region)
        _report_secret(on_secret, token["auth"])
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
            chosen, reused = dict(plan["source"], username=_username(plan["source"]["auth"])), True
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
            file_changed, document = update_auth_file(auth_file.path, change, check_mode=check_mode)[::2]
            changed |= file_changed
        warnings.extend(_file_warnings(auth_file, document, registries, credential_helper))

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


def _file_warnings(auth_file, document, registries, credential_helper):
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
    helpers = _section(document, "credHelpers") or {}
    for registry in registries:
        helper = helpers.get(registry.host)
        if isinstance(helper, str) and helper != HELPER:
            warnings.append(
                f"{auth_file.path}: credHelpers sends {registry.host} to docker-credential-{helper}, which takes"
                " precedence over the token written to auths; remove that entry or set credential_helper: true"
            )
    return warnings


def _has_login(document, host):
    auths = _section(document or {}, "auths") or {}
    helpers = _section(document or {}, "credHelpers") or {}
    return host in auths or helpers.get(host) == HELPER


def logout(registries, auth_files, check_mode=False):
    """Remove the registries' ``auths`` entries and ``ecr-login`` helper entries (and their expiry records).

    Other registries, other helpers (even for these hosts), ``credsStore`` and unknown keys stay.
    """
    documents, caches = _read_all(auth_files)
    hosts = [registry.host for registry in registries]
    before = _diff_view(auth_files, documents, caches, hosts)
    changed = False
    after_documents = dict(documents)
    for auth_file in auth_files:
        if not any(_has_login(documents[auth_file.path], host) for host in hosts):
            continue

        def change(document, cache):
            for host in hosts:
                remove_login(document, cache, host)

        file_changed, after = update_auth_file(auth_file.path, change, check_mode=check_mode)[::2]
        changed |= file_changed
        after_documents[auth_file.path] = after
    after_view = _diff_view(auth_files, after_documents, {}, hosts)
    results = [
        {
            "registry_id": registry.registry_id,
            "region": registry.region,
            "host": registry.host,
            "username": None,
            "expires_at": None,
            "reused": False,
            "credential_helper": False,
            "changed": any(_has_login(documents[f.path], registry.host) for f in auth_files),
        }
        for registry in registries
    ]
    return {"changed": changed, "registries": results, "diff": {"before": before, "after": after_view}, "warnings": []}
