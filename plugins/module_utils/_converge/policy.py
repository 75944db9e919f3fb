# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge a repository's policy or the registry's: read, merge with the request, write only what differs.

The same path in check mode (``after`` is then the document that would be written). Used by ``ecr_policy``
and, per repository, by the bulk converger.
"""

from ansible_collections.dockyard.ecr.plugins.module_utils._api.account_settings import get_account_setting
from ansible_collections.dockyard.ecr.plugins.module_utils._api.registry_policy import (
    delete_registry_policy,
    put_registry_policy,
    read_registry_policy,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._api.repositories import describe_repository
from ansible_collections.dockyard.ecr.plugins.module_utils._api.repository_policy import (
    delete_repository_policy,
    read_repository_policy,
    set_repository_policy,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import PolicyError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.unread import UNREAD
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_document import (
    normalize,
    policies_differ,
    policy_text,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_grants import registry_resource
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_request import (
    classify_desired,
    desired_document,
    request_option,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_validation import (
    REGISTRY_POLICY_SCOPE,
    check_registry_grants,
    check_registry_scope,
    needs_v2_scope,
)


def _client_partition(client, partition=None):
    if partition:
        return partition
    meta = getattr(client, "meta", None)
    return getattr(meta, "partition", None) or "aws"


def converge_repository_policy(
    client,
    repository,
    registry_id=None,
    desired=None,
    purge_statements=True,
    check_mode=False,
    state="present",
    partition=None,
    current=UNREAD,
):
    """Make a repository's policy match the request. Returns (changed, before, after).

    ``desired`` is a validated document (``validate_document``), validated grants
    (``validate_grants``) or None (with state=absent). ``before``/``after`` are documents (dicts as
    ECR returns them; None for no policy); in check mode ``after`` is the document that would be
    written. A bulk caller passes what it read as ``current`` (see ``_common.unread``). ``partition``
    (for account root ARNs) defaults to the client's. Raises PolicyError (nothing written) or
    ECRError (AWS refused).
    """
    partition = _client_partition(client, partition)
    if current is UNREAD:
        try:
            registry_id, current = read_repository_policy(client, repository, registry_id)
        except PolicyError:
            if state == "absent":
                return False, None, None  # no repository, no policy
            raise
    target = desired_document(current, desired, purge_statements, state, partition)
    if not policies_differ(current, target):
        return False, current, current
    if target is None:
        if not check_mode:
            delete_repository_policy(client, repository, registry_id)
        return True, current, None
    text = policy_text(target, request_option(desired))
    if check_mode:
        return True, current, target
    written = set_repository_policy(client, repository, registry_id, text)
    return True, current, written or target


def check_registry_request(client, desired, state="present"):
    """Check a registry policy request against the account's REGISTRY_POLICY_SCOPE, read only when it matters
    (grants, or a document with more than V1's replication and pull through cache actions). Raises PolicyError
    before anything is written; returns the scope read (None when not read, or ECR did not say)."""
    kind, value = classify_desired(desired)
    if state != "present" or not (kind == "grants" or (kind == "policy" and needs_v2_scope(value))):
        return None
    scope = get_account_setting(client, REGISTRY_POLICY_SCOPE)
    if kind == "grants":
        check_registry_grants(scope, next((k for k in ("pull", "push", "organizations") if value.get(k)), "pull"))
    else:
        check_registry_scope(value, scope)
    return scope


def converge_registry_policy(
    client,
    desired=None,
    purge_statements=True,
    check_mode=False,
    state="present",
    current=UNREAD,
    registry_id=None,
    caller_account=None,
):
    """Make the registry policy (of the credentials' account) match the request: (changed, before, after).

    ``desired`` is a validated document (``validate_document(..., scope="registry")``), validated grants
    (pull, push, organizations: registry-wide, with Resource ``arn:P:ecr:REGION:ACCOUNT:repository/*``) or
    None. The request is first checked against the account's REGISTRY_POLICY_SCOPE
    (``check_registry_request``). ``registry_id`` (the registry ECR reported) or ``caller_account()`` names
    the account of the grants' Resource. Same rules as ``converge_repository_policy`` otherwise.
    """
    check_registry_request(client, desired, state)
    if current is UNREAD:
        registry_id, current = read_registry_policy(client)
    resource = None
    if state == "present" and classify_desired(desired)[0] == "grants":
        account = registry_id or (caller_account() if caller_account else None)
        if not account:
            raise PolicyError(
                message="registry_id: the registry's account is needed for registry-wide grants; give registry_id",
                option="registry_id",
            )
        resource = registry_resource(_client_partition(client), client.meta.region_name, account)
    partition = _client_partition(client)
    target = desired_document(current, desired, purge_statements, state, partition, resource)
    if not policies_differ(current, target):
        return False, current, current
    if target is None:
        if not check_mode:
            delete_registry_policy(client)
        return True, current, None
    text = policy_text(target, request_option(desired))
    if check_mode:
        return True, current, target
    written = put_registry_policy(client, text)
    return True, current, written or target


def converge(client, request, check_mode=False, partition=None, caller_account=None):
    """Converge the policy a ``validate_params`` request names. Returns (changed, before, after, registry ID)."""
    if request["scope"] == "registry":
        registry_id, current = read_registry_policy(client)
        changed, before, after = converge_registry_policy(
            client,
            request["desired"],
            request["purge_statements"],
            check_mode,
            request["state"],
            current=current,
            registry_id=registry_id or request["registry_id"],
            caller_account=caller_account,
        )
        return changed, before, after, registry_id
    try:
        registry_id, current = read_repository_policy(client, request["repository"], request["registry_id"])
    except PolicyError:
        if request["state"] == "absent":
            return False, None, None, request["registry_id"]
        raise
    changed, before, after = converge_repository_policy(
        client,
        request["repository"],
        registry_id,
        request["desired"],
        request["purge_statements"],
        check_mode,
        request["state"],
        partition=partition,
        current=current,
    )
    return changed, before, after, registry_id


def check_registry_owner(registry_id, caller_account):
    """The registry policy can only be managed in the caller's own account (``caller_account()`` says which)."""
    account = caller_account()
    if registry_id != account:
        raise PolicyError(
            message=(
                f"registry_id: {registry_id} is not the account of the credentials ({account}); ECR manages only the "
                "caller's own registry policy, so use credentials of that account (assume a role in it), or leave "
                "registry_id out"
            ),
            option="registry_id",
        )


def run(client, request, caller_account, check_mode=False):
    """What ``ecr_policy`` does for a ``validate_params`` request: the module's result (without ``diff`` markup).

    ``caller_account()`` gives the credentials' account; it is called only when needed (a registry policy
    with ``registry_id``, or a registry ID ECR did not report).
    """
    if request["scope"] == "registry" and request["registry_id"]:
        check_registry_owner(request["registry_id"], caller_account)
    changed, before, after, registry_id = converge(
        client, request, check_mode=check_mode, caller_account=caller_account
    )
    registry_id = registry_id or request["registry_id"]
    if registry_id is None:
        if request["scope"] == "registry":
            registry_id = caller_account()
        else:
            entry = describe_repository(client, request["repository"])
            registry_id = entry.get("registryId") if entry else None
    partition = _client_partition(client)
    return {
        "changed": changed,
        "policy": after or {},
        "repository": request["repository"],
        "registry_id": registry_id,
        "diff": {"before": normalize(before, partition), "after": normalize(after, partition)},
    }
