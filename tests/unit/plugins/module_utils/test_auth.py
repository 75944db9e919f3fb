# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""module_utils/auth.py: token expiry, auth files (merge, atomic write, locking), reuse decisions."""

import base64
import datetime
import json
import multiprocessing
import os
import re
import stat

import pytest
from ansible_collections.dockyard.ecr.plugins.module_utils._common import errors as common_errors
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import login as converge_login
from ansible_collections.dockyard.ecr.plugins.module_utils._models import auth_file as models_auth_file
from ansible_collections.dockyard.ecr.plugins.module_utils._models import auth_token as models_auth_token
from ansible_collections.dockyard.ecr.plugins.module_utils._models import login_plan as models_login_plan

pytest.importorskip("botocore")


NOW = 1_800_000_000  # 2027-01-15T08:00:00Z
ACCOUNT = "123456789012"
OTHER = "111111111111"
HOST = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
HOST_EU = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com"
HOST_OTHER = f"{OTHER}.dkr.ecr.us-east-1.amazonaws.com"


def ecr_password(expiration, **extra):
    """A password shaped like real ECR's: base64 of a JSON document carrying ``expiration``."""
    document = {"payload": "cGF5bG9hZA==", "datakey": "ZGF0YWtleQ==", "version": "2", "type": "DATA_KEY"}
    document.update(extra)
    if expiration is not None:
        document["expiration"] = expiration
    return base64.b64encode(json.dumps(document, separators=(",", ":")).encode()).decode()


def token(password, username="AWS"):
    return base64.b64encode(f"{username}:{password}".encode()).decode()


MOTO_TOKEN = token(f"{ACCOUNT}-auth-token")  # what moto answers, with expiresAt in 2015


class FakeECR:
    """GetAuthorizationToken with a token per call; counts calls."""

    def __init__(self, region, calls, expires_at=None, password=None):
        self.region = region
        self.calls = calls
        self.expires_at = expires_at
        self.password = password

    def get_authorization_token(self, **kwargs):
        self.calls.append((self.region, kwargs))
        password = self.password or f"secret-{self.region}-{len(self.calls)}-xxxxxxxx"
        expires_at = self.expires_at or datetime.datetime.fromtimestamp(NOW + 12 * 3600, tz=datetime.timezone.utc)
        return {
            "authorizationData": [
                {
                    "authorizationToken": token(password),
                    "expiresAt": expires_at,
                    "proxyEndpoint": f"https://{ACCOUNT}.dkr.ecr.{self.region}.amazonaws.com",
                }
            ]
        }


def factory(calls, **kwargs):
    return lambda region: FakeECR(region, calls, **kwargs)


def refuse(region):
    raise AssertionError(f"no ECR client should be made (asked for {region})")


@pytest.fixture
def files(tmp_path):
    return [
        models_auth_file.AuthFile("docker", str(tmp_path / "docker" / "config.json")),
        models_auth_file.AuthFile("podman", str(tmp_path / "containers" / "auth.json")),
    ]


def registries(*items):
    return [models_login_plan.Registry(*item) for item in items]


def read(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def write(path, document):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle)


# ---------------------------------------------------------------------------------------------
# Durations
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, seconds",
    [(0, 0), (3600, 3600), ("3600", 3600), ("1h", 3600), ("30m", 1800), ("1h30m", 5400), ("90s", 90), ("1d", 86400)],
)
def test_parse_duration(value, seconds):
    assert models_auth_token.parse_duration(value) == seconds


@pytest.mark.parametrize("value", [-1, "-1h", "1x", "", "h", "1h1h", True, None, 1.5, "1.5h"])
def test_parse_duration_rejects(value):
    with pytest.raises(common_errors.AuthError, match=r"^min_validity: .* is not a duration"):
        models_auth_token.parse_duration(value)


def test_min_validity_below_token_lifetime():
    assert models_auth_token.validate_min_validity("11h59m") == 43140
    with pytest.raises(common_errors.AuthError, match="an ECR token is valid for 12 hours"):
        models_auth_token.validate_min_validity("12h")


# ---------------------------------------------------------------------------------------------
# Tokens and expiry
# ---------------------------------------------------------------------------------------------


def test_real_ecr_token_expiry():
    password = ecr_password(1757147299)
    assert models_auth_token.password_expiry(password) == 1757147299
    assert models_auth_token.auth_expiry(token(password)) == 1757147299
    assert models_auth_token.decode_authorization_token(token(password)) == ("AWS", password)


@pytest.mark.parametrize(
    "password, expected",
    [
        (ecr_password(1757147299000), 1757147299),  # milliseconds
        (ecr_password("1757147299"), 1757147299),  # a string of digits
        (ecr_password(1757147299).rstrip("="), 1757147299),  # padding dropped
        (base64.urlsafe_b64encode(b'{"expiration": 1757147299, "x": "\xff\xfe"}').decode(), None),  # not UTF-8 JSON
        (base64.urlsafe_b64encode(b'{"expiration": 1757147299, "k": "??>>"}').decode(), 1757147299),  # URL-safe
        (ecr_password(None), None),  # no expiration
        (ecr_password("soon"), None),
        (ecr_password(True), None),
        (ecr_password(-5), None),
        (base64.b64encode(b"[1, 2]").decode(), None),  # JSON, not an object
        (f"{ACCOUNT}-auth-token", None),  # moto's
        ("not base64 at all!", None),
        ("", None),
    ],
)
def test_password_expiry_shapes(password, expected):
    assert models_auth_token.password_expiry(password) == expected


@pytest.mark.parametrize(
    "value", ["%%%", base64.b64encode(b"no-colon").decode(), base64.b64encode(b":pw").decode(), ""]
)
def test_malformed_authorization_token(value):
    with pytest.raises(common_errors.AuthError) as raised:
        models_auth_token.decode_authorization_token(value)
    assert value not in str(raised.value) or not value


def test_moto_token():
    assert models_auth_token.decode_authorization_token(MOTO_TOKEN) == ("AWS", f"{ACCOUNT}-auth-token")
    assert models_auth_token.auth_expiry(MOTO_TOKEN) is None


