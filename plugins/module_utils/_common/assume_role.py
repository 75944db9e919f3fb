# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A module that works in another account: ``role_arn`` assumed (``sts:AssumeRole``) inside the module.

``configure.yml`` used to assume each account's role with a separate ``amazon.aws.sts_assume_role`` task and
hand its credentials to the next module: a second Python process per account (boto3 imported, a client made,
about 0.7 s of CPU on the controller), and the role's secrets travelling through a registered variable.
With ``role_arn``, the module assumes the role with its own credentials, once, and every client it makes
afterwards (``module.client``, ``ecr_client``) acts as the role; the secrets never leave the module and are
added to its ``no_log`` values.
"""

from ansible_collections.dockyard.ecr.plugins.module_utils._common.clients import ecr_client
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError, error_code, translate_errors
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import validate_role_arn

DEFAULT_SESSION_NAME = "dockyard-ecr"

# The argument spec of the two options (the doc fragment dockyard.ecr.assume_role documents them).
ASSUME_ROLE_OPTIONS = dict(
    role_arn=dict(type="str"),
    role_session_name=dict(type="str", default=DEFAULT_SESSION_NAME),
)

_DENIED = ("AccessDenied", "AccessDeniedException")


def assume_role(module, role_arn, session_name=DEFAULT_SESSION_NAME, region=None):
    """The temporary credentials of ``role_arn``, assumed with the module's credentials, as boto3 client keyword
    arguments. The secret key and session token join the module's no_log values. A role that cannot be
    assumed raises ECRError naming the role and what to check."""
    sts = ecr_client(module, "sts", **({"region": region} if region else {}))
    try:
        with translate_errors(f"assume the role {role_arn}"):
            response = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name, aws_retry=True)
    except ECRError as e:
        if error_code(e) not in _DENIED:
            raise
        raise ECRError(
            message=(
                f"role_arn: the role {role_arn} cannot be assumed (nothing was changed in its account): it must exist "
                "in its account and its trust policy must let the credentials that run the module assume it"
            ),
            exception=e.exception,
            option="role_arn",
        ) from e
    credentials = response["Credentials"]
    for secret in (credentials["SecretAccessKey"], credentials["SessionToken"]):
        module.no_log_values.add(secret)
    return {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }


def act_as_role(module):
    """When the module's ``role_arn`` is set: assume the role and make every client the module makes afterwards act
    as the role (its credentials replace the module's access_key, secret_key and session_token; a profile is
    dropped). Returns True when a role was assumed. Call it before the first client is made."""
    role_arn = validate_role_arn(module.params.get("role_arn"))
    if role_arn is None:
        return False
    session_name = module.params.get("role_session_name") or DEFAULT_SESSION_NAME
    credentials = assume_role(module, role_arn, session_name)
    module.params.update(
        access_key=credentials["aws_access_key_id"],
        secret_key=credentials["aws_secret_access_key"],
        session_token=credentials["aws_session_token"],
        profile=None,
    )
    return True
