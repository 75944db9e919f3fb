"""The processes `up` starts (moto, the bridge, one registry per account): descriptions, health checks, pid
records, start and stop."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from .config import LOOPBACK, PACKAGE, Config, LocalAWSError
from .files import write_if_changed

CLI = PACKAGE / "localaws"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
# Variables that would steer a child away from the configuration written for it.
CHILD_ENV_DROP = re.compile(r"^(REGISTRY_|MOTO_|AWS_)")


@dataclasses.dataclass
class Service:
    name: str
    label: str
    url: str
    port: int
    argv: list[str]
    fingerprint: str
    healthy: Callable[[], bool]
    env: tuple[tuple[str, str], ...] = ()


def fingerprint(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def code_fingerprint(*names: str) -> str:
    """The fingerprint of this package's source files under NAMES (a changed emulator restarts on `up`)."""
    files = sorted(
        p for name in names for p in ((PACKAGE / name).rglob("*.py") if (PACKAGE / name).is_dir() else [PACKAGE / name])
    )
    return fingerprint(CLI, *files)


def open_local(request: urllib.request.Request | str, context: ssl.SSLContext | None = None, timeout: float = 2.0):
    """urlopen for our loopback services, never through a proxy named in the environment."""
    handlers: list = [urllib.request.ProxyHandler({})]
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    return urllib.request.build_opener(*handlers).open(request, timeout=timeout)


def http_get(url: str, context: ssl.SSLContext | None = None) -> tuple[int, dict, bytes]:
    try:
        with open_local(url, context) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def answers(
    url: str, status: int, marker: bytes = b"", header: tuple | None = None, cafile: Path | None = None
) -> bool:
    """True when URL answers STATUS with MARKER in its body (and HEADER, a (name, value) pair, when given)."""
    try:
        context = ssl.create_default_context(cafile=str(cafile)) if cafile else None
        got, headers, body = http_get(url, context)
    except (OSError, ssl.SSLError, http.client.HTTPException):  # HTTPException: a socket connected to itself
        return False
    return got == status and marker in body and (header is None or headers.get(header[0]) == header[1])


def moto_healthy(url: str) -> bool:
    return answers(f"{url}/moto-api/", 200, b"<title>Moto</title>")


def registry_healthy(config: Config, account: str) -> bool:
    url = f"https://{config.registry_host(account)}/v2/"
    return answers(url, 401, header=("Docker-Distribution-Api-Version", "registry/2.0"), cafile=config.ca_file)


def bridge_healthy(config: Config) -> bool:
    return answers(f"{config.bridge_url}/health", 200, b"localaws-bridge")


def registry_binary() -> str:
    return shutil.which("docker-registry") or "/usr/bin/docker-registry"


def moto_argv(port: int) -> list[str]:
    """moto's server with this package's ECR extensions (ecr_extensions/) installed first."""
    return [sys.executable, str(CLI), "moto", "-H", LOOPBACK, "-p", str(port)]


def build_services(config: Config) -> list[Service]:
    """Service descriptions; writes nothing, so status and down can use it too."""
    tls = config.home / "tls"
    services = [
        Service(
            "moto",
            "moto (ECR, IAM, STS)",
            config.moto_url,
            config.moto_port,
            moto_argv(config.moto_port),
            code_fingerprint("motoserver.py", "ecr_extensions") + json.dumps(config.moto_env),
            lambda: moto_healthy(config.moto_url),
            config.moto_env,
        ),
        Service(
            "bridge",
            "bridge (push -> PutImage)",
            config.bridge_url,
            config.bridge_port,
            [sys.executable, str(CLI), "bridge", "--config", str(config.home / "bridge.json")],
            fingerprint(config.home / "bridge.json", PACKAGE / "bridge.py"),
            lambda: bridge_healthy(config),
        ),
    ]
    for account in config.accounts:
        base = config.home / "registry" / account
        services.append(
            Service(
                f"registry-{account}",
                f"registry {account}",
                f"https://{config.registry_host(account)}",
                config.registry_port_of(account),
                [registry_binary(), "serve", str(base / "config.yml")],
                fingerprint(base / "config.yml", base / "htpasswd", tls / "server.crt", tls / "server.key"),
                lambda account=account: registry_healthy(config, account),
            )
        )
    return services


