# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The emulator's package (``tools/localaws``) importable, as tests/support arranges it for the other suites: the
registry-level converges are tested against in-process moto with the emulator's ECR extensions."""

import os
import sys

_TOOLS = os.path.join(os.path.abspath(__file__).split(os.sep + "tests" + os.sep)[0], "tools")
if _TOOLS not in sys.path:
    sys.path.append(_TOOLS)
