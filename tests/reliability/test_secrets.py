# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""No token, password or secret key in any output or artifact.

The secrets are the emulator's: the distinctive secret key the runs use, the ECR passwords and
authorization tokens of every account (``<account>-auth-token`` and its base64 form), and every STS
secret key and session token the proxies saw moto hand out (moto's session tokens also share a
prefix, which is searched for as well).

- ``test_outputs_and_artifacts_hold_no_secret`` scans what every ansible-playbook run of this session
  wrote (stdout, stderr, ANSIBLE_LOG_PATH, its temporary directories) at -vvv, after a run of its own
  with ``--diff``; and the expiry caches and lock files next to the auth files (the auth files
  themselves are where a login must put its token).
- ``test_integration_suite_at_vvv`` runs every integration target at -vvv against a localaws stack
  (a few minutes: set DOCKYARD_SECRETS_FULL=1), or scans the output of a run made elsewhere
  (DOCKYARD_INTEGRATION_LOG=FILE_OR_DIRECTORY, for example ``ansible-test integration -vvv`` output).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from conftest import (
    ACCESS_KEY,
    ARTIFACTS,
    AUTH_DIRS,
    DEFAULT_ACCOUNT,
    PLAYBOOKS,
    REGION,
    ROOT,
    SECRET_KEY,
    SECRETS,
    Ansible,
    ecr_password,
    ecr_token,
    remember_account_secrets,
)

SESSION_TOKEN_PREFIX = "FQoGZXIvYXdzEBYaD"  # moto's STS session tokens
TARGETS = ROOT / "tests" / "integration" / "targets"
SECOND_ACCOUNT = "111111111111"


def scan(paths, secrets) -> list[str]:
    """``FILE:LINE: what`` for every secret found; the secrets themselves are not repeated."""
    needles = {secret: f"{secret[:4]}... ({len(secret)} characters)" for secret in secrets if len(secret) >= 8}
    needles[SESSION_TOKEN_PREFIX] = "an STS session token (moto's prefix)"
    found = []
    for path in sorted({Path(p) for p in paths}):
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        for secret, label in needles.items():
            index = text.find(secret)
            if index >= 0:
                found.append(f"{path}:{text.count(chr(10), 0, index) + 1}: {label}")
    return found


def auth_dir_artifacts(base: Path) -> list[Path]:
    """Everything next to the auth files under ``base`` except the auth files (expiry caches, locks)."""
    return [p for p in base.rglob("*") if p.is_file() and p.name not in ("config.json", "auth.json")]


def test_the_scan_finds_what_it_looks_for(tmp_path):
    leak = tmp_path / "leak.log"
    leak.write_text(f"line one\n  token: {ecr_token(DEFAULT_ACCOUNT)}\nsession {SESSION_TOKEN_PREFIX}abc\n")
    assert scan([leak], {ecr_token(DEFAULT_ACCOUNT)}) == [
        f"{leak}:2: {ecr_token(DEFAULT_ACCOUNT)[:4]}... (36 characters)",
        f"{leak}:3: an STS session token (moto's prefix)",
    ]


def test_outputs_and_artifacts_hold_no_secret(emulators, tmp_path):
    remember_account_secrets(DEFAULT_ACCOUNT, SECOND_ACCOUNT)
    artifacts = list(ARTIFACTS)
    auth_dirs = list(AUTH_DIRS)
    if not any(p.name.startswith("modules-") and p.name.endswith(".stdout") for p in artifacts):
        # Run alone: make the module playbook's output (at -vvv, with --diff) here.
        moto = emulators.moto()
        proxy = emulators.proxy(moto.url)
        auth_dir = tmp_path / "auth"
        run = Ansible(tmp_path / "ansible").run(
            PLAYBOOKS / "modules.yml",
            "modules-secrets",
            extra_vars={
                "aws_endpoint_url": proxy.url,
                "aws_access_key": ACCESS_KEY,
                "aws_secret_key": SECRET_KEY,
                "account_b": SECOND_ACCOUNT,
                "prefix": "secrets",
                "auth_dir": str(auth_dir),
                "host_a": "registry-a.secrets.test:5000",
                "host_b": "registry-b.secrets.test:5000",
                "results_file": str(tmp_path / "results.json"),
            },
            args=("--diff",),
        )
        assert run.rc == 0, run.tail()
        proxy.harvest()
        # The logins did write the tokens where they belong.
        assert ecr_token(DEFAULT_ACCOUNT) in (auth_dir / "docker" / "config.json").read_text()
        artifacts += [p for p in (tmp_path / "ansible").rglob("*") if not p.name.endswith(".vars.json")]
        auth_dirs.append(auth_dir)
    for auth_dir in auth_dirs:
        artifacts += auth_dir_artifacts(auth_dir)
    secrets = set(SECRETS)
    assert any(s.startswith(SESSION_TOKEN_PREFIX) for s in secrets), "no role was assumed: nothing to look for"
    assert len(artifacts) > 5
    found = scan(artifacts, secrets)
    assert not found, "secrets in the output:\n" + "\n".join(found)


