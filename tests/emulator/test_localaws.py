"""End-to-end proof of tools/localaws: moto, TLS registries with real basic auth, and the push bridge.

Everything is real: `localaws up` starts moto, one docker-registry per account and the bridge on
free, non-default ports in a temporary LOCALAWS_HOME; podman builds a FROM-scratch image in a
private storage root and pushes it with the credentials ECR's GetAuthorizationToken hands out.
"""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

boto3 = pytest.importorskip("boto3")

ROOT = Path(__file__).resolve().parents[2]
LOCALAWS = ROOT / "tools" / "localaws" / "localaws"
FIRST_ACCOUNT = "123456789012"  # moto's default account
SECOND_ACCOUNT = "210987654321"
POLL_SECONDS = 10.0


def have_registry() -> bool:
    return bool(shutil.which("docker-registry")) or os.path.exists("/usr/bin/docker-registry")


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_block(count: int) -> int:
    """The first of COUNT consecutive free loopback ports, away from localaws' defaults (45100+)."""
    for base in random.sample(range(46000, 49000), 200):
        if all(port_free(port) for port in range(base, base + count)):
            return base
    pytest.fail(f"no {count} consecutive free ports between 46000 and 49000")


def localaws(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(LOCALAWS), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def pids(home: Path) -> dict:
    return {path.stem: json.loads(path.read_text())["pid"] for path in sorted((home / "run").glob("*.pid"))}


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes() != b""  # empty for a zombie
    except OSError:
        return False


class Stack:
    """A running emulator: the LOCALAWS_* environment that selects it and what `env --format json` says."""

    def __init__(self, home: Path, accounts: list, ports: int):
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LOCALAWS_", "MOTO_"))}
        self.home = home
        self.env = {
            **clean,
            "LOCALAWS_HOME": str(home),
            "LOCALAWS_MOTO_PORT": str(ports),
            "LOCALAWS_BRIDGE_PORT": str(ports + 1),
            "LOCALAWS_REGISTRY_PORT": str(ports + 2),
            "LOCALAWS_ACCOUNTS": ",".join(accounts),
            "LOCALAWS_REGION": "eu-west-1",
        }
        self.client_env: dict = {}

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return localaws(self.env, *args)

    def up(self) -> subprocess.CompletedProcess:
        result = self.run("up")
        assert result.returncode == 0, f"localaws up failed:\n{result.stdout}\n{result.stderr}"
        self.client_env = json.loads(self.run("env", "--format", "json").stdout)
        return result

    def client(self, service: str, credentials: dict | None = None):
        keys = credentials or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        return boto3.client(
            service, endpoint_url=self.client_env["AWS_ENDPOINT_URL"], region_name=self.client_env["AWS_REGION"], **keys
        )

    def assume(self, account: str) -> dict:
        role = f"arn:aws:iam::{account}:role/localaws-test"
        credentials = self.client("sts").assume_role(RoleArn=role, RoleSessionName="test")["Credentials"]
        return {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }

    def host(self, account: str) -> str:
        return self.client_env[f"LOCALAWS_REGISTRY_HOST_{account}"]


class Podman:
    """podman with a private storage root; the test image is built once."""

    def __init__(self, base: Path):
        self.base = base
        self.flags = ["--root", str(base / "root"), "--runroot", str(base / "runroot"), "--storage-driver", "vfs"]
        self.image = "localhost/localaws-test/hello:1"

    def __call__(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["podman", *self.flags, *args], input=stdin, capture_output=True, text=True, timeout=120, check=False
        )

    def build(self) -> None:
        context = self.base / "context"
        context.mkdir(parents=True)
        (context / "hello.txt").write_text("hello from localaws\n")
        (context / "Containerfile").write_text(
            "FROM scratch\nCOPY hello.txt /hello.txt\nLABEL org.opencontainers.image.title=localaws-test\n"
        )
        result = self("build", "--isolation", "chroot", "-t", self.image, str(context))
        assert result.returncode == 0, result.stderr

    def login(self, authfile: Path, host: str, user: str, password: str) -> subprocess.CompletedProcess:
        return self(
            "login", "--authfile", str(authfile), "--tls-verify=true", "--username", user, "--password-stdin", host,
            stdin=password,
        )  # fmt: skip

    def push(self, authfile: Path, reference: str, digestfile: Path | None = None) -> subprocess.CompletedProcess:
        extra = ["--digestfile", str(digestfile)] if digestfile else []
        return self("push", "--authfile", str(authfile), "--tls-verify=true", *extra, self.image, reference)


def token_credentials(ecr) -> tuple[str, str]:
    """User and password from ECR's GetAuthorizationToken (base64 of USER:PASSWORD)."""
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    user, password = base64.b64decode(token).decode().split(":", 1)
    return user, password


def wait_for_image(ecr, repository: str, digest: str, tag: str) -> dict:
    deadline = time.monotonic() + POLL_SECONDS
    details: list = []
    while time.monotonic() < deadline:
        details = ecr.describe_images(repositoryName=repository)["imageDetails"]
        for detail in details:
            if detail["imageDigest"] == digest and tag in detail.get("imageTags", []):
                return detail
        time.sleep(0.2)
    pytest.fail(f"{repository}@{digest}:{tag} not in describe_images after {POLL_SECONDS}s; saw {details}")


# --------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    if not have_registry():
        pytest.skip("docker-registry is not installed (Debian package docker-registry)")
    running = Stack(tmp_path_factory.mktemp("localaws"), [FIRST_ACCOUNT, SECOND_ACCOUNT], free_port_block(4))
    started = time.monotonic()
    running.up()
    print(f"localaws up took {time.monotonic() - started:.1f}s")
    yield running
    result = running.run("down", "--purge")
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="session")
def podman(tmp_path_factory):
    if not shutil.which("podman"):
        pytest.skip("podman is not installed")
    tool = Podman(tmp_path_factory.mktemp("podman"))
    tool.build()
    yield tool
    shutil.rmtree(tool.base, ignore_errors=True)


