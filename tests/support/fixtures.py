# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""pytest fixtures starting the emulator; a suite's conftest.py imports the ones it uses:

from support.fixtures import emulator_factory, moto_server  # noqa: F401  pylint: disable=unused-import
"""

from __future__ import annotations

import pytest

from .emulator import Emulator, MotoServer, have_registry


def require_registry() -> None:
    if not have_registry():
        pytest.skip("docker-registry is not installed (Debian package docker-registry; make setup); localaws needs it")


@pytest.fixture
def emulator_factory(tmp_path):
    """``make(accounts, name="localaws", region="us-east-1")``: a running Emulator in TMP_PATH/NAME; every
    stack made is brought down (and its registry storage removed) when the test ends."""
    require_registry()
    stacks: list[Emulator] = []

    def make(accounts, name: str = "localaws", region: str = "us-east-1") -> Emulator:
        stack = Emulator(tmp_path / name, accounts, region)
        stacks.append(stack)
        return stack.up()

    yield make
    for stack in stacks:
        stack.down()


@pytest.fixture
def moto_server(tmp_path):
    """moto alone with localaws's ECR extensions, on a free port, for one test."""
    server = MotoServer(tmp_path)
    yield server
    server.stop()
