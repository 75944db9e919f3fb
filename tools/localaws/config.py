"""Configuration: ports, accounts, region and state directory, from LOCALAWS_* variables or given directly."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE.parents[1]
LOOPBACK = "127.0.0.1"
MOTO_DEFAULT_ACCOUNT = "123456789012"  # the account moto's dummy keys act in
DUMMY_KEY = "testing"
DEFAULT_REGION = "us-east-1"
DEFAULT_PORTS = {"LOCALAWS_MOTO_PORT": 45100, "LOCALAWS_BRIDGE_PORT": 45101, "LOCALAWS_REGISTRY_PORT": 45443}
ACCOUNT_RE = re.compile(r"\d{12}")
REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")


class LocalAWSError(Exception):
    """An error reported to the user as one line (the command line exits 1)."""


@dataclasses.dataclass(frozen=True)
class Config:
    home: Path
    moto_port: int
    bridge_port: int
    registry_port: int
    accounts: tuple[str, ...]
    region: str
    # Extra environment of the moto server, e.g. (("INITIAL_NO_AUTH_ACTION_COUNT", "0"),) to make moto check
    # credentials (Python API only; the command line never sets it).
    moto_env: tuple[tuple[str, str], ...] = ()

    @classmethod
    def create(
        cls,
        home: Path | str,
        moto_port: int,
        bridge_port: int | None = None,
        registry_port: int | None = None,
        accounts: tuple[str, ...] | list[str] = (MOTO_DEFAULT_ACCOUNT,),
        region: str = DEFAULT_REGION,
        moto_env: dict | None = None,
    ) -> "Config":
        """A checked configuration; the bridge and registry ports default to the ports after moto's."""
        config = cls(
            home=Path(home).absolute(),
            moto_port=moto_port,
            bridge_port=moto_port + 1 if bridge_port is None else bridge_port,
            registry_port=moto_port + 2 if registry_port is None else registry_port,
            accounts=tuple(accounts),
            region=region,
            moto_env=tuple(sorted((moto_env or {}).items())),
        )
        config.check()
        return config

    def check(self) -> None:
        if not REGION_RE.fullmatch(self.region):
            raise LocalAWSError(f"LOCALAWS_REGION={self.region!r} does not look like an AWS region (e.g. us-east-1)")
        if not self.accounts:
            raise LocalAWSError("LOCALAWS_ACCOUNTS: give at least one account")
        for account in self.accounts:
            if not ACCOUNT_RE.fullmatch(account):
                raise LocalAWSError(f"LOCALAWS_ACCOUNTS: {account!r} is not a 12-digit AWS account ID")
        registry_ports = [self.registry_port_of(account) for account in self.accounts]
        if registry_ports[-1] > 65535:
            raise LocalAWSError("LOCALAWS_REGISTRY_PORT: too high for one port per account")
        if len({self.moto_port, self.bridge_port, *registry_ports}) != 2 + len(registry_ports):
            raise LocalAWSError(
                f"ports overlap: moto {self.moto_port}, bridge {self.bridge_port}, registries {registry_ports}"
            )

    @property
    def moto_url(self) -> str:
        return f"http://{LOOPBACK}:{self.moto_port}"

    @property
    def bridge_url(self) -> str:
        return f"http://{LOOPBACK}:{self.bridge_port}"

    @property
    def ca_file(self) -> Path:
        return self.home / "ca" / "ca.crt"

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    def log_file(self, name: str) -> Path:
        return self.home / "logs" / f"{name}.log"

    def registry_port_of(self, account: str) -> int:
        return self.registry_port + self.accounts.index(account)

    def registry_host(self, account: str) -> str:
        return f"{LOOPBACK}:{self.registry_port_of(account)}"


def registry_password(account: str) -> str:
    """The password inside the token moto's GetAuthorizationToken returns for ACCOUNT."""
    return f"{account}-auth-token"


def _port(environ: dict, name: str) -> int:
    raw = environ.get(name, "").strip() or str(DEFAULT_PORTS[name])
    if not raw.isdigit() or not 1024 <= int(raw) <= 65535:
        raise LocalAWSError(f"{name}={raw!r} is not a port number between 1024 and 65535")
    return int(raw)


def _accounts(environ: dict) -> tuple[str, ...]:
    raw = environ.get("LOCALAWS_ACCOUNTS", "").strip() or MOTO_DEFAULT_ACCOUNT
    accounts: list[str] = []
    for account in re.split(r"[\s,]+", raw):
        if not ACCOUNT_RE.fullmatch(account):
            raise LocalAWSError(f"LOCALAWS_ACCOUNTS: {account!r} is not a 12-digit AWS account ID")
        if account not in accounts:
            accounts.append(account)
    return tuple(accounts)


def load_config(environ) -> Config:
    """The configuration the LOCALAWS_* variables of ENVIRON describe (README.md lists them)."""
    region = environ.get("LOCALAWS_REGION", "").strip() or DEFAULT_REGION
    if not REGION_RE.fullmatch(region):
        raise LocalAWSError(f"LOCALAWS_REGION={region!r} does not look like an AWS region (e.g. us-east-1)")
    return Config.create(
        home=Path(environ.get("LOCALAWS_HOME", "").strip() or REPO_ROOT / ".localaws"),
        moto_port=_port(environ, "LOCALAWS_MOTO_PORT"),
        bridge_port=_port(environ, "LOCALAWS_BRIDGE_PORT"),
        registry_port=_port(environ, "LOCALAWS_REGISTRY_PORT"),
        accounts=_accounts(environ),
        region=region,
    )


def client_environment(config: Config) -> dict:
    """The variables that point AWS clients and container tools at the emulator (no secrets)."""
    first = config.accounts[0]
    env = {
        "AWS_ENDPOINT_URL": config.moto_url,
        "AWS_ACCESS_KEY_ID": DUMMY_KEY,
        "AWS_SECRET_ACCESS_KEY": DUMMY_KEY,
        "AWS_REGION": config.region,
        "AWS_DEFAULT_REGION": config.region,
        "LOCALAWS_ACCOUNT_ID": first,
        "LOCALAWS_REGISTRY_HOST": config.registry_host(first),
        "LOCALAWS_CA_FILE": str(config.ca_file),
    }
    for account in config.accounts:
        env[f"LOCALAWS_REGISTRY_HOST_{account}"] = config.registry_host(account)
    return env


def registries(config: Config) -> list[dict]:
    return [{"account": a, "region": config.region, "host": config.registry_host(a)} for a in config.accounts]
