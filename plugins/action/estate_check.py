# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""dockyard.ecr.estate_check: one host's part of the estate, checked on the controller (no module, no AWS call).

The estate model is imported at the top on purpose: ansible-core's linear strategy loads a task's action plugin
class in the controller's main process, so the model is imported (and compiled) once there, and every worker
process forked afterwards (one per task and host) finds it in ``sys.modules`` when a dockyard.ecr filter needs it
(docs/performance.md).
"""

from ansible.plugins.action import ActionBase
from ansible_collections.dockyard.ecr.plugins.module_utils._models import estate

# The data options are checked by the estate model (estate.host_problems), whose messages name the variable
# (aws_account_id, ecr_registries[2].repositories[0].name, ...): here they are taken as given.
ARGUMENT_SPEC = {
    "host": {"type": "str"},
    "groups": {"type": "list", "elements": "str"},
    "account_id": {"type": "raw"},
    "region": {"type": "str"},
    "role_arn": {"type": "str"},
    "registries": {"type": "raw"},
    "configure_registries": {"type": "raw"},
    "roles": {"type": "raw"},
    "legacy_repositories": {"type": "raw"},
    "registry": {"type": "str"},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        host = args.pop("host") or task_vars.get("inventory_hostname")
        groups = args.pop("groups")
        if groups is None:
            groups = task_vars.get("group_names") or []
        check = estate.host_check(host, groups, **args)
        result.update(check, changed=False)
        if check["problems"]:
            result["failed"] = True
            result["msg"] = estate.check_message(host, args.get("account_id"), args.get("region"), check["problems"])
        return result
