# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The runner tests' emulators come from tests/support: ``module_emulator_factory(accounts, region=...)`` gives a
running tools/localaws stack for a test module (see support/fixtures.py); support.Emulator for more control."""

# pylint: disable-next=unused-import
from support.fixtures import emulator_factory, module_emulator_factory  # noqa: F401
