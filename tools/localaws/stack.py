"""LocalAWS: the Python API of the emulator (what the command line and the test fixtures call)."""

from __future__ import annotations

import dataclasses
import shutil

from . import files, services
from .config import Config, LocalAWSError, client_environment, registries


@dataclasses.dataclass(frozen=True)
class ServiceState:
    name: str
    label: str
    url: str
    pid: int | None
    state: str  # up: "started" or "already running"; status: "up", "unhealthy" or "down"


class LocalAWS:
    """One emulator, described by CONFIG: `up()` starts what is not running, `down()` stops what `up` started."""

    def __init__(self, config: Config):
        self.config = config

    def up(self) -> list[ServiceState]:
        """Start what is not running and healthy (idempotent); wait until every part answers."""
        with services.state_lock(self.config):
            return self._up()

    def _up(self) -> list[ServiceState]:
        config = self.config
        services.check_tools()
        files.prepare_files(config)
        described = services.build_services(config)
        records = {}
        for service in described:
            path = config.run_dir / f"{service.name}.pid"
            record = services.read_record(path)
            if (
                services.is_ours(record)
                and record["argv"] == service.argv
                and record["fingerprint"] == service.fingerprint
            ):
                records[service.name] = record
            else:
                services.stop(path)  # a stale pid file, or ours with an outdated configuration
        started = [service for service in described if service.name not in records]
        taken = [f"{service.port} ({service.name})" for service in started if services.port_in_use(service.port)]
        if taken:
            raise LocalAWSError(
                f"port {', '.join(taken)} in use by a process localaws did not start; "
                "stop it or choose other ports (LOCALAWS_*_PORT)"
            )
        processes = {service.name: services.start(config, service) for service in started}
        records.update({name: {"pid": process.pid} for name, process in processes.items()})
        services.wait_healthy(config, described, processes, records)
        return [
            ServiceState(
                s.name, s.label, s.url, records[s.name]["pid"], "started" if s in started else "already running"
            )
            for s in described
        ]

    def down(self, purge: bool = False) -> list[str]:
        """Stop what `up` started ("NAME (pid N)" each); PURGE also removes registry storage and trust entries."""
        if not self.config.home.is_dir():
            return []
        with services.state_lock(self.config):
            stopped = []
            if self.config.run_dir.is_dir():
                for path in sorted(self.config.run_dir.glob("*.pid")):
                    pid = services.stop(path)
                    if pid is not None:
                        stopped.append(f"{path.stem} (pid {pid})")
            if purge:
                shutil.rmtree(self.config.home / "registry", ignore_errors=True)
                files.remove_trust(self.config)
            return stopped

    def status(self) -> list[ServiceState]:
        states = []
        for service in services.build_services(self.config):
            record = services.read_record(self.config.run_dir / f"{service.name}.pid")
            running = record is not None and services.is_ours(record)
            healthy = running and service.healthy()
            state = "up" if healthy else ("unhealthy" if running else "down")
            states.append(
                ServiceState(service.name, service.label, service.url, record["pid"] if running else None, state)
            )
        return states

    def healthy(self) -> bool:
        return all(state.state == "up" for state in self.status())

    def pids(self) -> dict[str, int]:
        """The pid of every part `up` started and that still runs, by name (moto, bridge, registry-ACCOUNT)."""
        found = {}
        for path in sorted(self.config.run_dir.glob("*.pid")) if self.config.run_dir.is_dir() else []:
            record = services.read_record(path)
            if record is not None and services.is_ours(record):
                found[path.stem] = record["pid"]
        return found

    def env(self) -> dict[str, str]:
        """The variables that point clients at the emulator (`env`); needs no running stack."""
        return client_environment(self.config)

    def env_json(self) -> dict:
        """`env --format json`: the variables plus `registries`, a list of {account, region, host}."""
        return {**self.env(), "registries": registries(self.config)}
