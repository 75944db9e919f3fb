# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""pytest fixtures starting the emulator; a suite's conftest.py imports the ones it uses:

    from support.fixtures import emulator_factory, moto_server  # noqa: F401  pylint: disable=unused-import

- ``emulator_factory`` (one test) and ``module_emulator_factory`` (one test module): ``make(accounts, name=
  "localaws", region="us-east-1", **options)`` returns a running ``support.Emulator`` (options: ``moto_env``,
  ports); every stack made is brought down, its registry storage removed, when the test or the module ends.
- ``moto_server``: moto alone with localaws's ECR extensions, on a free port, for one test.
"""

from __future__ import annotations

import contextlib

import pytest

from .emulator import Emulator, MotoServer, have_registry


def require_registry() -> None:
    if not have_registry():
        pytest.skip("docker-registry is not installed (Debian package docker-registry; make setup); localaws needs it")


@contextlib.contextmanager
def stacks_in(base):
    """A ``make`` function starting Emulators under BASE; all of them brought down on exit."""
    require_registry()
    stacks: list[Emulator] = []

    def make(accounts, name: str = "localaws", region: str = "us-east-1", **options) -> Emulator:
        stack = Emulator(base / name, accounts, region, **options)
        stacks.append(stack)
        return stack.up()

    try:
        yield make
    finally:
        for stack in stacks:
            stack.down()


@pytest.fixture
def emulator_factory(tmp_path):
    with stacks_in(tmp_path) as make:
        yield make


@pytest.fixture(scope="module")
def module_emulator_factory(tmp_path_factory):
    with stacks_in(tmp_path_factory.mktemp("localaws")) as make:
        yield make


@pytest.fixture
def moto_server(tmp_path):
    server = MotoServer(tmp_path)
    yield server
    server.stop()