def test_fresh_token_expiry():
    future = datetime.datetime.fromtimestamp(NOW + 3600, tz=datetime.timezone.utc)
    assert models_auth_token.fresh_token_expiry(future, NOW) == (NOW + 3600, "response")
    naive_future = datetime.datetime(2027, 1, 15, 9, 0, 0)  # read as UTC
    assert models_auth_token.fresh_token_expiry(naive_future, NOW) == (NOW + 3600, "response")
    moto = datetime.datetime(2015, 1, 1, tzinfo=datetime.timezone.utc)
    assert models_auth_token.fresh_token_expiry(moto, NOW) == (NOW + 12 * 3600, "assumed")
    assert models_auth_token.fresh_token_expiry(None, NOW) == (NOW + 12 * 3600, "assumed")


def test_iso8601():
    assert models_auth_token.iso8601(NOW) == "2027-01-15T08:00:00Z"
    assert models_auth_token.iso8601(None) is None


# ---------------------------------------------------------------------------------------------
# Registries
# ---------------------------------------------------------------------------------------------


def test_default_registry_is_the_callers_in_the_module_region():
    specs = models_login_plan.validate_registries(None, None, "eu-west-1")
    assert specs == [models_login_plan.Registry(None, "eu-west-1", None)]
    calls = []
    resolved = models_login_plan.resolve_registries(specs, lambda region: calls.append(region) or ACCOUNT)
    assert resolved == [models_login_plan.Registry(ACCOUNT, "eu-west-1", HOST_EU)]
    assert calls == ["eu-west-1"]


def test_registries_resolution():
    specs = models_login_plan.validate_registries(
        [
            {"registry_id": ACCOUNT},
            {"registry_id": ACCOUNT, "region": "eu-west-1"},
            {"registry_id": ACCOUNT},  # duplicate, merged
            {"region": "cn-north-1"},
            {"registry_id": OTHER, "host": "https://127.0.0.1:45544/"},
        ],
        None,
        "us-east-1",
    )
    calls = []
    resolved = models_login_plan.resolve_registries(specs, lambda region: calls.append(region) or OTHER)
    assert resolved == [
        models_login_plan.Registry(ACCOUNT, "us-east-1", HOST),
        models_login_plan.Registry(ACCOUNT, "eu-west-1", HOST_EU),
        models_login_plan.Registry(OTHER, "cn-north-1", f"{OTHER}.dkr.ecr.cn-north-1.amazonaws.com.cn"),
        models_login_plan.Registry(OTHER, "us-east-1", "127.0.0.1:45544"),
    ]
    assert calls == ["cn-north-1"]  # asked once, in the region of the first registry needing it


def test_no_caller_lookup_when_every_account_is_given():
    specs = models_login_plan.validate_registries(None, [ACCOUNT, OTHER], "us-east-1")
    resolved = models_login_plan.resolve_registries(specs, refuse)
    assert [r.host for r in resolved] == [HOST, HOST_OTHER]


@pytest.mark.parametrize(
    "registries_, registry_ids, region, message",
    [
        (
            [{"registry_id": "12345"}],
            None,
            "us-east-1",
            r"^registries\[0\]\.registry_id: '12345' is not an AWS account ID",
        ),
        (None, [ACCOUNT, "abc"], "us-east-1", r"^registry_ids\[1\]: 'abc' is not an AWS account ID"),
        ([{"registry_id": ACCOUNT}], [ACCOUNT], "us-east-1", "^registries and registry_ids are alternatives"),
        ([{"registry_id": ACCOUNT}], None, None, r"^registries\[0\]\.region: no region"),
        ([{"region": "Europe"}], None, "us-east-1", r"^registries\[0\]\.region: 'Europe' is not an AWS region"),
        (None, None, "useast1", r"^region: 'useast1' is not an AWS region"),
        ([{"host": "host/with/path"}], None, "us-east-1", r"^registries\[0\]\.host: 'host/with/path' is not a host"),
    ],
)
def test_registries_validation(registries_, registry_ids, region, message):
    with pytest.raises(common_errors.AuthError, match=message):
        models_login_plan.validate_registries(registries_, registry_ids, region)


def test_one_host_for_two_registries_is_refused():
    specs = models_login_plan.validate_registries(
        [{"registry_id": ACCOUNT, "host": "h:1"}, {"registry_id": OTHER, "host": "h:1"}], None, "us-east-1"
    )
    with pytest.raises(
        common_errors.AuthError, match=r"registries\[1\]: host h:1 is already used for account 123456789012"
    ):
        models_login_plan.resolve_registries(specs, refuse)


# ---------------------------------------------------------------------------------------------
# File locations
# ---------------------------------------------------------------------------------------------


def test_default_locations():
    assert models_auth_file.default_docker_config({"HOME": "/home/u"}) == "/home/u/.docker/config.json"
    assert (
        models_auth_file.default_docker_config({"HOME": "/home/u", "DOCKER_CONFIG": "/etc/d"}) == "/etc/d/config.json"
    )
    env = {"HOME": "/home/u"}
    assert (
        models_auth_file.default_podman_auth_file(env, uid=1000, platform="linux") == "/run/containers/1000/auth.json"
    )
    env["XDG_RUNTIME_DIR"] = "/run/user/1000"
    assert (
        models_auth_file.default_podman_auth_file(env, uid=1000, platform="linux")
        == "/run/user/1000/containers/auth.json"
    )
    assert models_auth_file.default_podman_auth_file(env, platform="darwin") == "/home/u/.config/containers/auth.json"
    env["REGISTRY_AUTH_FILE"] = "/srv/auth.json"
    assert models_auth_file.default_podman_auth_file(env, uid=1000, platform="linux") == "/srv/auth.json"


