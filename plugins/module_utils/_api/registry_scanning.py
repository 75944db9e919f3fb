# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The caller's registry scanning configuration: GetRegistryScanningConfiguration, PutRegistryScanningConfiguration."""

from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import translate_errors


def get_scanning_configuration(client):
    """(registry ID, scanningConfiguration as ECR returns it)."""
    with translate_errors("get the registry scanning configuration"):
        response = client.get_registry_scanning_configuration(aws_retry=True)
    return response.get("registryId"), response.get("scanningConfiguration") or {}


def put_scanning_configuration(client, params):
    """PutRegistryScanningConfiguration; returns the configuration ECR reports."""
    with translate_errors("put the registry scanning configuration"):
        response = client.put_registry_scanning_configuration(aws_retry=True, **params)
    return response.get("registryScanningConfiguration") or params
