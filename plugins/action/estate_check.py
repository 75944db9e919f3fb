# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""dockyard.ecr.estate_check: one host's part of the estate, checked on the controller (no module, no AWS call).

The estate model is imported at the top on purpose: ansible-core's linear strategy loads a task's action plugin
class in the controller's main process, so the model is imported (and compiled) once there, and every worker
process forked afterwards (one per task and host) finds it in ``sys.modules`` when a dockyard.ecr filter needs it
(docs/performance.md).
"""

import json

from ansible.plugins.action import ActionBase
from ansible_collections.dockyard.ecr.plugins.module_utils._common import partitions
from ansible_collections.dockyard.ecr.plugins.module_utils._models import estate

partitions.warm()

# option: the variable it is read from when not set (the variables configure.yml documents). Reading the estate
# from the variable, not from a templated argument, keeps it out of the task's arguments, which ansible-core
# would otherwise validate (a deep copy) and send back from every worker with the result.
VARIABLES = {
    "host": "inventory_hostname",
    "groups": "group_names",
    "account_id": "aws_account_id",
    "region": "aws_region",
    "role_arn": "aws_role_arn",
    "registries": "ecr_registries",
    "configure_registries": "configure_registries",
    "roles": "remote_access_roles",
    "legacy_repositories": "ecr_repositories",
    "registry": "ecr_registry",
}


def _templated(templar, value):
    """The variable's value, templated only when it holds a template: ansible-core's templating copies and tags every
    element of a container (0.1 s for an estate of 1,000 repositories here, on every host), which a plain search
    for Jinja's delimiters in the value's JSON text avoids for the usual estate of plain data."""
    if isinstance(value, (dict, list)):
        text = json.dumps(value, default=str)
        if not any(marker in text for marker in ("{{", "{%", "{#")):
            return value
    return templar.template(value)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(VARIABLES)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        # The data is checked by the estate model (estate.host_problems), whose messages name the variable
        # (aws_account_id, ecr_registries[2].repositories[0].name, ...): taken as given, not typed here.
        values = {}
        for option, variable in VARIABLES.items():
            if self._task.args.get(option) is not None:
                values[option] = self._task.args[option]
            elif variable not in task_vars:
                values[option] = None
            elif option != "registries":
                values[option] = _templated(self._templar, task_vars[variable])
        host, groups = values.pop("host"), values.pop("groups") or []
        if "registries" not in values:
            # The estate from the variable: only what this host's check reads of it is templated (every entry's
            # own keys, the repositories of its own entry or, for a consumer, of all), so a host of a large
            # fleet does not touch the other registries' repositories (estate.host_registries).
            values["registries"] = estate.host_registries(
                task_vars[VARIABLES["registries"]],
                groups,
                values["account_id"],
                values["region"],
                values["registry"],
                template=lambda value: _templated(self._templar, value),
            )
        check = estate.host_check(host, groups, **values)
        result.update(check, changed=False)
        if check["problems"]:
            result["failed"] = True
            result["msg"] = estate.check_message(host, values["account_id"], values["region"], check["problems"])
        return result