def test_resolve_auth_files(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(tmp_path / "podman.json"))
    monkeypatch.delenv("DOCKER_CONFIG", raising=False)
    assert models_auth_file.resolve_auth_files(["podman", "docker"]) == [
        models_auth_file.AuthFile("docker", str(tmp_path / ".docker" / "config.json")),
        models_auth_file.AuthFile("podman", str(tmp_path / "podman.json")),
    ]
    # docker_config may be the directory; the same file named twice is written once (as docker's).
    (tmp_path / "d").mkdir()
    same = str(tmp_path / "d" / "config.json")
    assert models_auth_file.resolve_auth_files(["docker", "podman"], str(tmp_path / "d"), same) == [
        models_auth_file.AuthFile("docker", same)
    ]
    # A symlinked auth file is written through the link.
    os.symlink(str(tmp_path / "podman.json"), str(tmp_path / "link.json"))
    assert models_auth_file.resolve_auth_files(["podman"], None, str(tmp_path / "link.json")) == [
        models_auth_file.AuthFile("podman", str(tmp_path / "podman.json"))
    ]


def test_resolve_auth_files_refuses_a_path_for_a_kind_not_asked_for():
    with pytest.raises(common_errors.AuthError, match="^docker_config is set but auth_files does not include docker"):
        models_auth_file.resolve_auth_files(["podman"], "/tmp/x.json", None)
    with pytest.raises(common_errors.AuthError, match="^auth_files: name at least one"):
        models_auth_file.resolve_auth_files([])


# ---------------------------------------------------------------------------------------------
# Merge: only our entries change
# ---------------------------------------------------------------------------------------------

FOREIGN = {
    "auths": {
        "registry.example.com": {"auth": "Zm9vOmJhcg==", "email": "me@example.com"},
        HOST: {"auth": "b2xkOnRva2Vu", "email": "kept@example.com", "identitytoken": "stale"},
    },
    "credsStore": "desktop",
    "credHelpers": {"gcr.io": "gcloud", HOST_OTHER: "ecr-login"},
    "psFormat": "table {{.ID}}",
    "proxies": {"default": {"httpProxy": "http://proxy:3128"}},
    "unknown": [1, 2.5, None, True, "ü"],
}


def test_set_token_keeps_foreign_entries():
    document = json.loads(json.dumps(FOREIGN))
    cache = models_auth_file._empty_cache("/x")
    models_auth_file.set_token(document, cache, HOST, MOTO_TOKEN, NOW + 60, "assumed")
    models_auth_file.set_token(document, cache, HOST_OTHER, MOTO_TOKEN, NOW + 60, "assumed")
    expected = json.loads(json.dumps(FOREIGN))
    expected["auths"][HOST] = {"auth": MOTO_TOKEN, "email": "kept@example.com"}  # identitytoken dropped
    expected["auths"][HOST_OTHER] = {"auth": MOTO_TOKEN}
    expected["credHelpers"] = {"gcr.io": "gcloud"}  # our ecr-login entry gave way to the token
    assert document == expected
    assert list(document) == list(FOREIGN)  # key order kept
    assert list(document["auths"][HOST]) == ["auth", "email"]
    assert cache["registries"][HOST] == {
        "expires_at": NOW + 60,
        "expires": models_auth_token.iso8601(NOW + 60),
        "expiry_source": "assumed",
        "auth_sha256": models_auth_token.fingerprint(MOTO_TOKEN),
    }
    assert MOTO_TOKEN not in json.dumps(cache)


def test_set_helper_and_remove_login_keep_foreign_entries():
    document = json.loads(json.dumps(FOREIGN))
    cache = models_auth_file._empty_cache("/x")
    models_auth_file.set_helper(document, cache, HOST)
    assert document["credHelpers"] == {"gcr.io": "gcloud", HOST_OTHER: "ecr-login", HOST: "ecr-login"}
    assert HOST not in document["auths"]
    models_auth_file.remove_login(document, cache, HOST)
    models_auth_file.remove_login(document, cache, HOST_OTHER)
    models_auth_file.remove_login(document, cache, "gcr.io")  # another helper than ecr-login: kept
    expected = json.loads(json.dumps(FOREIGN))
    del expected["auths"][HOST]
    expected["credHelpers"] = {"gcr.io": "gcloud"}
    assert document == expected


def test_remove_last_helper_drops_the_empty_section():
    document = {"auths": {}, "credHelpers": {HOST: "ecr-login"}}
    models_auth_file.remove_login(document, models_auth_file._empty_cache("/x"), HOST)
    assert document == {"auths": {}}


def test_stored_login_prefers_the_cache_and_detects_a_rewritten_entry():
    real = token(ecr_password(NOW + 100))
    document = {"auths": {HOST: {"auth": real}, HOST_OTHER: {"auth": MOTO_TOKEN}}, "credHelpers": {HOST: "x"}}
    cache = models_auth_file._empty_cache("/x")
    assert models_auth_file.stored_login(document, cache, HOST) == {
        "auth": real,
        "expires_at": NOW + 100,
        "expiry_source": "token",
        "helper": "x",
    }
    assert models_auth_file.stored_login(document, cache, HOST_OTHER)["expires_at"] is None  # moto's: unknown
    models_auth_file.set_token({}, cache, HOST, real, NOW + 500, "response")
    assert models_auth_file.stored_login(document, cache, HOST)["expires_at"] == NOW + 500
    document["auths"][HOST]["auth"] = token(ecr_password(NOW + 200))  # someone else logged in
    assert models_auth_file.stored_login(document, cache, HOST)["expires_at"] == NOW + 200
    assert models_auth_file.stored_login({}, cache, HOST)["auth"] is None
    assert models_auth_file.stored_login({"auths": "junk"}, cache, HOST)["auth"] is None


