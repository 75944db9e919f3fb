# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # Descriptions of the attributes; each module states its support level next to them.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
      - This assumes that the system controlled/queried by the module has not changed in a relevant way.
"""

    # Modules in the dockyard.ecr action group (meta/runtime.yml). The group extends amazon.aws's
    # group, so group/dockyard.ecr.ecr also reaches the amazon.aws modules; group/amazon.aws.aws
    # does not reach ours (extend_group works in that one direction).
    ACTIONGROUP_ECR = r"""
options: {}
attributes:
  action_group:
    description:
      - Use C(group/dockyard.ecr.ecr) in C(module_defaults) to set defaults for this module. The group
        includes the C(amazon.aws.aws) group, so the same defaults also reach the amazon.aws modules.
    support: full
    membership:
      - dockyard.ecr.ecr
"""

    # For _info modules, together with DOCUMENTATION.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
  idempotent:
    support: full
    details:
      - This action does not modify state.
"""
