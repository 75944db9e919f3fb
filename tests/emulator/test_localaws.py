"""End-to-end proof of tools/localaws: moto, TLS registries with real basic auth, and the push bridge.

Everything is real: `localaws up` starts moto, one docker-registry per account and the bridge on
free, non-default ports in a temporary LOCALAWS_HOME; podman builds a FROM-scratch image in a
private storage root and pushes it with the credentials ECR's GetAuthorizationToken hands out.
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

boto3 = pytest.importorskip("boto3")

from support import Emulator, have_registry  # noqa: E402  pylint: disable=wrong-import-position

FIRST_ACCOUNT = "123456789012"  # moto's default account
SECOND_ACCOUNT = "210987654321"
POLL_SECONDS = 10.0


def localaws_up(stack: Emulator) -> subprocess.CompletedProcess:
    """`localaws up` through the command line (this suite tests it); the other suites use the Python API."""
    result = stack.cli("up")
    assert result.returncode == 0, f"localaws up failed:\n{result.stdout}\n{result.stderr}"
    return result


def pids(home: Path) -> dict:
    return {path.stem: json.loads(path.read_text())["pid"] for path in sorted((home / "run").glob("*.pid"))}


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes() != b""  # empty for a zombie
    except OSError:
        return False


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
    running = Emulator(tmp_path_factory.mktemp("localaws"), [FIRST_ACCOUNT, SECOND_ACCOUNT], "eu-west-1")
    started = time.monotonic()
    localaws_up(running)
    print(f"localaws up took {time.monotonic() - started:.1f}s")
    yield running
    result = running.cli("down", "--purge")
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
    result = localaws_up(stack)
    assert pids(stack.home) == before
    assert "(started)" not in result.stdout
    assert stack.cli("status").returncode == 0


def test_env_matches_the_configuration(stack):
    env = stack.client_env
    registry_port = int(stack.localaws_env["LOCALAWS_REGISTRY_PORT"])
    assert env["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{stack.localaws_env['LOCALAWS_MOTO_PORT']}"
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
    shell = stack.cli("env").stdout.splitlines()
    assert all(line.startswith("export ") for line in shell)
    assert f"export AWS_ENDPOINT_URL={env['AWS_ENDPOINT_URL']}" in shell
    assert "auth-token" not in stack.cli("env").stdout


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
    ecr_second, ecr_first = stack.client("ecr", SECOND_ACCOUNT), stack.client("ecr")
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
    assert stack.cli("status").returncode == 0


def test_up_status_down_lifecycle(tmp_path):
    if not have_registry():
        pytest.skip("docker-registry is not installed (Debian package docker-registry)")
    lone = Emulator(tmp_path / "home", [FIRST_ACCOUNT], "eu-west-1")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", int(lone.localaws_env["LOCALAWS_BRIDGE_PORT"])))
        squatter.listen()
        refused = lone.cli("up")
    assert refused.returncode == 1
    assert f"port {lone.localaws_env['LOCALAWS_BRIDGE_PORT']} (bridge) in use" in refused.stderr
    assert pids(lone.home) == {}

    localaws_up(lone)
    assert lone.cli("status").returncode == 0
    running = pids(lone.home)
    assert all(alive(pid) for pid in running.values())
    try:
        down = lone.cli("down")
        assert down.returncode == 0, down.stderr
        assert not any(alive(pid) for pid in running.values())
        assert pids(lone.home) == {}
        assert lone.cli("status").returncode == 3
        assert lone.cli("down").returncode == 0
        assert (lone.home / "ca" / "ca.crt").exists()
    finally:
        lone.cli("down", "--purge")


def test_python_api_sees_what_the_command_line_started(stack):
    states = {state.name: state for state in stack.stack.status()}
    assert {name: state.state for name, state in states.items()} == {
        "moto": "up",
        "bridge": "up",
        f"registry-{FIRST_ACCOUNT}": "up",
        f"registry-{SECOND_ACCOUNT}": "up",
    }
    assert {name: state.pid for name, state in states.items()} == pids(stack.home) == stack.pids()
    assert stack.healthy()
    assert json.loads(stack.cli("env", "--format", "json").stdout) == stack.stack.env_json() == stack.client_env
    again = stack.stack.up()
    assert {state.state for state in again} == {"already running"}
    assert stack.pids() == pids(stack.home)


def test_the_stack_serves_the_ecr_extensions(stack):
    ecr = stack.client("ecr", SECOND_ACCOUNT)
    assert ecr.get_account_setting(name="REGISTRY_POLICY_SCOPE")["value"] == "V2"
    ecr.put_registry_scanning_configuration(scanType="BASIC")
    assert (
        ecr.create_repository(repositoryName="localaws-test/after-scanning")["repository"]["registryId"]
        == SECOND_ACCOUNT
    )
    assert ecr.describe_pull_through_cache_rules()["pullThroughCacheRules"] == []