# ---------------------------------------------------------------------------------------------
# Files: atomic write, modes, errors
# ---------------------------------------------------------------------------------------------


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_update_creates_file_and_parents_private(tmp_path):
    path = str(tmp_path / "a" / "b" / "config.json")
    old_umask = os.umask(0o022)
    try:
        changed, before, after = models_auth_file.update_auth_file(
            path, lambda d, c: models_auth_file.set_token(d, c, HOST, MOTO_TOKEN, NOW, "assumed")
        )
    finally:
        os.umask(old_umask)
    assert (changed, before) == (True, None)
    assert read(path) == after == {"auths": {HOST: {"auth": MOTO_TOKEN}}}
    assert mode(path) == 0o600
    assert mode(models_auth_file.cache_path(path)) == 0o600
    assert mode(models_auth_file.lock_path(path)) == 0o600
    assert mode(str(tmp_path / "a")) == 0o700
    assert mode(str(tmp_path / "a" / "b")) == 0o700
    assert sorted(os.listdir(tmp_path / "a" / "b")) == sorted(
        ["config.json", "config.json.lock", "config.json.dockyard-ecr.json"]
    )  # no temporary file left
    with open(path, encoding="utf-8") as handle:
        assert handle.read().startswith('{\n\t"auths"')  # tab-indented like docker/podman login


def test_update_replaces_atomically_and_tightens_mode(tmp_path):
    path = str(tmp_path / "config.json")
    write(path, FOREIGN)
    os.chmod(path, 0o644)
    inode = os.stat(path).st_ino
    models_auth_file.update_auth_file(
        path, lambda d, c: models_auth_file.set_token(d, c, HOST_EU, MOTO_TOKEN, NOW, "assumed")
    )
    assert os.stat(path).st_ino != inode  # a new file renamed into place, never rewritten in place
    assert mode(path) == 0o600
    document = read(path)
    assert document["auths"][HOST_EU] == {"auth": MOTO_TOKEN}
    del document["auths"][HOST_EU]
    assert document == FOREIGN


def test_update_without_change_writes_nothing(tmp_path):
    path = str(tmp_path / "config.json")
    write(path, FOREIGN)
    before_stat = os.stat(path)
    changed = models_auth_file.update_auth_file(
        path, lambda d, c: models_auth_file.remove_login(d, c, "absent.example.com")
    )[0]
    assert changed is False
    assert os.stat(path).st_ino == before_stat.st_ino
    assert not os.path.exists(models_auth_file.cache_path(path))


def test_check_mode_writes_nothing(tmp_path):
    path = str(tmp_path / "new" / "config.json")
    changed, before, after = models_auth_file.update_auth_file(
        path, lambda d, c: models_auth_file.set_token(d, c, HOST, MOTO_TOKEN, NOW, "assumed"), check_mode=True
    )
    assert (changed, before, after) == (True, None, {"auths": {HOST: {"auth": MOTO_TOKEN}}})
    assert not os.path.exists(tmp_path / "new")  # no file, no lock, no directory