def read_record(path: Path) -> dict | None:
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("pid"), int) else None


def cmdline(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.rstrip(b"\0").decode(errors="replace").split("\0") if raw else None


def is_ours(record: dict | None) -> bool:
    """True when the recorded pid is alive and still runs the command we started (not a reused pid)."""
    return bool(record) and cmdline(record["pid"]) == record.get("argv")


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((LOOPBACK, port)) == 0


def child_environment() -> dict:
    env = {name: value for name, value in os.environ.items() if not CHILD_ENV_DROP.match(name)}
    no_proxy = ",".join(filter(None, [env.get("no_proxy") or env.get("NO_PROXY"), LOOPBACK, "localhost"]))
    return {**env, "no_proxy": no_proxy, "NO_PROXY": no_proxy}  # the bridge's boto3 talks to moto directly


def start(config: Config, service: Service) -> subprocess.Popen:
    log_path = config.log_file(service.name)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log_handle:
        process = subprocess.Popen(  # pylint: disable=consider-using-with  # detached on purpose
            service.argv,
            stdin=subprocess.DEVNULL,
            stdout=log_handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=config.home,
            env={**child_environment(), **dict(service.env)},
        )
    record = {"pid": process.pid, "argv": service.argv, "fingerprint": service.fingerprint, "port": service.port}
    write_if_changed(config.run_dir / f"{service.name}.pid", json.dumps(record).encode())
    return process


def stop(path: Path) -> int | None:
    """Stop the process a pid file names if it is still ours; remove the pid file. Returns the pid stopped."""
    record = read_record(path)
    stopped = None
    if record is not None and is_ours(record):
        pid = record["pid"]
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while cmdline(pid) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        if cmdline(pid) is not None:
            os.kill(pid, signal.SIGKILL)
        stopped = pid
    path.unlink(missing_ok=True)
    return stopped


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return ""
    return "\n".join("    " + line for line in text)


def exited(service: Service, processes: dict, records: dict) -> int | None:
    """The exit status of a service that died, else None. /proc/PID/cmdline can read empty while a child is
    still inside execve, so children started by this run are asked through their Popen object."""
    if service.name in processes:
        return processes[service.name].poll()
    return None if is_ours(records[service.name]) else -1


def wait_healthy(config: Config, services: list[Service], processes: dict, records: dict) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    pending = list(services)
    while pending:
        for service in list(pending):
            if service.healthy():
                pending.remove(service)
                continue
            status = exited(service, processes, records)
            if status is not None:
                path = config.log_file(service.name)
                raise LocalAWSError(f"{service.name} exited ({status}) during start; see {path}:\n{log_tail(path)}")
        if pending and time.monotonic() > deadline:
            names = ", ".join(f"{s.name} (log: {config.log_file(s.name)})" for s in pending)
            raise LocalAWSError(f"not healthy after {START_TIMEOUT:.0f}s: {names}; `down` stops the rest")
        if pending:
            time.sleep(0.1)


def check_tools() -> None:
    missing = [tool for tool in ("openssl",) if shutil.which(tool) is None]
    if not Path(registry_binary()).exists():
        missing.append("docker-registry")
    if missing:
        raise LocalAWSError(f"missing {', '.join(missing)}: install the Debian packages of the same name")


@contextlib.contextmanager
def state_lock(config: Config):
    """Serialise up and down on one state directory (parallel test jobs may all call up)."""
    config.home.mkdir(parents=True, exist_ok=True)
    with open(config.home / ".lock", "w", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
