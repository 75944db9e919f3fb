"""Files `up` writes: the CA and the registries' server certificate, trust entries, htpasswd, the registry
and bridge configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .config import LOOPBACK, Config, LocalAWSError, registry_password

NEW_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
TRUST_ROOTS = (Path("/etc/containers/certs.d"), Path("/etc/docker/certs.d"))


def write_if_changed(path: Path, content: bytes, mode: int = 0o644) -> bool:
    if path.exists() and path.read_bytes() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(content)
    tmp.chmod(mode)
    tmp.replace(path)
    return True


def openssl(*args: str) -> None:
    result = subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LocalAWSError(f"openssl {args[0]} failed: {result.stderr.strip()}")


def ensure_ca(config: Config) -> None:
    """Make the CA once; it is kept across down (and --purge) so installed trust stays valid."""
    key = config.ca_file.with_name("ca.key")
    if config.ca_file.exists() and key.exists():
        return
    config.ca_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    extensions = ("-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    subject = ("-subj", "/CN=localaws local CA")
    files = ("-keyout", str(key), "-out", str(config.ca_file))
    openssl("req", "-x509", *NEW_KEY, *files, "-days", "3650", *subject, *extensions)
    key.chmod(0o600)


def server_cert_valid(cert: Path, ca_file: Path) -> bool:
    if not cert.exists():
        return False
    verify = subprocess.run(["openssl", "verify", "-CAfile", str(ca_file), str(cert)], capture_output=True, check=False)
    fresh = subprocess.run(
        ["openssl", "x509", "-noout", "-checkend", "86400", "-in", str(cert)], capture_output=True, check=False
    )
    return verify.returncode == 0 and fresh.returncode == 0


def ensure_server_cert(config: Config) -> tuple[Path, Path]:
    tls = config.home / "tls"
    cert, key, csr, ext = tls / "server.crt", tls / "server.key", tls / "server.csr", tls / "server.ext"
    if server_cert_valid(cert, config.ca_file) and key.exists():
        return cert, key
    tls.mkdir(parents=True, exist_ok=True, mode=0o700)
    ext.write_text(
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n"
    )
    openssl("req", *NEW_KEY, "-keyout", str(key), "-out", str(csr), "-subj", "/CN=localhost")
    signer = ("-CA", str(config.ca_file), "-CAkey", str(config.ca_file.with_name("ca.key")))
    serial = ("-set_serial", "0x" + os.urandom(16).hex())
    openssl("x509", "-req", "-in", str(csr), *signer, *serial, "-days", "825", "-extfile", str(ext), "-out", str(cert))
    key.chmod(0o600)
    csr.unlink()
    return cert, key


def trust_paths(config: Config) -> list[Path]:
    return [root / config.registry_host(a) / "ca.crt" for root in TRUST_ROOTS for a in config.accounts]


def install_trust(config: Config) -> None:
    ca = config.ca_file.read_bytes()
    for path in trust_paths(config):
        try:
            write_if_changed(path, ca)
        except PermissionError:
            print(f"localaws: warning: cannot write {path}; copy {config.ca_file} there as root", file=sys.stderr)


def remove_trust(config: Config) -> None:
    """Remove the trust entries that hold our CA (used by down --purge); leave anything else alone."""
    ca = config.ca_file.read_bytes() if config.ca_file.exists() else None
    for path in trust_paths(config):
        if ca is not None and path.exists() and path.read_bytes() == ca:
            path.unlink()
            if not any(path.parent.iterdir()):
                path.parent.rmdir()


def ensure_htpasswd(path: Path, password: str) -> None:
    import bcrypt  # pylint: disable=import-outside-toplevel  # only `up` needs it

    if path.exists():
        user, colon, hashed = path.read_text().strip().partition(":")
        if user == "AWS" and colon and hashed and bcrypt.checkpw(password.encode(), hashed.encode()):
            return
    # Low cost on purpose: the password is public (moto's token) and the registry checks it on every request.
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=5)).decode()
    write_if_changed(path, f"AWS:{hashed}\n".encode(), 0o600)


def http_secret(config: Config) -> str:
    """The registries' upload-state secret, made once (without one each registry logs a warning)."""
    path = config.home / "registry" / "http-secret"
    if not path.exists():
        write_if_changed(path, os.urandom(24).hex().encode(), 0o600)
    return path.read_text().strip()


def registry_config(config: Config, account: str, cert: Path, key: Path) -> dict:
    base = config.home / "registry" / account
    return {
        "version": 0.1,
        "log": {"level": "info", "fields": {"service": "registry", "account": account}},
        "storage": {
            "filesystem": {"rootdirectory": str(base / "storage")},
            "delete": {"enabled": True},
            "maintenance": {"uploadpurging": {"enabled": False}},
        },
        "http": {
            "addr": f"{LOOPBACK}:{config.registry_port_of(account)}",
            "secret": http_secret(config),
            "tls": {"certificate": str(cert), "key": str(key)},
            "headers": {"X-Content-Type-Options": ["nosniff"]},
        },
        "auth": {"htpasswd": {"realm": f"localaws-{account}", "path": str(base / "htpasswd")}},
        "notifications": {
            "endpoints": [
                {
                    "name": "localaws-bridge",
                    "url": f"{config.bridge_url}/events/{account}",
                    "timeout": "3s",
                    "threshold": 5,
                    "backoff": "1s",
                    "ignoredmediatypes": ["application/octet-stream"],
                    "ignore": {"actions": ["pull"]},
                }
            ]
        },
    }


def bridge_settings(config: Config) -> dict:
    return {
        "port": config.bridge_port,
        "moto_url": config.moto_url,
        "region": config.region,
        "ca_file": str(config.ca_file),
        "registries": {account: config.registry_port_of(account) for account in config.accounts},
    }


def prepare_files(config: Config) -> None:
    for directory in (config.home, config.run_dir, config.home / "logs"):
        directory.mkdir(parents=True, exist_ok=True)
    ensure_ca(config)
    cert, key = ensure_server_cert(config)
    install_trust(config)
    for account in config.accounts:
        base = config.home / "registry" / account
        (base / "storage").mkdir(parents=True, exist_ok=True)
        ensure_htpasswd(base / "htpasswd", registry_password(account))
        document = json.dumps(registry_config(config, account, cert, key), indent=2) + "\n"
        write_if_changed(base / "config.yml", document.encode(), 0o600)  # JSON is YAML
    write_if_changed(config.home / "bridge.json", (json.dumps(bridge_settings(config), indent=2) + "\n").encode())