def test_write_failure_leaves_the_old_file(tmp_path, monkeypatch):
    path = str(tmp_path / "config.json")
    write(path, FOREIGN)

    def boom(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(models_auth_file.os, "replace", boom)
    with pytest.raises(common_errors.AuthError, match="No space left on device .*; the file was left as it was"):
        models_auth_file.update_auth_file(
            path, lambda d, c: models_auth_file.set_token(d, c, HOST, MOTO_TOKEN, NOW, "assumed")
        )
    assert read(path) == FOREIGN
    assert sorted(os.listdir(tmp_path)) == ["config.json", "config.json.lock"]


@pytest.mark.parametrize("content", ['{"auths": {"h": {"auth": "c2VjcmV0OnB3"}', "[]", "\xff"])
def test_invalid_auth_file_is_reported_without_its_content(tmp_path, content):
    path = tmp_path / "config.json"
    path.write_bytes(content.encode("latin-1"))
    with pytest.raises(common_errors.AuthError) as raised:
        models_auth_file.read_json_object(str(path))
    assert str(path) in str(raised.value)
    assert "c2VjcmV0" not in str(raised.value)


def test_empty_file_counts_as_empty_object(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("  \n")
    assert models_auth_file.read_json_object(str(path)) == {}


def test_unreadable_cache_counts_as_empty(tmp_path):
    path = str(tmp_path / "config.json")
    with open(models_auth_file.cache_path(path), "w", encoding="utf-8") as handle:
        handle.write("{broken")
    assert models_auth_file.read_cache(path) == models_auth_file._empty_cache(path)


# ---------------------------------------------------------------------------------------------
# Concurrent writers
# ---------------------------------------------------------------------------------------------

WORKERS, ROUNDS = 8, 15


def _writer(path, worker):
    for round_ in range(ROUNDS):
        host = f"w{worker}-r{round_}.example.com"
        models_auth_file.update_auth_file(
            path, lambda d, c, host=host: models_auth_file.set_token(d, c, host, MOTO_TOKEN, NOW, "assumed")
        )


def test_concurrent_writers_lose_no_entry(tmp_path):
    path = str(tmp_path / "config.json")
    write(path, FOREIGN)
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_writer, args=(path, worker)) for worker in range(WORKERS)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(30)
    assert [p.exitcode for p in processes] == [0] * WORKERS
    document = read(path)
    hosts = {f"w{w}-r{r}.example.com" for w in range(WORKERS) for r in range(ROUNDS)}
    assert hosts <= set(document["auths"])
    assert set(models_auth_file.read_cache(path)["registries"]) == hosts
    for host in hosts:
        del document["auths"][host]
    assert document == FOREIGN
    assert sorted(os.listdir(tmp_path)) == ["config.json", "config.json.dockyard-ecr.json", "config.json.lock"]


# ---------------------------------------------------------------------------------------------
# Login: reuse decisions, one call per region, check mode, secrets
# ---------------------------------------------------------------------------------------------


def run_login(regs, files_, client=refuse, **kwargs):
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("which", lambda name: "/usr/bin/" + name)
    return converge_login.login(regs, files_, client, **kwargs)


def test_first_login_fetches_second_reuses_without_a_call(files):
    regs = registries((ACCOUNT, "us-east-1", HOST))
    calls, secrets = [], set()
    first = run_login(regs, files, factory(calls), on_secret=secrets.add)
    assert calls == [("us-east-1", {"aws_retry": True})]  # no registryIds
    assert first["changed"] is True
    assert first["registries"] == [
        {
            "registry_id": ACCOUNT,
            "region": "us-east-1",
            "host": HOST,
            "username": "AWS",
            "expires_at": models_auth_token.iso8601(NOW + 12 * 3600),
            "reused": False,
            "credential_helper": False,
            "changed": True,
        }
    ]
    for f in files:
        assert read(f.path)["auths"][HOST]["auth"] in secrets
    second = run_login(regs, files, refuse, now=NOW + 3600)
    assert second["changed"] is False
    assert second["registries"][0]["reused"] is True
    assert second["registries"][0]["expires_at"] == models_auth_token.iso8601(NOW + 12 * 3600)
    assert second["diff"]["before"] == second["diff"]["after"]


def test_token_close_to_expiry_is_replaced(files):
    regs = registries((ACCOUNT, "us-east-1", HOST))
    calls = []
    run_login(regs, files, factory(calls))
    # 11h30m later, 30 minutes are left: less than the default hour.
    third = run_login(regs, files, factory(calls), now=NOW + 11 * 3600 + 1800)
    assert len(calls) == 2 and third["changed"] is True and third["registries"][0]["reused"] is False
    # With min_validity 0, a token that has not expired is kept (the fake's expire at NOW + 12h).
    assert run_login(regs, files, refuse, now=NOW + 11 * 3600 + 2700, min_validity=0)["changed"] is False


def test_moto_expiry_is_assumed_twelve_hours_and_recorded(files):
    regs = registries((ACCOUNT, "us-east-1", "127.0.0.1:45543"))
    moto_2015 = datetime.datetime(2015, 1, 1, tzinfo=datetime.timezone.utc)
    calls = []
    result = run_login(regs, files, factory(calls, expires_at=moto_2015, password=f"{ACCOUNT}-auth-token"))
    assert result["registries"][0]["expires_at"] == models_auth_token.iso8601(NOW + 12 * 3600)
    entry = models_auth_file.read_cache(files[0].path)["registries"]["127.0.0.1:45543"]
    assert entry["expiry_source"] == "assumed"
    assert run_login(regs, files, refuse)["changed"] is False


def test_one_call_per_region(files):
    regs = registries((ACCOUNT, "us-east-1", HOST), (OTHER, "us-east-1", HOST_OTHER), (ACCOUNT, "eu-west-1", HOST_EU))
    calls = []
    result = run_login(regs, files, factory(calls))
    assert sorted(call[0] for call in calls) == ["eu-west-1", "us-east-1"]
    document = read(files[1].path)
    assert document["auths"][HOST] == document["auths"][HOST_OTHER] != document["auths"][HOST_EU]
    assert [r["reused"] for r in result["registries"]] == [False, False, False]


def test_real_ecr_token_reused_from_its_embedded_expiry(files):
    """A login written by `docker login` (no cache entry) is reused while its token says it is valid."""
    for f in files:
        write(f.path, {"auths": {HOST: {"auth": token(ecr_password(NOW + 5 * 3600))}}})
    result = run_login(registries((ACCOUNT, "us-east-1", HOST)), files, refuse)
    assert result["changed"] is False
    assert result["registries"][0]["expires_at"] == models_auth_token.iso8601(NOW + 5 * 3600)
    assert not os.path.exists(models_auth_file.cache_path(files[0].path))


def test_unknown_expiry_is_replaced(files):
    for f in files:
        write(f.path, {"auths": {HOST: {"auth": MOTO_TOKEN}}})  # moto's, written by someone else: no expiry
    calls = []
    assert run_login(registries((ACCOUNT, "us-east-1", HOST)), files, factory(calls))["changed"] is True
    assert len(calls) == 1


def test_valid_token_in_one_file_is_copied_to_the_other_without_a_call(files):
    regs = registries((ACCOUNT, "us-east-1", HOST))
    run_login(regs, files[:1], factory([]))
    result = run_login(regs, files, refuse)
    assert result["changed"] is True
    assert result["registries"][0]["reused"] is True
    assert read(files[0].path) == read(files[1].path)
    assert models_auth_file.read_cache(files[1].path)["registries"][HOST]["expires_at"] == NOW + 12 * 3600


def test_same_token_without_expiry_record_is_no_change(files):
    """A file holding the reused token but no expiry record (copied by hand) only gets the record."""
    regs = registries((ACCOUNT, "us-east-1", HOST))
    run_login(regs, files[:1], factory([]))
    write(files[1].path, read(files[0].path))
    result = run_login(regs, files, refuse)
    assert result["changed"] is False
    assert result["registries"][0]["changed"] is False and result["registries"][0]["reused"] is True
    assert models_auth_file.read_cache(files[1].path)["registries"][HOST]["expires_at"] == NOW + 12 * 3600


def test_check_mode_makes_no_call_and_writes_nothing(files):
    regs = registries((ACCOUNT, "us-east-1", HOST))
    result = run_login(regs, files, refuse, check_mode=True)
    assert result["changed"] is True
    assert result["registries"][0]["expires_at"] is None and result["registries"][0]["reused"] is False
    assert result["diff"] == {
        "before": {files[0].path: {}, files[1].path: {}},
        "after": {
            files[0].path: {HOST: {"token": True, "expires_at": None}},
            files[1].path: {HOST: {"token": True, "expires_at": None}},
        },
    }
    assert not any(os.path.exists(os.path.dirname(f.path)) for f in files)
    real = run_login(regs, files, factory([]))
    assert real["changed"] is True
    assert run_login(regs, files, refuse, check_mode=True)["changed"] is False


def test_our_helper_entry_gives_way_to_a_token(files):
    regs = registries((ACCOUNT, "us-east-1", HOST))
    run_login(regs, files, factory([]))
    for f in files:
        document = read(f.path)
        document["credHelpers"] = {HOST: "ecr-login"}
        write(f.path, document)
    result = run_login(regs, files, refuse)  # the token is still valid: reused, the helper entry removed
    assert result["changed"] is True and result["registries"][0]["reused"] is True
    assert "credHelpers" not in read(files[0].path)


def test_credential_helper_mode(files):
    regs = registries((ACCOUNT, "us-east-1", HOST))
    run_login(regs, files, factory([]))  # a token first: the helper replaces it
    for f in files:
        document = read(f.path)
        document["auths"]["registry.example.com"] = {"auth": "Zm9vOmJhcg=="}
        write(f.path, document)
    result = run_login(regs, files, refuse, credential_helper=True, which=lambda name: None)
    assert result["changed"] is True
    assert result["registries"][0]["credential_helper"] is True
    assert result["registries"][0]["expires_at"] is None
    assert read(files[0].path) == {
        "auths": {"registry.example.com": {"auth": "Zm9vOmJhcg=="}},
        "credHelpers": {HOST: "ecr-login"},
    }
    assert HOST not in models_auth_file.read_cache(files[0].path)["registries"]
    assert any("docker-credential-ecr-login is not on PATH" in w for w in result["warnings"])
    again = run_login(regs, files, refuse, credential_helper=True)
    assert again["changed"] is False and again["registries"][0]["reused"] is True and again["warnings"] == []


def test_warnings_for_settings_that_hide_the_token(files):
    write(files[0].path, {"auths": {}, "credsStore": "desktop", "credHelpers": {HOST: "pass"}})
    write(files[1].path, {"auths": {}, "credsStore": "desktop"})  # podman ignores credsStore
    result = run_login(registries((ACCOUNT, "us-east-1", HOST)), files, factory([]))
    assert len(result["warnings"]) == 2
    assert "sets credsStore 'desktop'" in result["warnings"][0] and files[0].path in result["warnings"][0]
    assert f"credHelpers sends {HOST} to docker-credential-pass" in result["warnings"][1]
    assert read(files[0].path)["credHelpers"] == {HOST: "pass"}  # another helper is never removed


def test_no_secret_in_results_diff_or_warnings(files):
    regs = registries((ACCOUNT, "us-east-1", HOST), (OTHER, "eu-west-1", HOST_EU))
    secrets = set()
    outputs = [run_login(regs, files, factory([]), on_secret=secrets.add)]
    outputs.append(run_login(regs, files, refuse, on_secret=secrets.add))
    outputs.append(converge_login.logout(regs, files))
    assert len(secrets) == 4  # two tokens, two passwords
    text = json.dumps(outputs)
    for secret in secrets:
        assert secret not in text
    assert "secret-" not in text  # the fake passwords


def test_error_from_ecr_names_the_region(files):
    botocore = pytest.importorskip("botocore.exceptions")

    class Denied:
        def get_authorization_token(self, **kwargs):
            raise botocore.ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetAuthorizationToken"
            )

    with pytest.raises(common_errors.ECRError, match="^Failed to get an ECR authorization token in us-east-1"):
        run_login(registries((ACCOUNT, "us-east-1", HOST)), files, lambda region: Denied())
    assert not os.path.exists(files[0].path)


