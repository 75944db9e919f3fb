# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge a repository's lifecycle policy: one guarded path for every entry point.

``check_lifecycle`` is what ``ecr_lifecycle``, ``ecr_repositories`` (per entry) and so the ``repositories`` role
call before anything of a repository is written: it reads the policy in force, and when the preview, the guard or
the report needs it, what the new policy would do to the images now (``evaluate_now``), and judges it
(``_models.lifecycle_guard.judge``). ``converge_lifecycle`` then writes, or predicts in check mode. ``run`` is
``ecr_lifecycle``.

What a dry run reads (``evaluate_now``): ``DescribeImages`` once (every page, archived images too), and
``BatchGetImage`` only for the manifest lists whose children's fate depends on them (a list that stays while the
policy acts on some image); never when the policy acts on no image. On ECR, ``BatchGetImage`` counts as a pull.
"""

from datetime import datetime, timezone

from ansible_collections.dockyard.ecr.plugins.module_utils._api.images import add_child_digests, describe_all_images
from ansible_collections.dockyard.ecr.plugins.module_utils._api.lifecycle_policy import (
    delete_lifecycle_policy,
    get_lifecycle_policy,
    put_lifecycle_policy,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import (
    LifecycleError,
    RepositoryNotFoundError,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._common.unread import UNREAD
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_evaluation import (
    evaluate,
    manifest_lists_to_read,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_guard import guard_on, judge
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_request import desired_document
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_rules import (
    document_to_rules,
    features_to_evaluate,
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
    if current == desired:  # documents_differ, of documents normalised already
        return False, current, current
    if check_mode:
        return True, current, desired
    return True, current, put_lifecycle_policy(client, repository, registry_id, desired)


def evaluate_now(client, repository, registry_id, desired, images=None, now=None):
    """What ``desired`` (a validated document, or None) would do to the repository's images now: ``evaluate()``.

    Reads the images with one DescribeImages listing unless ``images`` are given, then the manifest lists that
    ``manifest_lists_to_read`` names (BatchGetImage), evaluating again until none is left. Raises
    RepositoryNotFoundError or ECRError.
    """
    if images is None:
        images = describe_all_images(client, repository, registry_id)
    now = now or datetime.now(timezone.utc)
    result = evaluate(desired, images, now=now)
    wanted = manifest_lists_to_read(result, images)
    while wanted:
        add_child_digests(client, repository, registry_id, images, wanted)
        result = evaluate(desired, images, now=now)
        wanted = manifest_lists_to_read(result, images)
    return result


def _missing_features(client, desired, features):
    if features is None:
        features = supported_features(client.meta.service_model)
    return sorted(features_to_evaluate(desired) - set(features))


def _feature_error(option, missing, way_out):
    return LifecycleError(
        message=(
            f"{option}: the policy has rules for archived images, and the installed botocore does not know ECR's "
            f"{', '.join(missing)} storage, so DescribeImages cannot list those images for the evaluation; upgrade "
            f"boto3 and botocore on the host that runs the module, or {way_out}"
        ),
        option=option,
    )


def check_lifecycle(
    client,
    repository,
    registry_id,
    desired,
    current=UNREAD,
    preview=False,
    max_expire_percent=None,
    report=False,
    features=None,
    options=None,
):
    """Everything that happens before a repository's lifecycle policy is written; nothing here writes.

    ``desired``: the validated document (None: no policy). ``current``: the policy in force if the caller read it
    already. ``preview``: return the whole evaluation. ``max_expire_percent``: the guard (None: the default
    guard; 100: off). ``report``: evaluate a changed policy even when neither the preview nor the guard asks
    (check mode: the plan says what would be expired). ``features``: what the installed botocore knows (read
    from the client when None); only the evaluation needs them, and only for rules on archived images.
    ``options``: the option names for messages ({"preview": ..., "max_expire_percent": ...}).

    Returns {current, changed, evaluation (None when nothing was evaluated), warnings}. Raises LifecycleError
    when the guard refuses, RepositoryNotFoundError when the repository does not exist and a policy is wanted,
    or ECRError.
    """
    names = dict({"preview": "preview", "max_expire_percent": "max_expire_percent"}, **(options or {}))
    exists = True
    if current is UNREAD:
        try:
            current = get_lifecycle_policy(client, repository, registry_id)
        except RepositoryNotFoundError:
            if desired is not None:
                raise
            current, exists = None, False
    current = normalize(current)
    changed = current != normalize(desired)  # documents_differ, of documents normalised already
    guarded = changed and desired is not None and guard_on(max_expire_percent)
    evaluate_it = preview or guarded or (report and changed and desired is not None)
    outcome = {"current": current, "changed": changed, "evaluation": None, "warnings": []}
    if not evaluate_it:
        return outcome
    missing = _missing_features(client, desired, features)
    if missing:
        if preview:
            raise _feature_error(names["preview"], missing, f"set {names['preview']}: false")
        if guarded:
            raise _feature_error(
                names["max_expire_percent"], missing, f"set {names['max_expire_percent']}: 100 to write it unchecked"
            )
        return outcome  # the report only: left out
    images = None if exists else []
    outcome["evaluation"] = evaluate_now(client, repository, registry_id, desired, images=images)
    if guarded:
        outcome["warnings"] = judge(outcome["evaluation"], max_expire_percent, repository, names["max_expire_percent"])
    return outcome


def _rules_view(doc):
    return {"rules": document_to_rules(doc)} if doc else {}


def run(client, request, check_mode=False):
    """What ``ecr_lifecycle`` does for a ``lifecycle_request.validate_params`` request: the module's result."""
    repository, registry_id = request["repository"], request["registry_id"]
    # Writing needs no botocore feature (the policy is text to botocore); the evaluation checks what it needs.
    desired = desired_document(request["wanted"])
    # Before any write: the policy in force, the evaluation (from the images as they are) and the guard.
    checked = check_lifecycle(
        client,
        repository,
        registry_id,
        desired,
        preview=request["preview"],
        max_expire_percent=request["max_expire_percent"],
    )
    changed, before, after = converge_lifecycle(
        client, repository, registry_id, desired, check_mode, checked["current"]
    )
    result = {
        "changed": changed,
        "policy": after,
        "rules": document_to_rules(after) if after else [],
        "diff": {"before": _rules_view(before), "after": _rules_view(after)},
    }
    if request["preview"]:
        result["preview"] = checked["evaluation"]
    if checked["warnings"]:
        result["warnings"] = checked["warnings"]
    return result
