# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every test suite (and bench/run.py) uses to start the local emulator: one home for each behaviour.

pytest finds this package through ``pythonpath = tests`` in the checkout's pytest.ini; scripts put
``<checkout>/tests`` on ``sys.path`` themselves. It puts ``<checkout>/tools`` there so ``localaws`` imports.

    from support import Emulator, MotoServer, free_port_block

    with Emulator.running(tmp_path / "la", accounts=["123456789012", "210987654321"], region="eu-west-1") as stack:
        stack.client("ecr")                      # boto3, moto's default account (dummy keys)
        stack.client("ecr", "210987654321")      # acting in another account (a role assumed through moto's STS)
        stack.endpoint, stack.host(account)      # AWS_ENDPOINT_URL, that account's registry 127.0.0.1:PORT
        stack.client_env                         # `localaws env --format json`
        stack.localaws_env                       # LOCALAWS_* (+ a clean environment) for the command line
        stack.cli("status")                      # the command line against this stack

    Emulator(home, accounts, region, moto_env={"INITIAL_NO_AUTH_ACTION_COUNT": "0"})   # moto checks credentials

    server = MotoServer(log_dir, env=None)       # moto alone (localaws's ECR extensions), free port
    server.url; server.pid; server.stop()

    age_images(stack.client("ecr"), "team/app", days=30)   # push times 30 days back (LocalawsAgeImages)

Fixtures (import them in a suite's conftest.py): ``support.fixtures.emulator_factory`` (function scope) and
``module_emulator_factory`` (module scope): ``make(accounts, name=..., region=..., **options)`` returns a running
Emulator, all brought down at the end; ``support.fixtures.moto_server``. Ports come from ``free_port_block``
(20000-29999 by default: below Linux's ephemeral ports and away from the fixed ports of make integration, demo,
molecule and bench).
"""

from .emulator import DEFAULT_ACCOUNT, Emulator, MotoServer, age_images, have_registry
from .ports import free_port_block, port_free, wait_http
from .processes import Process, clean_env

__all__ = [
    "DEFAULT_ACCOUNT",
    "Emulator",
    "MotoServer",
    "Process",
    "age_images",
    "clean_env",
    "free_port_block",
    "have_registry",
    "port_free",
    "wait_http",
]