# ---------------------------------------------------------------------------------------------
# Logout
# ---------------------------------------------------------------------------------------------


def test_logout_removes_only_these_entries(files):
    regs = registries((ACCOUNT, "us-east-1", HOST), (OTHER, "us-east-1", HOST_OTHER))
    write(files[0].path, FOREIGN)
    run_login(regs, files, factory([]))
    check = converge_login.logout(regs, files, check_mode=True)
    assert check["changed"] is True and [r["changed"] for r in check["registries"]] == [True, True]
    assert HOST in read(files[0].path)["auths"]  # check mode: still there
    result = converge_login.logout(regs, files)
    assert result["changed"] is True
    expected = json.loads(json.dumps(FOREIGN))
    del expected["auths"][HOST]
    expected["credHelpers"] = {"gcr.io": "gcloud"}
    assert read(files[0].path) == expected
    assert read(files[1].path) == {"auths": {}}
    assert not os.path.exists(models_auth_file.cache_path(files[1].path))  # no record left
    again = converge_login.logout(regs, files)
    assert again["changed"] is False and [r["changed"] for r in again["registries"]] == [False, False]
    assert again["diff"]["before"] == again["diff"]["after"] == {files[0].path: {}, files[1].path: {}}


def test_logout_of_missing_files_creates_nothing(files):
    result = converge_login.logout(registries((ACCOUNT, "us-east-1", HOST)), files)
    assert result["changed"] is False
    assert not any(os.path.exists(os.path.dirname(f.path)) for f in files)


# ---------------------------------------------------------------------------------------------
# Issue 19: safe by default
# ---------------------------------------------------------------------------------------------


def test_docker_config_is_a_directory_even_when_it_does_not_exist_yet(tmp_path):
    """The module's own example, docker_config: /srv/ci/.docker, writes /srv/ci/.docker/config.json."""
    directory = tmp_path / "srv" / "ci" / ".docker"
    (auth_file,) = models_auth_file.resolve_auth_files(["docker"], str(directory))
    assert auth_file == models_auth_file.AuthFile("docker", str(directory / "config.json"))
    run_login(registries((ACCOUNT, "us-east-1", HOST)), [auth_file], factory([]))
    assert directory.is_dir() and mode(str(directory)) == 0o700
    assert read(str(directory / "config.json")) == {"auths": {HOST: {"auth": token("secret-us-east-1-1-xxxxxxxx")}}}
    # A trailing slash names the same directory; an existing file and a new *.json name are files.
    assert models_auth_file.resolve_auth_files(["docker"], str(directory) + "/") == [auth_file]
    assert models_auth_file.resolve_auth_files(["docker"], str(tmp_path / "new" / "docker.json")) == [
        models_auth_file.AuthFile("docker", str(tmp_path / "new" / "docker.json"))
    ]
    write(str(tmp_path / "plain"), {})
    assert models_auth_file.resolve_auth_files(["docker"], str(tmp_path / "plain")) == [
        models_auth_file.AuthFile("docker", str(tmp_path / "plain"))
    ]


