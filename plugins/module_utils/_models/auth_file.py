# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Docker and podman auth files: where they are, read, merge one registry's login, atomic 0600 write under a lock.

docker's ``config.json`` and containers' ``auth.json`` share the ``auths`` / ``credHelpers`` shape. Only the
entries of the registries asked for are touched; every other key is kept as it was. Writes are atomic
(temporary file in the same directory, fsync, rename) with mode 0600; new parent directories get 0700.
Read-merge-write runs under ``flock`` on a sidecar ``FILE.lock`` (the rename replaces the file, so the file
itself cannot carry the lock). The expiry cache, ``FILE.dockyard-ecr.json`` next to each auth file (0600,
same lock), holds one entry per registry host: expiry, where it came from and the sha256 of the ``auth``
value it describes, so an entry rewritten by someone else is recognised. No secret.

Secrets (``auth`` values) never leave this file except into the auth files themselves.
"""

import contextlib
import copy
import errno
import fcntl
import json
import os
import sys
import tempfile
from collections import namedtuple

from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import AuthError
from ansible_collections.dockyard.ecr.plugins.module_utils._models.auth_token import (
    auth_expiry,
    epoch_of,
    fingerprint,
    iso8601,
)

HELPER = "ecr-login"  # credHelpers value: the program is docker-credential-ecr-login
HELPER_BINARY = "docker-credential-" + HELPER
AUTH_FILE_KINDS = ("docker", "podman")
DOCKER_CONFIG_NAME = "config.json"
LOCK_SUFFIX = ".lock"
CACHE_SUFFIX = ".dockyard-ecr.json"
CACHE_VERSION = 1
FILE_MODE = 0o600
DIR_MODE = 0o700
# Keys of an ``auths`` entry that carry credentials. Writing a token replaces all of them: an
# ``identitytoken`` left behind would be used instead of the token.
CREDENTIAL_KEYS = ("auth", "username", "password", "identitytoken", "registrytoken")

AuthFile = namedtuple("AuthFile", ["kind", "path"])

# The option that sets each kind's path: what a message about an unwritable file tells the user to change.
PATH_OPTIONS = {"docker": "docker_config", "podman": "podman_auth_file"}


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


def docker_config_file(docker_config):
    """The file the ``docker_config`` option names: a directory (docker's ``--config``) holds ``config.json``.

    An existing directory, or a path that does not exist and whose name does not end in ``.json``
    (``/srv/ci/.docker``), is the directory: ``config.json`` inside it, created 0700 when missing. An existing
    file, or a new name ending in ``.json``, is the file itself.
    """
    path = os.path.expanduser(docker_config)
    if os.path.isdir(path):
        return os.path.join(path, DOCKER_CONFIG_NAME)
    if os.path.lexists(path) or os.path.basename(path.rstrip(os.sep)).lower().endswith(".json"):
        return path
    return os.path.join(path, DOCKER_CONFIG_NAME)


def resolve_auth_files(kinds, docker_config=None, podman_auth_file=None, environ=None):
    """The files to write, as ``AuthFile(kind, absolute path)``; one entry per real file.

    ``docker_config`` names the directory holding ``config.json`` (see ``docker_config_file``). A path option for
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
            path = docker_config_file(docker_config) if docker_config else default_docker_config(environ)
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


def option_for(auth_file):
    return PATH_OPTIONS.get(auth_file.kind, "auth_files")


def _unwritable(path, directory, reason, option):
    return AuthError(
        message=(
            f"{option}: cannot write {path}: {directory} {reason}; set {option} to a path in a writable directory"
            " (or make that directory writable)"
        ),
        option=option,
    )


def check_writable(auth_file):
    """Refuse (AuthError naming the option and the path) an auth file that could not be written.

    Run before any AWS call and any write: the file, its ``.lock`` and its expiry cache are created in the
    file's directory (or its first existing ancestor, under which the missing directories are made), so that
    directory must be a writable directory on a writable file system, and the path must not be a directory.
    """
    path, option = auth_file.path, option_for(auth_file)
    if os.path.isdir(path):
        raise AuthError(
            message=f"{option}: {path} is a directory, not a file; give the path of the file to write",
            option=option,
        )
    existing = os.path.dirname(path) or "."
    while not os.path.lexists(existing):
        existing = os.path.dirname(existing) or "."
    if not os.path.isdir(existing):
        raise _unwritable(path, existing, "is not a directory", option)
    try:
        read_only = bool(os.statvfs(existing).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    if read_only:
        raise _unwritable(path, existing, "is on a read-only file system", option)
    if not os.access(existing, os.W_OK | os.X_OK):
        raise _unwritable(path, existing, "is not writable for this user", option)


def update_auth_file(path, change, check_mode=False, option=None):
    """Read ``path`` and its expiry cache, let ``change(document, cache)`` edit them, write what changed.

    Under the lock in a real run, so concurrent writers of the same file (forks logging in to
    different accounts) each merge into the latest content and no entry is lost. In check mode
    nothing is locked or written. Returns ``(changed, before, after)``: whether the auth file
    changes, and its documents (``before`` is None when the file does not exist). A file system error on
    the way (the lock, the write) is an AuthError naming ``option`` and the path, with nothing half-written.
    """
    try:
        return _update_auth_file(path, change, check_mode)
    except AuthError:
        raise
    except OSError as e:
        where = e.filename or path
        option = option or "auth_files"
        if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            fix = f"set {option} to a path in a writable directory (or make that directory writable)"
        else:
            fix = "the file was left as it was; fix the file system and run again"
        raise AuthError(
            message=f"{option}: cannot write {path}: {e.strerror or e} ({where}); {fix}", option=option
        ) from e


def _update_auth_file(path, change, check_mode):
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


def section_of(document, key):
    value = document.get(key)
    return value if isinstance(value, dict) else None


def stored_login(document, cache, host):
    """What a document holds for ``host``: token, expiry (cache first, then the token) and helper.

    ``{"auth", "expires_at", "expiry_source", "helper"}`` with None where absent or unknown.
    """
    auths = section_of(document or {}, "auths") or {}
    helpers = section_of(document or {}, "credHelpers") or {}
    entry = auths.get(host)
    auth = entry.get("auth") if isinstance(entry, dict) else None
    auth = auth if isinstance(auth, str) and auth else None
    expires_at = expiry_source = None
    if auth is not None:
        cached = (cache or {}).get("registries", {}).get(host)
        if isinstance(cached, dict) and cached.get("auth_sha256") == fingerprint(auth):
            expires_at = epoch_of(cached.get("expires_at"))
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
    auths = section_of(document, "auths")
    if auths is not None:
        auths.pop(host, None)
    cache["registries"].pop(host, None)


def key_host(key):
    """The registry host an ``auths``/``credHelpers`` key stands for, as docker's ``ConvertToHostname`` reads it.

    ``https://HOST``, ``http://HOST/`` and ``https://HOST/v2/`` (what ``docker login`` wrote) all stand for
    ``HOST``: the docker CLI and containers/image match those keys to ``HOST`` when no bare ``HOST`` entry exists.
    """
    text = key if isinstance(key, str) else ""
    for scheme in ("https://", "http://"):
        if text.lower().startswith(scheme):
            skip = len(scheme)
            text = text[skip:]
            break
    return text.split("/", 1)[0]


def login_keys(document, host):
    """The keys of ``document`` that hold a login for ``host`` this module may remove, bare ``host`` first.

    ``auths`` keys of any form (``HOST``, ``https://HOST``, ...), and ``credHelpers`` keys whose helper is ``ecr-login``.
    """
    keys = []
    auths = section_of(document or {}, "auths") or {}
    helpers = section_of(document or {}, "credHelpers") or {}
    for key in list(auths) + [k for k, v in helpers.items() if v == HELPER]:
        if key_host(key) == host and key not in keys:
            keys.append(key)
    return sorted(keys, key=lambda k: (k != host, k))


def written_here(document, cache, key):
    """Whether the ``auths`` entry ``key`` is one this module wrote (its expiry record matches its ``auth``)."""
    entry = (section_of(document or {}, "auths") or {}).get(key)
    auth = entry.get("auth") if isinstance(entry, dict) else None
    record = (cache or {}).get("registries", {}).get(key)
    return isinstance(auth, str) and isinstance(record, dict) and record.get("auth_sha256") == fingerprint(auth)


def remove_login(document, cache, host):
    """Remove ``host``'s ``auths`` entries (any key form) and ``ecr-login`` helper entries; nothing else.

    Returns the ``auths`` keys removed that this module did not write (``docker login``'s ``https://HOST``,
    a ``podman login``), for a warning.
    """
    foreign = []
    auths = section_of(document, "auths")
    helpers = section_of(document, "credHelpers")
    for key in login_keys(document, host):
        if auths is not None and key in auths:
            if not written_here(document, cache, key):
                foreign.append(key)
            del auths[key]
        if helpers is not None and helpers.get(key) == HELPER:
            del helpers[key]
        cache["registries"].pop(key, None)
    if helpers is not None and not helpers and "credHelpers" in document:
        del document["credHelpers"]
    return foreign


def _drop_helper(document, host):
    helpers = section_of(document, "credHelpers")
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


def read_all(auth_files):
    """({path: document or None}, {path: expiry cache}) of the auth files."""
    documents, caches = {}, {}
    for auth_file in auth_files:
        documents[auth_file.path] = read_json_object(auth_file.path)
        caches[auth_file.path] = read_cache(auth_file.path)
    return documents, caches