def integration_targets() -> list[Path]:
    found = []
    for target in sorted(TARGETS.iterdir()):
        aliases = (target / "aliases").read_text().split() if (target / "aliases").exists() else []
        if target.name.startswith("setup_") or {"disabled", "hidden", "unsupported"} & set(aliases):
            continue
        if (target / "tasks" / "main.yml").exists():
            found.append(target)
    return found


def run_targets(localaws, emulators, tmp_path) -> tuple[list[Path], set]:
    """Every integration target at -vvv, two at a time, through a fault-free proxy; (artifacts, secrets)."""
    stack = localaws([DEFAULT_ACCOUNT, SECOND_ACCOUNT], "integration")
    proxy = emulators.proxy(stack.moto_url)
    ansible = Ansible(tmp_path / "ansible")
    remote_tmp = tmp_path / "remote-tmp"
    pending, running, artifacts = integration_targets(), [], []
    while pending or running:
        while pending and len(running) < 2:
            target = pending.pop(0)
            playbook = tmp_path / f"{target.name}.yml"
            playbook.write_text(
                json.dumps([{"hosts": "localhost", "connection": "local", "gather_facts": False,
                             "roles": [{"role": str(target)}]}])  # fmt: skip
            )
            extra = {
                "aws_access_key": ACCESS_KEY,
                "aws_secret_key": SECRET_KEY,
                "aws_region": REGION,
                "aws_endpoint_url": proxy.url,
                "resource_prefix": f"vvv-{target.name}",
                "localaws_account_id": DEFAULT_ACCOUNT,
                "localaws_registry_host": stack.host(DEFAULT_ACCOUNT),
                "localaws_second_account_id": SECOND_ACCOUNT,
                "localaws_second_registry_host": stack.host(SECOND_ACCOUNT),
                "localaws_ca_file": stack.client_env["LOCALAWS_CA_FILE"],
                "ansible_python_interpreter": sys.executable,
            }
            env = {"ANSIBLE_ROLES_PATH": str(TARGETS), "ANSIBLE_REMOTE_TEMP": str(remote_tmp)}
            running.append(ansible.start(playbook, f"vvv-{target.name}", extra_vars=extra, env=env, args=("--diff",)))
        run = running.pop(0).wait(timeout=1200)
        assert run.rc == 0, f"{run.name} failed:\n{run.tail()}"
    artifacts += [p for p in tmp_path.rglob("*") if p.is_file() and not p.name.endswith(".vars.json")]
    return artifacts, set(SECRETS) | set(proxy.harvest()["secrets"])


def test_integration_suite_at_vvv(request, emulators, tmp_path):
    given = os.environ.get("DOCKYARD_INTEGRATION_LOG")
    accounts = os.environ.get("DOCKYARD_INTEGRATION_ACCOUNTS", f"{DEFAULT_ACCOUNT} {SECOND_ACCOUNT}").split()
    if given:
        path = Path(given)
        artifacts = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        secrets = {ecr_password(a) for a in accounts} | {ecr_token(a) for a in accounts}
        if os.environ.get("DOCKYARD_INTEGRATION_SECRET_KEY"):
            secrets.add(os.environ["DOCKYARD_INTEGRATION_SECRET_KEY"])
    elif os.environ.get("DOCKYARD_SECRETS_FULL") == "1":
        remember_account_secrets(DEFAULT_ACCOUNT, SECOND_ACCOUNT)
        artifacts, secrets = run_targets(request.getfixturevalue("localaws"), emulators, tmp_path)
    else:
        pytest.skip(
            "the integration suite at -vvv takes several minutes here: set DOCKYARD_SECRETS_FULL=1 to run it, or "
            "DOCKYARD_INTEGRATION_LOG to the output of an `ansible-test integration -vvv` run to scan it"
        )
    assert artifacts, "nothing to scan"
    found = scan(artifacts, secrets)
    assert not found, "secrets in the output:\n" + "\n".join(found)
