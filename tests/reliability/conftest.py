# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the reliability tests share: emulators and fault proxies on free ports, ansible-playbook runs
whose every output is kept for the secrets scan, and a resource-by-resource dump of an emulator's state.

Each test starts its own moto server(s) (localaws's moto with its ECR extensions) and proxies (``faultproxy.py``) on
free loopback ports, or a whole ``tools/localaws`` stack in a temporary LOCALAWS_HOME on free ports, all
started through tests/support, and stops them when it ends.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

boto3 = pytest.importorskip("boto3")

# pylint: disable=wrong-import-position
from faultproxy import ProxyControl  # noqa: E402
from support import MotoServer, Process, clean_env, free_port_block, wait_http  # noqa: E402
from support.fixtures import emulator_factory  # noqa: E402,F401  pylint: disable=unused-import

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PLAYBOOKS = HERE / "playbooks"
COLLECTIONS = Path(os.environ.get("DOCKYARD_COLLECTIONS_PATH", ROOT / ".build" / "collections"))
# The tests that import module_utils find ``ansible_collections.dockyard.ecr`` there (as tests/unit does).
if (COLLECTIONS / "ansible_collections").is_dir() and str(COLLECTIONS) not in sys.path:
    sys.path.append(str(COLLECTIONS))
BIN = Path(sys.executable).parent
REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"  # moto's account for the dummy access key
ACCESS_KEY = "testing"
# moto accepts any secret key for its dummy access key; a distinctive one makes the secrets scan meaningful.
SECRET_KEY = "dockyardRELIABILITYsecret/K3y+0a1b2c3d4e5f6g7h8"

# Every file an ansible run or a test wrote that must hold no secret (the secrets scan reads them).
ARTIFACTS: list[Path] = []
# Directories holding auth files: the files next to them (expiry caches, locks) must hold no secret either.
AUTH_DIRS: list[Path] = []
# Every secret an emulator handed out during the session (proxies report them), plus the fixed ones.
SECRETS: set[str] = {SECRET_KEY}


def ecr_password(account: str) -> str:
    return f"{account}-auth-token"


def ecr_token(account: str) -> str:
    return base64.b64encode(f"AWS:{ecr_password(account)}".encode()).decode()


def remember_account_secrets(*accounts: str) -> None:
    for account in accounts:
        SECRETS.update({ecr_password(account), ecr_token(account)})


# ---------------------------------------------------------------------------------------------------------------------
# Emulators (tests/support starts them) and fault proxies


class Proxy:
    """faultproxy.py in its own process, in front of ``upstream``; ``control`` changes and reads it."""

    def __init__(self, workdir: Path, upstream: str, **settings):
        self.port = free_port_block(1)
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [sys.executable, str(HERE / "faultproxy.py"), "--port", str(self.port), "--upstream", upstream]
        self.process = Process(argv, workdir / f"faultproxy-{self.port}.log")
        self.stop = self.process.stop
        wait_http(f"{self.url}/__faultproxy__/state", alive=lambda: self.process.popen.poll() is None)
        self.control = ProxyControl(self.url)
        if settings:
            self.control.configure(**settings)

    def harvest(self) -> dict:
        """The proxy's state; its secrets join the session's list for the scan."""
        state = self.control.state()
        SECRETS.update(state["secrets"])
        return state


class Emulators:
    """Starts moto servers and proxies in ``workdir``; ``close`` stops them all and harvests the proxies' secrets."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.started: list = []

    def moto(self) -> MotoServer:
        server = MotoServer(self.workdir)
        self.started.append(server)
        return server

    def proxy(self, upstream: str, **settings) -> Proxy:
        proxy = Proxy(self.workdir, upstream, **settings)
        self.started.append(proxy)
        return proxy

    def close(self) -> None:
        for item in reversed(self.started):
            if isinstance(item, Proxy):
                with contextlib.suppress(OSError):
                    item.harvest()
            item.stop()
        self.started = []


@pytest.fixture
def emulators(tmp_path):
    running = Emulators(tmp_path)
    yield running
    running.close()


@pytest.fixture
def localaws(emulator_factory):
    """``localaws(accounts, name)``: a running tools/localaws stack (support.Emulator), brought down at the end."""
    return emulator_factory


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory):
    """moto alone for a whole test module (tests that put their own in-process proxy in front of it)."""
    server = MotoServer(tmp_path_factory.mktemp("moto"))
    yield server.url
    server.stop()


# ---------------------------------------------------------------------------------------------------------------------
# AWS clients straight to an emulator (never through a proxy)


def client(endpoint: str, service: str, account: str = DEFAULT_ACCOUNT):
    keys = {"aws_access_key_id": ACCESS_KEY, "aws_secret_access_key": SECRET_KEY}
    if account != DEFAULT_ACCOUNT:
        sts = boto3.client("sts", endpoint_url=endpoint, region_name=REGION, **keys)
        credentials = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/reliability-inspector", RoleSessionName="dump"
        )["Credentials"]
        keys = {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, **keys)


def put_image(ecr, repository: str, manifest: dict, tag: str) -> str:
    """PutImage with the digest given (without it moto computes a wrong one); returns the digest."""
    body = json.dumps(manifest)
    digest = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
    ecr.put_image(repositoryName=repository, imageManifest=body, imageDigest=digest, imageTag=tag)
    return digest


def _policy(text: str | None):
    if not text:
        return None
    document = json.loads(text)
    for statement in document.get("Statement", []) if isinstance(document, dict) else []:
        for key in ("Action", "NotAction", "Resource"):
            if isinstance(statement.get(key), list):
                statement[key] = sorted(statement[key])
    if isinstance(document, dict) and isinstance(document.get("Statement"), list):
        document["Statement"] = sorted(document["Statement"], key=lambda s: json.dumps(s, sort_keys=True))
    return document


def _call(function, missing: tuple, **kwargs):
    try:
        return function(**kwargs)
    except boto3.session.botocore.exceptions.ClientError as error:
        if error.response["Error"]["Code"] in missing:
            return None
        raise


def dump_state(endpoint: str, accounts: list[str]) -> dict:
    """Every ECR and IAM resource of the accounts, without timestamps, as ``{"ACCOUNT ecr repo NAME": {...}}``.

    Keys name one resource each, so a comparison reports the resources that differ.
    """
    state: dict = {}
    for account in accounts:
        ecr = client(endpoint, "ecr", account)
        repositories = ecr.get_paginator("describe_repositories").paginate().build_full_result()["repositories"]
        for repository in repositories:
            name = repository["repositoryName"]
            tags = ecr.list_tags_for_resource(resourceArn=repository["repositoryArn"])["tags"]
            policy = _call(ecr.get_repository_policy, ("RepositoryPolicyNotFoundException",), repositoryName=name)
            lifecycle = _call(ecr.get_lifecycle_policy, ("LifecyclePolicyNotFoundException",), repositoryName=name)
            images = ecr.get_paginator("describe_images").paginate(repositoryName=name).build_full_result()
            state[f"{account} ecr repository {name}"] = {
                "arn": repository["repositoryArn"],
                "uri": repository["repositoryUri"],
                "image_tag_mutability": repository.get("imageTagMutability"),
                "scan_on_push": repository.get("imageScanningConfiguration", {}).get("scanOnPush"),
                "encryption": repository.get("encryptionConfiguration"),
                "tags": {t["Key"]: t["Value"] for t in tags},
                "policy": _policy(policy and policy.get("policyText")),
                "lifecycle": lifecycle and json.loads(lifecycle["lifecyclePolicyText"]),
                "images": sorted(
                    (i["imageDigest"], sorted(i.get("imageTags", []))) for i in images.get("imageDetails", [])
                ),
            }
        registry_policy = _call(ecr.get_registry_policy, ("RegistryPolicyNotFoundException",))
        if registry_policy:
            state[f"{account} ecr registry-policy"] = _policy(registry_policy.get("policyText"))
        iam = client(endpoint, "iam", account)
        for role in iam.get_paginator("list_roles").paginate().build_full_result()["Roles"]:
            name = role["RoleName"]
            inline = iam.list_role_policies(RoleName=name)["PolicyNames"]
            attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
            state[f"{account} iam role {name}"] = {
                "path": role["Path"],
                "trust": _policy(json.dumps(role["AssumeRolePolicyDocument"])),
                "inline": {
                    p: _policy(json.dumps(iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]))
                    for p in inline
                },
                "attached": sorted(p["PolicyArn"] for p in attached),
            }
        for policy in iam.get_paginator("list_policies").paginate(Scope="Local").build_full_result()["Policies"]:
            version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
            state[f"{account} iam policy {policy['PolicyName']}"] = _policy(
                json.dumps(version["PolicyVersion"]["Document"])
            )
    return state


def auth_file_state(path: Path) -> dict | None:
    """An auth file's logins (host -> user and password), or None when it does not exist."""
    if not path.exists():
        return None
    document = json.loads(path.read_text())
    logins = {}
    for host, entry in (document.get("auths") or {}).items():
        logins[host] = base64.b64decode(entry["auth"]).decode() if entry.get("auth") else entry
    return {"auths": logins, "credHelpers": document.get("credHelpers"), "other": sorted(set(document) - {"auths"})}


def differences(expected: dict, actual: dict) -> list[str]:
    """One line per resource that differs between two dumps."""
    lines = []
    for key in sorted(set(expected) | set(actual)):
        if key not in actual:
            lines.append(f"missing: {key}")
        elif key not in expected:
            lines.append(f"extra: {key} = {actual[key]}")
        elif expected[key] != actual[key]:
            lines.append(f"differs: {key}\n  expected {expected[key]}\n  actual   {actual[key]}")
    return lines


# ---------------------------------------------------------------------------------------------------------------------
# ansible-playbook


class Ansible:
    """Runs ansible-playbook at -vvv with the checkout's collections; keeps every output as an artifact."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.runs = 0
        if not (COLLECTIONS / "ansible_collections" / "dockyard" / "ecr").exists():
            pytest.skip(f"{COLLECTIONS}/ansible_collections/dockyard/ecr is missing: run `make setup` first")

    def env(self, name: str, extra: dict | None = None) -> dict:
        env = clean_env()
        env.update(
            {
                "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_FORCE_COLOR": "0",
                "ANSIBLE_RETRY_FILES_ENABLED": "0",
                "ANSIBLE_LOG_PATH": str(self.workdir / f"{name}.ansible.log"),
                "ANSIBLE_LOCAL_TEMP": str(self.workdir / "ansible-tmp"),
                "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
                # Logins the playbooks do not direct elsewhere must not reach the real user's files.
                # (outside the artifacts: a login's token belongs in an auth file).
                "DOCKER_CONFIG": str(self.workdir.parent / "default-auth" / "docker"),
                "REGISTRY_AUTH_FILE": str(self.workdir.parent / "default-auth" / "containers" / "auth.json"),
            }
        )
        env.update(extra or {})
        return env

    def start(self, playbook: Path | str, name: str, inventory: str = "localhost,", extra_vars: dict | None = None,
              env: dict | None = None, args: tuple = ()) -> "Run":  # fmt: skip
        self.runs += 1
        vars_file = self.workdir / f"{name}.vars.json"
        vars_file.write_text(json.dumps(extra_vars or {}))
        vars_file.chmod(0o600)
        argv = [str(BIN / "ansible-playbook"), "-vvv", "-i", inventory, "-e", f"@{vars_file}", *args, str(playbook)]
        return Run(argv, self.workdir, name, self.env(name, env))

    def run(self, playbook: Path | str, name: str, **kwargs) -> "Run":
        return self.start(playbook, name, **kwargs).wait()


class Run:
    """One ansible-playbook process; ``wait`` returns it with ``rc``, ``stdout`` and ``stderr``."""

    def __init__(self, argv: list[str], workdir: Path, name: str, env: dict):
        self.name = name
        self.stdout_path = workdir / f"{name}.stdout"
        self.stderr_path = workdir / f"{name}.stderr"
        ARTIFACTS.extend([self.stdout_path, self.stderr_path, workdir / f"{name}.ansible.log"])
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.popen = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=workdir)  # noqa: S603
        self.started = time.monotonic()
        self.rc = None
        self.stdout = self.stderr = ""
        self.seconds = 0.0

    def wait(self, timeout: float = 600) -> "Run":
        self.rc = self.popen.wait(timeout=timeout)
        self.seconds = time.monotonic() - self.started
        self.stdout = self.stdout_path.read_text(errors="replace")
        self.stderr = self.stderr_path.read_text(errors="replace")
        return self

    def recap(self) -> str:
        lines = self.stdout.splitlines()
        start = max((i for i, line in enumerate(lines) if line.startswith("PLAY RECAP")), default=len(lines))
        return "\n".join(lines[start:]).strip()

    def tail(self, lines: int = 60) -> str:
        return "\n".join((self.stdout + self.stderr).splitlines()[-lines:])


@pytest.fixture
def ansible(tmp_path):
    workdir = tmp_path / "ansible"
    runner = Ansible(workdir)
    yield runner
    # Everything the runs left there, except the variable files the test itself wrote (they hold the keys).
    ARTIFACTS.extend(p for p in workdir.rglob("*") if p.is_file() and not p.name.endswith(".vars.json"))


# ---------------------------------------------------------------------------------------------------------------------
# The estate playbooks/configure.yml converges in the fault and partial-failure tests

REGISTRY_ACCOUNT = DEFAULT_ACCOUNT
PROD_ACCOUNT = "111111111111"
STAGING_ACCOUNT = "222222222222"
ESTATE_ACCOUNTS = [REGISTRY_ACCOUNT, PROD_ACCOUNT, STAGING_ACCOUNT]
CONFIGURE_ROLE = "dockyard-ecr-configure"
CONSUMER_ROLES = {PROD_ACCOUNT: ["ecsTaskExecutionRole", "ecsInstanceRole"], STAGING_ACCOUNT: ["ecsTaskExecutionRole", "ci-runner"]}  # fmt: skip
ESTATE_REPOSITORIES = [
    {
        "name": "app/api",
        "image_tag_mutability": "immutable",
        "scan_on_push": True,
        "tags": {"team": "platform", "app": "api"},
        "pull": [PROD_ACCOUNT, STAGING_ACCOUNT],
        "push": [STAGING_ACCOUNT],
        "lifecycle": {"keep_last": 50, "expire_untagged_after_days": 7},
    },
    {
        "name": "app/worker",
        "image_tag_mutability": "mutable",
        "tags": {"team": "platform", "app": "worker"},
        "pull": [PROD_ACCOUNT],
        "lifecycle": {
            "rules": [
                {"priority": 1, "tag_status": "untagged", "count_type": "since_image_pushed", "count": 3},
                {"priority": 2, "tag_status": "any", "count_type": "image_count_more_than", "count": 30},
            ]
        },
    },
    {
        "name": "base/image",
        "tags": {"team": "platform"},
        "pull": [PROD_ACCOUNT, STAGING_ACCOUNT],
        "services": ["codebuild.amazonaws.com"],
        "lifecycle": {"keep_last": 20, "keep_tag_prefixes": ["v"]},
    },
    {"name": "tools/cli", "tags": {"team": "tools"}},
]


def role_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{CONFIGURE_ROLE}"


def configure_inventory(path: Path, endpoint: str, repositories: list | None = None) -> Path:
    """A three-account inventory for playbooks/configure.yml: one registry account, two consumers."""
    consumers = {
        "prod-us-east-1": {"aws_account_id": PROD_ACCOUNT, "remote_access_roles": [{"name": n} for n in CONSUMER_ROLES[PROD_ACCOUNT]]},  # fmt: skip
        "staging-us-east-1": {
            "aws_account_id": STAGING_ACCOUNT,
            "remote_access_roles": [{"name": "ecsTaskExecutionRole"}, {"name": "ci-runner", "access": "push"}],
        },
    }
    for host in consumers.values():
        host.update(aws_region=REGION, aws_role_arn=role_arn(host["aws_account_id"]))
    inventory = {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
                "aws_endpoint_url": endpoint,
                "aws_access_key": ACCESS_KEY,
                "aws_secret_key": SECRET_KEY,
                "ecr_registries": [
                    {
                        "name": "main",
                        "account_id": REGISTRY_ACCOUNT,
                        "region": REGION,
                        "repository_defaults": {"scan_on_push": False},
                        "repositories": ESTATE_REPOSITORIES if repositories is None else repositories,
                    }
                ],
            },
            "children": {
                "registries": {
                    "hosts": {
                        "registry-us-east-1": {
                            "aws_account_id": REGISTRY_ACCOUNT,
                            "aws_region": REGION,
                            "aws_role_arn": role_arn(REGISTRY_ACCOUNT),
                        }
                    }
                },
                "consumers": {"hosts": consumers},
            },
        }
    }
    path.write_text(json.dumps(inventory, indent=1))
    path.chmod(0o600)
    return path


def create_consumer_roles(endpoint: str) -> None:
    """The IAM roles remote_access grants to (it creates none itself)."""
    statement = {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    trust = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    for account, names in CONSUMER_ROLES.items():
        iam = client(endpoint, "iam", account)
        for name in names:
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)


def recap(run: "Run") -> dict:
    """PLAY RECAP as {host: {"ok": N, "changed": N, "failed": N, ...}}."""
    hosts = {}
    for line in run.recap().splitlines()[1:]:
        name, counts = line.partition(" : ")[::2]
        if counts:
            hosts[name.strip()] = {k: int(v) for k, v in (item.split("=") for item in counts.split())}
    return hosts


def failures(run: "Run", host: str) -> list[str]:
    """The ``msg`` of every ``fatal: [HOST]: FAILED! => {...}`` in a -vvv run's output."""
    messages = []
    lines = run.stdout.splitlines()
    for index, line in enumerate(lines):
        if not line.startswith(f"fatal: [{host}]: FAILED! => "):
            continue
        text = line.split(" => ", 1)[1]
        if text.strip() == "{":
            block = ["{"]
            for follow in lines[index + 1 :]:
                block.append(follow)
                if follow == "}":
                    break
            text = "\n".join(block)
        try:
            messages.append(str(json.loads(text).get("msg", "")))
        except ValueError:
            messages.append(text)
    return messages
