# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The local emulator for tests: a whole tools/localaws stack (Emulator) or moto alone (MotoServer), on free
ports, through localaws's Python API."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .ports import free_port_block, wait_http
from .processes import Process, clean_env

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "tools") not in sys.path:
    sys.path.insert(0, str(ROOT / "tools"))

# pylint: disable=wrong-import-position
from localaws import DUMMY_KEY, MOTO_DEFAULT_ACCOUNT, Config, LocalAWS  # noqa: E402
from localaws.services import CLI, moto_argv  # noqa: E402

DEFAULT_ACCOUNT = MOTO_DEFAULT_ACCOUNT
DEFAULT_REGION = "us-east-1"


def have_registry() -> bool:
    """Debian's docker-registry, which a whole stack needs (MotoServer does not)."""
    return bool(shutil.which("docker-registry")) or os.path.exists("/usr/bin/docker-registry")


def _boto3():
    import boto3  # pylint: disable=import-outside-toplevel  # the suites skip without it

    return boto3


def assumed_credentials(endpoint: str, region: str, account: str, keys: dict, session: str = "tests") -> dict:
    """boto3 keyword arguments acting in ACCOUNT: a role assumed there through moto's STS (any role ARN works)."""
    sts = _boto3().client("sts", endpoint_url=endpoint, region_name=region, **keys)
    role = f"arn:aws:iam::{account}:role/{session}"
    credentials = sts.assume_role(RoleArn=role, RoleSessionName=session)["Credentials"]
    return {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }


def age_images(ecr, repository: str, days: float, digests: list | None = None, registry_id: str | None = None):
    """Move images' push times ``days`` back, as time passing on ECR would: the emulator's LocalawsAgeImages
    (tools/localaws/ecr_extensions/image_times.py), sent through the client's own endpoint and signature since
    botocore does not know the call. Returns (HTTP status, answer)."""
    import json  # pylint: disable=import-outside-toplevel

    from botocore.awsrequest import AWSRequest  # pylint: disable=import-outside-toplevel

    body = {"repositoryName": repository, "days": days}
    if digests is not None:
        body["imageDigests"] = digests
    if registry_id is not None:
        body["registryId"] = registry_id
    request = AWSRequest(
        method="POST",
        url=ecr.meta.endpoint_url + "/",
        data=json.dumps(body),
        headers={
            "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.LocalawsAgeImages",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    ecr._request_signer.sign("LocalawsAgeImages", request)  # pylint: disable=protected-access
    response = ecr._endpoint.http_session.send(request.prepare())  # pylint: disable=protected-access
    return response.status_code, json.loads(response.content or b"{}")


class Emulator:
    """A tools/localaws stack (moto, bridge, one TLS registry per account) in HOME on free ports.

    ``up()`` starts it (idempotent), ``down()`` stops it and removes its registry storage; ``running(...)`` does
    both around a ``with`` block.
    """

    def __init__(  # pylint: disable=too-many-arguments
        self,
        home: Path,
        accounts=(DEFAULT_ACCOUNT,),
        region: str = DEFAULT_REGION,
        port: int | None = None,
        bridge_port: int | None = None,
        registry_port: int | None = None,
        moto_env: dict | None = None,
    ):
        """PORT: moto's (a free block when not given); the bridge and the registries take the next ports unless
        BRIDGE_PORT and REGISTRY_PORT say otherwise (one registry port per account, counting up). MOTO_ENV: extra
        environment of moto, e.g. {"INITIAL_NO_AUTH_ACTION_COUNT": "0"} to make it check credentials."""
        accounts = tuple(accounts)
        base = free_port_block(2 + len(accounts)) if port is None else port
        self.home = Path(home)
        self.accounts = list(accounts)
        self.region = region
        self.config = Config.create(
            home=self.home,
            moto_port=base,
            bridge_port=bridge_port,
            registry_port=registry_port,
            accounts=accounts,
            region=region,
            moto_env=moto_env,
        )
        self.stack = LocalAWS(self.config)
        # What selects this stack for the command line (and anything else reading LOCALAWS_*).
        self.localaws_env = {
            **clean_env(),
            "LOCALAWS_HOME": str(self.config.home),
            "LOCALAWS_MOTO_PORT": str(self.config.moto_port),
            "LOCALAWS_BRIDGE_PORT": str(self.config.bridge_port),
            "LOCALAWS_REGISTRY_PORT": str(self.config.registry_port),
            "LOCALAWS_ACCOUNTS": ",".join(accounts),
            "LOCALAWS_REGION": region,
        }
        self.client_env = self.stack.env_json()

    @classmethod
    @contextlib.contextmanager
    def running(cls, home: Path, accounts=(DEFAULT_ACCOUNT,), region: str = DEFAULT_REGION, **options):
        """Up for the ``with`` block, down (registry storage removed) after it; OPTIONS as for Emulator()."""
        stack = cls(home, accounts, region, **options)
        try:
            stack.up()
            yield stack
        finally:
            stack.down()

    def up(self) -> "Emulator":
        self.stack.up()
        return self

    def down(self) -> None:
        self.stack.down(purge=True)

    def healthy(self) -> bool:
        return self.stack.healthy()

    def pids(self) -> dict:
        return self.stack.pids()

    def cli(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
        """The command line (tools/localaws/localaws ARGS) with this stack's LOCALAWS_* environment."""
        return subprocess.run(
            [sys.executable, str(CLI), *args],
            env=self.localaws_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    @property
    def endpoint(self) -> str:
        return self.config.moto_url

    moto_url = endpoint

    def host(self, account: str = DEFAULT_ACCOUNT) -> str:
        return self.config.registry_host(account)

    def credentials(self, account: str = DEFAULT_ACCOUNT, secret_key: str = DUMMY_KEY) -> dict:
        """boto3 keyword arguments acting in ACCOUNT (the dummy keys in moto's default account)."""
        keys = {"aws_access_key_id": DUMMY_KEY, "aws_secret_access_key": secret_key}
        if account == DEFAULT_ACCOUNT:
            return keys
        return assumed_credentials(self.endpoint, self.region, account, keys)

    def client(self, service: str, account: str = DEFAULT_ACCOUNT, **kwargs):
        """A boto3 client straight to moto, acting in ACCOUNT."""
        return _boto3().client(
            service, endpoint_url=self.endpoint, region_name=self.region, **self.credentials(account), **kwargs
        )


class MotoServer:
    """moto alone (with localaws's ECR extensions) on a free port; its output in LOG_DIR/moto-PORT.log. ENV: extra
    environment (added to support.clean_env()), e.g. {"INITIAL_NO_AUTH_ACTION_COUNT": "0"}."""

    def __init__(self, log_dir: Path, port: int | None = None, env: dict | None = None):
        self.port = free_port_block(1) if port is None else port
        self.url = f"http://127.0.0.1:{self.port}"
        log = Path(log_dir) / f"moto-{self.port}.log"
        self.process = Process(moto_argv(self.port), log, {**clean_env(), **(env or {})})
        try:
            wait_http(f"{self.url}/moto-api/", timeout=60, alive=lambda: self.process.popen.poll() is None)
        except (OSError, RuntimeError) as failure:
            self.process.stop()
            raise RuntimeError(f"moto did not start on port {self.port}; see {self.process.log}") from failure

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        self.process.stop()
