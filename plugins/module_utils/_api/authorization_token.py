# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Registry logins: GetAuthorizationToken."""

from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import AuthError, translate_errors
from ansible_collections.dockyard.ecr.plugins.module_utils._models.auth_token import decode_authorization_token


def fetch_token(client, region):
    """One GetAuthorizationToken call (no registryIds: the token serves every registry the caller may use).

    Returns ``{"auth", "username", "password", "expires_at"}`` with expires_at as the response gave it.
    """
    with translate_errors(f"get an ECR authorization token in {region}"):
        response = client.get_authorization_token(aws_retry=True)
    data = response.get("authorizationData") or []
    if not data or not data[0].get("authorizationToken"):
        raise AuthError(message=f"Failed to get an ECR authorization token in {region}: the response holds none")
    token = data[0]["authorizationToken"]
    username, password = decode_authorization_token(token)
    return {"auth": token, "username": username, "password": password, "expires_at": data[0].get("expiresAt")}
