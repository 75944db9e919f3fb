# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge a repository's lifecycle policy, with the preview and the deletion guard on the same path.

``run`` is what ``ecr_lifecycle`` does; ``converge_lifecycle`` is what the bulk converger calls per
repository. The guard (``max_expire_percent``) computes the local preview only when the limit is on and the
policy would change, and refuses before any write.
"""

from ansible_collections.dockyard.ecr.plugins.module_utils._api.images import describe_all_images
from ansible_collections.dockyard.ecr.plugins.module_utils._api.lifecycle_policy import (
    delete_lifecycle_policy,
    get_lifecycle_policy,
    put_lifecycle_policy,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import RepositoryNotFoundError
from ansible_collections.dockyard.ecr.plugins.module_utils._common.unread import UNREAD
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_evaluation import evaluate
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_guard import (
    MAX_EXPIRE_PERCENT_OFF,
    check_expire_share,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_request import desired_document
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_rules import (
    document_to_rules,
    documents_differ,
    normalize,
    supported_features,
)


def converge_lifecycle(client, repository, registry_id, desired_doc, check_mode=False, current=UNREAD):
    """Make the repository's lifecycle policy ``desired_doc`` (validated; None: no policy).

    Returns (changed, before, after), the policies as normalised documents (None for no policy). With
    ``check_mode`` nothing is written and ``after`` is the prediction. A bulk caller that has read the
    policy already passes it as ``current``. Raises RepositoryNotFoundError when the repository does
    not exist and a policy is wanted (for no policy, a missing repository is no change), or ECRError.
    """
    if current is UNREAD:
        try:
            current = get_lifecycle_policy(client, repository, registry_id)
        except RepositoryNotFoundError:
            if desired_doc is None:
                return False, None, None
            raise
    else:
        current = normalize(current)
    if desired_doc is None:
        if current is None:
            return False, None, None
        if not check_mode:
            delete_lifecycle_policy(client, repository, registry_id)
        return True, current, None
    desired = normalize(desired_doc)
    if not documents_differ(current, desired):
        return False, current, current
    if check_mode:
        return True, current, desired
    return True, current, put_lifecycle_policy(client, repository, registry_id, desired)


def guarded_preview(client, repository, registry_id, desired_doc, max_percent, current=UNREAD):
    """Enforce ``max_percent`` for writing ``desired_doc``; returns ``(preview or None, current)``.

    The images are read (and the preview computed) only when the limit is on and the policy would
    change; ``current`` is the policy read on the way, for ``converge_lifecycle(current=...)``. Raises
    LifecycleError (over the limit), RepositoryNotFoundError or ECRError.
    """
    if max_percent >= MAX_EXPIRE_PERCENT_OFF or desired_doc is None:
        return None, current
    if current is UNREAD:
        current = get_lifecycle_policy(client, repository, registry_id)
    if not documents_differ(normalize(current), normalize(desired_doc)):
        return None, current
    preview = evaluate(desired_doc, describe_all_images(client, repository, registry_id))
    check_expire_share(preview, max_percent, repository)
    return preview, current


def preview_of(client, repository, registry_id, desired, state):
    """The evaluator's answer for the images as they are now (before anything is written)."""
    try:
        images = describe_all_images(client, repository, registry_id)
    except RepositoryNotFoundError:
        if state == "absent":
            images = []
        else:
            raise
    return evaluate(desired, images)


def _rules_view(doc):
    return {"rules": document_to_rules(doc)} if doc else {}


def run(client, request, check_mode=False):
    """What ``ecr_lifecycle`` does for a ``lifecycle_request.validate_params`` request: the module's result."""
    repository, registry_id = request["repository"], request["registry_id"]
    desired = desired_document(request["wanted"], supported_features(client.meta.service_model))
    preview = None
    if request["preview"]:
        # Computed before the write, from the images as they are: what the policy is about to do.
        preview = preview_of(client, repository, registry_id, desired, request["state"])
    # Refuses (before any write) a new policy that would expire too many images now.
    current = guarded_preview(client, repository, registry_id, desired, request["max_expire_percent"])[1]
    changed, before, after = converge_lifecycle(client, repository, registry_id, desired, check_mode, current)
    result = {
        "changed": changed,
        "policy": after,
        "rules": document_to_rules(after) if after else [],
        "diff": {"before": _rules_view(before), "after": _rules_view(after)},
    }
    if preview is not None:
        result["preview"] = preview
    return result
