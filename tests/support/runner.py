# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""An AWX job as AWX runs it: ansible-runner transmit | worker | process over a private data directory."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def runner_command() -> str:
    """The venv's ansible-runner, else the one on PATH; skips the test when there is none."""
    path = BIN / "ansible-runner"
    if path.exists():
        return str(path)
    found = shutil.which("ansible-runner")
    if not found:
        pytest.skip("ansible-runner is not installed (requirements-dev.txt)")
    return found


def run_awx_job(pdd: Path, playbook: str, ident: str, timeout: int) -> subprocess.CompletedProcess:
    """transmit | worker | process: the controller, the execution node, the controller again.

    The job sees no AWS_* or ANSIBLE_* variable of this process: only what its private data directory gives it.
    """
    runner = runner_command()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    pipeline = (
        f"'{runner}' transmit '{pdd}' -p '{playbook}' --ident {ident}"
        f" | '{runner}' worker"
        f" | '{runner}' process '{pdd}' --ident {ident}"
    )
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", pipeline],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
