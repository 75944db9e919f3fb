# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge the registry's replication configuration: read, merge with the request, write only when it differs.

The same path in check mode (``after`` is then the configuration that would be written). Used by
``ecr_replication``.
"""

from ansible_collections.dockyard.ecr.plugins.module_utils._api.replication import put_replication, read_replication
from ansible_collections.dockyard.ecr.plugins.module_utils._models.replication import (
    complete_request,
    desired_rules,
    destination_policies,
    normalize,
    rules_differ,
    to_snake,
)


def converge_replication(client, rules, state="present", purge_rules=True, check_mode=False, current=None):
    """Make the replication rules match the request: (changed, before, after), rules in ECR's shape."""
    target = desired_rules(current, rules, state, purge_rules)
    if not rules_differ(current, target):
        return False, current, current
    if check_mode:
        return True, current, target
    written = put_replication(client, target)
    return True, current, written if written is not None else target


def run(client, request, region, check_mode=False):
    """What ``ecr_replication`` does for a ``validate_params`` request in ``region``: the module's result.

    One read (DescribeRegistry, which also names the account), the request checked against that account, then
    at most one write.
    """
    registry_id, current = read_replication(client)
    request = complete_request(request, registry_id, region)
    changed, before, after = converge_replication(
        client, request["rules"], request["state"], request["purge_rules"], check_mode, current
    )
    return {
        "changed": changed,
        "registry_id": registry_id,
        "region": region,
        "replication_configuration": {"rules": to_snake(after)},
        "destination_policies": destination_policies(registry_id, region, after),
        "diff": {"before": {"rules": to_snake(normalize(before))}, "after": {"rules": to_snake(normalize(after))}},
    }