def test_up_again_starts_nothing(stack):
    before = pids(stack.home)
    assert set(before) == {"moto", "bridge", f"registry-{FIRST_ACCOUNT}", f"registry-{SECOND_ACCOUNT}"}
    result = stack.up()
    assert pids(stack.home) == before
    assert "(started)" not in result.stdout
    assert stack.run("status").returncode == 0


def test_env_matches_the_configuration(stack):
    env = stack.client_env
    registry_port = int(stack.env["LOCALAWS_REGISTRY_PORT"])
    assert env["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{stack.env['LOCALAWS_MOTO_PORT']}"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["LOCALAWS_ACCOUNT_ID"] == FIRST_ACCOUNT
    assert (
        env["LOCALAWS_REGISTRY_HOST"] == env[f"LOCALAWS_REGISTRY_HOST_{FIRST_ACCOUNT}"] == f"127.0.0.1:{registry_port}"
    )
    assert env[f"LOCALAWS_REGISTRY_HOST_{SECOND_ACCOUNT}"] == f"127.0.0.1:{registry_port + 1}"
    assert env["LOCALAWS_CA_FILE"] == str(stack.home / "ca" / "ca.crt")
    assert env["registries"] == [
        {"account": FIRST_ACCOUNT, "region": "eu-west-1", "host": f"127.0.0.1:{registry_port}"},
        {"account": SECOND_ACCOUNT, "region": "eu-west-1", "host": f"127.0.0.1:{registry_port + 1}"},
    ]
    shell = stack.run("env").stdout.splitlines()
    assert all(line.startswith("export ") for line in shell)
    assert f"export AWS_ENDPOINT_URL={env['AWS_ENDPOINT_URL']}" in shell
    assert "auth-token" not in stack.run("env").stdout


def test_podman_push_appears_in_ecr_with_the_same_digest(stack, podman, tmp_path):
    ecr = stack.client("ecr")
    ecr.create_repository(repositoryName="localaws-test/app")
    user, password = token_credentials(ecr)
    assert (user, password) == ("AWS", f"{FIRST_ACCOUNT}-auth-token")
    authfile, digestfile = tmp_path / "auth.json", tmp_path / "digest"
    host = stack.host(FIRST_ACCOUNT)
    login = podman.login(authfile, host, user, password)
    assert login.returncode == 0, login.stderr

    push = podman.push(authfile, f"{host}/localaws-test/app:v1", digestfile)
    assert push.returncode == 0, push.stderr
    digest = digestfile.read_text().strip()

    image = wait_for_image(ecr, "localaws-test/app", digest, "v1")
    assert image["registryId"] == FIRST_ACCOUNT
    assert image["imageManifestMediaType"] == "application/vnd.oci.image.manifest.v1+json"
    manifest = ecr.batch_get_image(repositoryName="localaws-test/app", imageIds=[{"imageTag": "v1"}])["images"]
    assert manifest[0]["imageId"] == {"imageDigest": digest, "imageTag": "v1"}


def test_wrong_password_is_refused(stack, podman, tmp_path):
    host = stack.host(FIRST_ACCOUNT)
    authfile = tmp_path / "auth.json"
    wrong = base64.b64encode(b"AWS:not-the-token").decode()
    authfile.write_text(json.dumps({"auths": {host: {"auth": wrong}}}))
    push = podman.push(authfile, f"{host}/localaws-test/app:refused")
    assert push.returncode != 0
    assert "unauthorized" in push.stderr.lower() or "authentication required" in push.stderr.lower(), push.stderr
    login = podman.login(tmp_path / "other.json", host, "AWS", "not-the-token")
    assert login.returncode != 0


def test_second_account_has_its_own_registry_and_ecr(stack, podman, tmp_path):
    credentials = stack.assume(SECOND_ACCOUNT)
    ecr_second, ecr_first = stack.client("ecr", credentials), stack.client("ecr")
    ecr_second.create_repository(repositoryName="localaws-test/second")
    user, password = token_credentials(ecr_second)
    assert password == f"{SECOND_ACCOUNT}-auth-token"
    host = stack.host(SECOND_ACCOUNT)
    # the first account's token does not open the second account's registry
    assert podman.login(tmp_path / "first.json", host, "AWS", f"{FIRST_ACCOUNT}-auth-token").returncode != 0
    authfile, digestfile = tmp_path / "auth.json", tmp_path / "digest"
    assert podman.login(authfile, host, user, password).returncode == 0

    push = podman.push(authfile, f"{host}/localaws-test/second:v2", digestfile)
    assert push.returncode == 0, push.stderr
    digest = digestfile.read_text().strip()

    image = wait_for_image(ecr_second, "localaws-test/second", digest, "v2")
    assert image["registryId"] == SECOND_ACCOUNT
    with pytest.raises(ecr_first.exceptions.RepositoryNotFoundException):
        ecr_first.describe_images(repositoryName="localaws-test/second")


def test_push_to_a_repository_ecr_lacks_is_logged_not_fatal(stack, podman, tmp_path):
    ecr = stack.client("ecr")
    user, password = token_credentials(ecr)
    authfile, host = tmp_path / "auth.json", stack.host(FIRST_ACCOUNT)
    assert podman.login(authfile, host, user, password).returncode == 0
    assert podman.push(authfile, f"{host}/localaws-test/never-created:v1").returncode == 0
    log = stack.home / "logs" / "bridge.log"
    deadline = time.monotonic() + POLL_SECONDS
    while "localaws-test/never-created" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    line = [line for line in log.read_text().splitlines() if "localaws-test/never-created" in line]
    assert line and "no such repository" in line[-1], log.read_text()
    assert stack.run("status").returncode == 0


def test_up_status_down_lifecycle(tmp_path):
    if not have_registry():
        pytest.skip("docker-registry is not installed (Debian package docker-registry)")
    lone = Stack(tmp_path / "home", [FIRST_ACCOUNT], free_port_block(3))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", int(lone.env["LOCALAWS_BRIDGE_PORT"])))
        squatter.listen()
        refused = lone.run("up")
    assert refused.returncode == 1
    assert f"port {lone.env['LOCALAWS_BRIDGE_PORT']} (bridge) in use" in refused.stderr
    assert pids(lone.home) == {}

    lone.up()
    assert lone.run("status").returncode == 0
    running = pids(lone.home)
    assert all(alive(pid) for pid in running.values())
    try:
        down = lone.run("down")
        assert down.returncode == 0, down.stderr
        assert not any(alive(pid) for pid in running.values())
        assert pids(lone.home) == {}
        assert lone.run("status").returncode == 3
        assert lone.run("down").returncode == 0
        assert (lone.home / "ca" / "ca.crt").exists()
    finally:
        lone.run("down", "--purge")
