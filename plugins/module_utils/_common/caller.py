# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The account the credentials belong to (``sts:GetCallerIdentity``), asked once where it is needed."""

from ansible_collections.dockyard.ecr.plugins.module_utils._common.clients import ecr_client
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import translate_errors


def caller_account(module, region=None, hint=""):
    """The 12-digit account ID of the credentials (in ``region`` when given, else the module's).

    ``hint`` ends the failure message (``"; give registry_id instead"`` where the account can be given).
    """
    params = {"region": region} if region else {}
    client = ecr_client(module, "sts", **params)
    with translate_errors(f"find the caller's AWS account (sts:GetCallerIdentity){hint}"):
        return client.get_caller_identity(aws_retry=True)["Account"]