def read_only_at(monkeypatch, directory):
    """Make ``directory`` look like a read-only file system (the tests run as root, which may write anywhere)."""
    real_statvfs, real_open = os.statvfs, os.open

    class ReadOnly:
        f_flag = os.ST_RDONLY

    def statvfs(path):
        return ReadOnly() if os.path.abspath(path) == str(directory) else real_statvfs(path)

    def open_(path, *args, **kwargs):
        if os.path.dirname(os.path.abspath(path)) == str(directory):
            raise OSError(30, "Read-only file system", path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "statvfs", statvfs)
    monkeypatch.setattr(os, "open", open_)


def test_read_only_directory_is_refused_before_any_call(tmp_path, monkeypatch):
    directory = tmp_path / "ro"
    directory.mkdir()
    read_only_at(monkeypatch, directory)
    docker = models_auth_file.AuthFile("docker", str(directory / "config.json"))
    podman = models_auth_file.AuthFile("podman", str(directory / "auth.json"))
    expected = f"^docker_config: cannot write {directory}/config.json: {directory} is on a read-only file system;"
    with pytest.raises(common_errors.AuthError, match=expected) as caught:
        models_auth_file.check_writable(docker)
    assert caught.value.option == "docker_config"
    with pytest.raises(common_errors.AuthError, match=f"^podman_auth_file: cannot write {directory}/auth.json"):
        run_login(registries((ACCOUNT, "us-east-1", HOST)), [podman], refuse)  # refuse: no token fetched
    assert os.listdir(directory) == []


def test_write_error_names_the_option_and_the_path(tmp_path, monkeypatch):
    """A file system that turns read-only after the check: the lock's [Errno 30] becomes a clear message."""
    directory = tmp_path / "ro"
    directory.mkdir()
    read_only_at(monkeypatch, directory)
    path = str(directory / "config.json")
    with pytest.raises(common_errors.AuthError) as caught:
        models_auth_file.update_auth_file(
            path,
            lambda d, c: models_auth_file.set_token(d, c, HOST, MOTO_TOKEN, NOW, "assumed"),
            option="docker_config",
        )
    assert str(caught.value).startswith(f"docker_config: cannot write {path}: Read-only file system ({path}.lock);")
    assert caught.value.option == "docker_config"
    # Logout goes the same way (no check up front: a logout with nothing to remove writes nothing).
    write_file = models_auth_file.AuthFile("docker", path)
    monkeypatch.undo()
    write(path, {"auths": {HOST: {"auth": MOTO_TOKEN}}})
    read_only_at(monkeypatch, directory)
    with pytest.raises(common_errors.AuthError, match="^docker_config: cannot write"):
        converge_login.logout(registries((ACCOUNT, "us-east-1", HOST)), [write_file])


