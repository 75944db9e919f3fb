# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge one repository's settings: read, compare, write only what differs; the same path in check mode.

Written for one repository per call *and* for the bulk caller converging a hundred repositories in one
process with a thread pool: no module object, plain dicts in and out, ``ECRError`` raised.
"""

from ansible_collections.dockyard.ecr.plugins.module_utils._api.images import count_images
from ansible_collections.dockyard.ecr.plugins.module_utils._api.repositories import (
    apply_changes,
    check_client_supports,
    delete_repository,
    describe_repository,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._api.tags import list_tags
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import (
    ECRError,
    RepositoryNotFoundError,
    error_code,
    repository_deleted_meanwhile,
    repository_not_empty,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._common.unread import UNREAD
from ansible_collections.dockyard.ecr.plugins.module_utils._models.repository_settings import (
    compare,
    expected_repository,
    predicted_location,
    repository_from_api,
)


def read_repository(client, name, registry_id=None, registry_host=None):
    """The repository's settings (snake_case, with tags), or None when it does not exist."""
    entry = describe_repository(client, name, registry_id)
    if entry is None:
        return None
    tags = list_tags(client, entry["repositoryArn"], name)
    if tags is None:
        return None
    return repository_from_api(entry, tags, registry_host)


def _converge_absent(client, desired, current, check_mode):
    """Delete the repository (with the not-empty guard). One that someone else deletes between our read and our
    delete is done, not a failure: state=absent holds. Gone before the image count: this run changed nothing. Gone
    at DeleteRepository: reported as changed, as check mode predicted, since a retried delete whose first answer
    was lost meets the same RepositoryNotFoundException and cannot be told apart from someone else's delete."""
    name, registry_id = desired["name"], desired.get("registry_id")
    if not current:
        return False, {}, {}
    if not desired.get("force"):
        try:
            count = count_images(client, name, current.get("registry_id") or registry_id)
        except RepositoryNotFoundError:
            return False, {}, {}
        if count:
            raise repository_not_empty(name, count)
    if check_mode:
        return True, current, {}
    delete_repository(client, name, registry_id, force=bool(desired.get("force")))  # False: gone already
    return True, current, {}


def converge(client, desired, check_mode=False, resolver=None, registry_host=None, current=UNREAD, caller=None):
    """Make one repository match ``desired`` (from ``validate_params``). Returns (changed, before, after).

    ``before``/``after`` are repository dicts ({} for no repository). With ``check_mode`` nothing
    is written and ``after`` is the prediction. A bulk caller passes what it read in a batch as ``current``
    (None: known not to exist; see ``_common.unread``). ``caller()``, when given, names the account of
    the credentials, so that check mode predicts the ARN and URI of a repository it would create in
    the caller's own registry.
    Raises RepositoryError (request cannot be met, nothing written) or ECRError (AWS refused).
    """
    name = desired["name"]
    registry_id = desired.get("registry_id")
    if current is UNREAD:
        current = read_repository(client, name, registry_id, registry_host)

    if desired.get("state", "present") == "absent":
        return _converge_absent(client, desired, current, check_mode)

    changes = compare(current, desired, resolver)
    if not changes:
        return False, current, current
    check_client_supports(client, changes)
    after = expected_repository(current, desired)
    if check_mode:
        if current is None:
            account = registry_id or (caller() if caller else None)
            after.update(predicted_location(name, account, client.meta.region_name, registry_host))
        return True, current or {}, after
    try:
        responses = apply_changes(client, changes)
    except ECRError as e:
        if current is not None and error_code(e) == "RepositoryNotFoundException":
            raise repository_deleted_meanwhile(name, e.exception) from e
        if current is not None or error_code(e) != "RepositoryAlreadyExistsException":
            raise
        # A retried CreateRepository whose first attempt ECR applied (the answer was lost), or another
        # creator in between: the repository exists now, so converge its settings instead of failing.
        current = read_repository(client, name, registry_id, registry_host)
        if current is None:
            raise
        apply_changes(client, compare(current, desired, resolver))
        return True, {}, expected_repository(current, desired)
    if current is None:
        # CreateRepository returns the repository as ECR made it (ARN, URI, the KMS key it chose).
        after = repository_from_api(responses[0]["repository"], after["tags"], registry_host)
    return True, current or {}, after
