# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge one repository creation template (``ecr_creation_template``): read, plan, create/update/delete."""

from ansible_collections.dockyard.ecr.plugins.module_utils._api import creation_templates as api
from ansible_collections.dockyard.ecr.plugins.module_utils._models import creation_template as model
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_rules import document_to_rules


def _view(template):
    """What the diff shows: the settings, the lifecycle policy as snake_case rules, no timestamps."""
    if not template:
        return {}
    view = {key: template.get(key) for key in ("prefix",) + model.SETTINGS}
    view["lifecycle_policy"] = (
        document_to_rules(template["lifecycle_policy"]) if template.get("lifecycle_policy") else None
    )
    return view


def run(client, request, check_mode=False):
    """The module's result for a ``creation_template.validate_params`` request."""
    prefix = request["prefix"]
    current = model.from_api(api.describe_template(client, prefix))
    action, after, _changed_keys = model.plan(request, current)
    if not check_mode:
        if action == "create":
            api.create_template(client, model.to_api(after))
        elif action == "update":
            api.update_template(client, model.to_api(after))
        elif action == "delete":
            api.delete_template(client, prefix)
        if action in ("create", "update"):
            after = model.from_api(api.describe_template(client, prefix)) or after
    return {
        "changed": action != "none",
        "repository_creation_template": after,
        "diff": {"before": _view(current), "after": _view(after)},
    }
