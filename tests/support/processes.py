# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Child processes of the tests (moto servers, proxies) with their output in a log file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
LEAKY_PREFIXES = ("AWS_", "ANSIBLE_", "MOTO_", "LOCALAWS_")


def clean_env(drop: tuple = LEAKY_PREFIXES) -> dict:
    """This process's environment without the caller's AWS, Ansible, moto and localaws settings, with loopback
    in no_proxy and the venv's bin first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["no_proxy"] = env["NO_PROXY"] = "127.0.0.1,localhost"
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


class Process:
    """A child process in its own session, output appended to LOG; ``stop`` terminates and waits for it."""

    def __init__(self, argv: list[str], log: Path, env: dict | None = None):
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self.handle = open(log, "ab")  # pylint: disable=consider-using-with
        self.popen = subprocess.Popen(  # pylint: disable=consider-using-with
            argv, stdout=self.handle, stderr=subprocess.STDOUT, env=env or clean_env(), start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.handle.close()
