# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The registry's replication configuration: DescribeRegistry (reader) and PutReplicationConfiguration.

ECR has no call to delete the configuration: putting no rules removes it.
"""

from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import translate_errors
from ansible_collections.dockyard.ecr.plugins.module_utils._models.replication import configuration


def read_replication(client):
    """(registry ID, rules in ECR's shape) of the credentials' registry in the client's region."""
    with translate_errors("describe the registry"):
        response = client.describe_registry(aws_retry=True)
    rules = (response.get("replicationConfiguration") or {}).get("rules") or []
    return response.get("registryId"), rules


def put_replication(client, rules):
    """Write the rules (ECR's shape); returns the rules as ECR stored them (the request's when it does not say)."""
    with translate_errors("put the replication configuration"):
        response = client.put_replication_configuration(replicationConfiguration=configuration(rules), aws_retry=True)
    stored = response.get("replicationConfiguration")
    return stored.get("rules") or [] if isinstance(stored, dict) else rules
