# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge the caller's registry scanning configuration (``ecr_registry_scanning``): read, compare, put."""

from ansible_collections.dockyard.ecr.plugins.module_utils._api.registry_scanning import (
    get_scanning_configuration,
    put_scanning_configuration,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models import registry_scanning


def run(client, request, check_mode=False):
    """The module's result for a ``registry_scanning.validate_params`` request."""
    registry_id, configuration = get_scanning_configuration(client)
    before = registry_scanning.from_api(configuration)
    desired = registry_scanning.desired(request, before)
    changed = desired != before
    after = desired
    if changed and not check_mode:
        after = registry_scanning.from_api(put_scanning_configuration(client, registry_scanning.to_api(desired)))
    return {
        "changed": changed,
        "scanning_configuration": dict(after, registry_id=registry_id),
        "diff": {"before": before, "after": after},
    }