def test_unwritable_paths(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(
        common_errors.AuthError, match=r"^podman_auth_file: cannot write .*/file/auth\.json: .*/file is not a"
    ):
        models_auth_file.check_writable(models_auth_file.AuthFile("podman", str(tmp_path / "file" / "auth.json")))
    with pytest.raises(common_errors.AuthError, match=r"^podman_auth_file: .* is a directory, not a file"):
        models_auth_file.check_writable(models_auth_file.AuthFile("podman", str(tmp_path)))
    # Missing directories under a writable one are fine (they are created 0700).
    models_auth_file.check_writable(models_auth_file.AuthFile("docker", str(tmp_path / "a" / "b" / "config.json")))


@pytest.mark.parametrize(
    "host, message",
    [
        ("123456789012.dkr.ecr.eu-west-1.vpce-0abc.example.internal", "is not an ECR registry host name"),
        ("registry-proxy.example.com", "is not an ECR registry host name"),
        ("127.0.0.1:5000", "is not an ECR registry host name"),
        (f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com:443", "is not an ECR registry host name"),
        (f"{OTHER}.dkr.ecr.us-east-1.amazonaws.com", f"is the registry of account {OTHER} in us-east-1"),
        (f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com", f"is the registry of account {ACCOUNT} in eu-west-1"),
    ],
)
def test_credential_helper_refuses_a_host_it_cannot_serve(host, message):
    spec = [{"registry_id": ACCOUNT, "region": "us-east-1", "host": host}]
    with pytest.raises(common_errors.AuthError, match=rf"^registries\[0\]\.host: '{host}' {message}") as caught:
        models_login_plan.validate_registries(spec, None, "us-east-1", credential_helper=True)
    assert caught.value.option == "registries[0].host"
    # A token entry for that host is fine.
    assert models_login_plan.validate_registries(spec, None, "us-east-1")[0].host == host


@pytest.mark.parametrize(
    "host",
    [
        f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com",
        f"https://{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/",
        f"{ACCOUNT}.dkr.ecr-fips.us-east-1.amazonaws.com",
    ],
)
def test_credential_helper_accepts_the_registrys_own_ecr_host(host):
    spec = [{"registry_id": ACCOUNT, "host": host}]
    assert (
        models_login_plan.validate_registries(spec, None, "us-east-1", credential_helper=True)[0].registry_id == ACCOUNT
    )
    assert models_login_plan.validate_registries(
        [{"host": "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "region": "cn-north-1"}],
        None,
        "us-east-1",
        credential_helper=True,
    )


def test_credential_helper_host_of_another_account_than_the_callers():
    specs = models_login_plan.validate_registries([{"host": HOST_OTHER}], None, "us-east-1", credential_helper=True)
    with pytest.raises(common_errors.AuthError, match=rf"^registries\[0\]\.host: '{HOST_OTHER}' is the registry of"):
        models_login_plan.resolve_registries(specs, lambda region: ACCOUNT, credential_helper=True)
    resolved = models_login_plan.resolve_registries(specs, lambda region: OTHER, credential_helper=True)
    assert resolved == registries((OTHER, "us-east-1", HOST_OTHER))


def test_logout_removes_every_key_form_and_names_the_ones_it_did_not_write(files):
    """docker login wrote https://HOST; podman login a bare HOST: both go, and the warnings say so."""
    regs = registries((ACCOUNT, "us-east-1", HOST))
    run_login(regs, files[1:], factory([]))  # the podman file: our own entry
    ours = read(files[1].path)["auths"][HOST]
    write(
        files[0].path,
        {
            "auths": {
                f"https://{HOST}": {"auth": "b2xkOnRva2Vu"},
                f"http://{HOST}/": {"auth": "b2xkOnRva2Vu"},
                f"https://{HOST_OTHER}": {"auth": "b2xkOnRva2Vu"},
                "registry.example.com": {"auth": "Zm9vOmJhcg=="},
            },
            "credHelpers": {f"https://{HOST}": "ecr-login", "gcr.io": "gcloud"},
        },
    )
    podman = read(files[1].path)
    podman["auths"][f"https://{HOST}"] = {"auth": "b2xkOnRva2Vu"}
    write(files[1].path, podman)

    check = converge_login.logout(regs, files, check_mode=True)
    assert check["changed"] is True and check["registries"][0]["changed"] is True
    assert check["diff"]["before"] == {
        files[0].path: {
            f"http://{HOST}/": {"token": True, "expires_at": None},
            f"https://{HOST}": {"credential_helper": "ecr-login"},
        },
        files[1].path: {
            HOST: {"token": True, "expires_at": check["diff"]["before"][files[1].path][HOST]["expires_at"]},
            f"https://{HOST}": {"token": True, "expires_at": None},
        },
    }
    assert check["diff"]["after"] == {files[0].path: {}, files[1].path: {}}
    assert len(check["warnings"]) == 3 and all("would remove the login for" in w for w in check["warnings"])

    result = converge_login.logout(regs, files)
    assert read(files[0].path) == {
        "auths": {
            f"https://{HOST_OTHER}": {"auth": "b2xkOnRva2Vu"},
            "registry.example.com": {"auth": "Zm9vOmJhcg=="},
        },
        "credHelpers": {"gcr.io": "gcloud"},
    }
    assert read(files[1].path) == {"auths": {}}
    assert ours["auth"] not in json.dumps(result)
    assert sorted(result["warnings"]) == sorted(
        [
            f"{files[0].path}: removed the login for http://{HOST}/, which dockyard.ecr.ecr_login did not write"
            " (docker login or podman login did); log in again with that tool if it was still needed",
            f"{files[0].path}: removed the login for https://{HOST}, which dockyard.ecr.ecr_login did not write"
            " (docker login or podman login did); log in again with that tool if it was still needed",
            f"{files[1].path}: removed the login for https://{HOST}, which dockyard.ecr.ecr_login did not write"
            " (docker login or podman login did); log in again with that tool if it was still needed",
        ]
    )
    again = converge_login.logout(regs, files)
    assert again["changed"] is False and again["warnings"] == []


def test_logout_warns_about_a_bare_host_entry_another_tool_wrote(files):
    write(files[1].path, {"auths": {HOST: {"auth": "b2xkOnRva2Vu"}}})  # podman login
    result = converge_login.logout(registries((ACCOUNT, "us-east-1", HOST)), files[1:])
    assert result["changed"] is True
    assert [w.split(",")[0] for w in result["warnings"]] == [f"{files[1].path}: removed the login for {HOST}"]


@pytest.mark.parametrize(
    "key, host",
    [(HOST, HOST), (f"https://{HOST}", HOST), (f"HTTP://{HOST}/v2/", HOST), ("h:5000", "h:5000"), ("", "")],
)
def test_key_host(key, host):
    assert models_auth_file.key_host(key) == host


@pytest.mark.parametrize(
    "host, message",
    [
        ("-oProxyCommand", "is not a host name: each dot-separated part"),
        ("-registry.example.com:5000", "is not a host name: each dot-separated part"),
        ("registry-.example.com", "is not a host name: each dot-separated part"),
        ("a..example.com", "is not a host name: each dot-separated part"),
        ("127.0.0.1:65536", "has port 65536; a port is a number from 1 to 65535"),
        ("registry.example.com:99999", "has port 99999; a port is a number from 1 to 65535"),
        ("registry.example.com:0", "has port 0; a port is a number from 1 to 65535"),
        ("[::1]:70000", "has port 70000; a port is a number from 1 to 65535"),
    ],
)
def test_host_refused_before_any_call(host, message):
    with pytest.raises(
        common_errors.AuthError, match=rf"^registries\[0\]\.host: '{re.escape(host)}' {message}"
    ) as caught:
        models_login_plan.validate_registries([{"registry_id": ACCOUNT, "host": host}], None, "us-east-1")
    assert caught.value.option == "registries[0].host"


@pytest.mark.parametrize("host", ["127.0.0.1:65535", "registry.example.com:1", "[::1]:5000", "my_host.local", HOST])
def test_host_accepted(host):
    assert (
        models_login_plan.validate_registries([{"registry_id": ACCOUNT, "host": host}], None, "us-east-1")[0].host
        == host
    )


def test_region_typos_are_named_before_any_call():
    # Not a region's shape: refused.
    with pytest.raises(common_errors.AuthError, match=r"^registries\[0\]\.region: 'euwest1' is not an AWS region"):
        models_login_plan.validate_registries([{"region": "euwest1"}], None, "us-east-1")
    # The shape but unknown to botocore: a warning with the closest name (not a refusal: botocore lags new regions).
    specs = models_login_plan.validate_registries(
        [{"region": "eu-wset-1"}, {"registry_id": ACCOUNT, "region": "eu-wset-1"}, {"region": "eu-west-1"}], None, None
    )
    assert models_login_plan.region_warnings(specs) == [
        "region: 'eu-wset-1' is not a region this botocore knows; did you mean 'eu-west-1'? check the spelling (the"
        " calls and the registry host name use it), or update botocore if the region is new"
    ]
    assert models_login_plan.region_warnings(registries((ACCOUNT, "zz-nowhere-7", None)))[0].startswith(
        "region: 'zz-nowhere-7' is not a region this botocore knows; check the spelling"
    )
    assert (
        models_login_plan.region_warnings(registries((ACCOUNT, "us-gov-west-1", None), (None, "cn-north-1", None)))
        == []
    )
