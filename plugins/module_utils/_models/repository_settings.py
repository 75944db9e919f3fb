# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""One repository's settings, pure: ECR's answer in snake_case, comparison, the writes, the prediction.

``compare(current, desired)`` gives the write calls (``Change``) that make a repository match a request
(from ``repository_request.validate_params``); ``expected_repository`` is what check mode reports.
Encryption cannot change after creation: a difference is an error, never a change.
"""

import copy
import re
from collections import namedtuple

from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    compare_aws_tags,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError, RepositoryError, error_code
from ansible_collections.dockyard.ecr.plugins.module_utils._common.options import WITH_EXCLUSION
from ansible_collections.dockyard.ecr.plugins.module_utils._common.partitions import repository_arn
from ansible_collections.dockyard.ecr.plugins.module_utils._common.registry import (
    registry_args,
    registry_host_for,
    repository_uri,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.repository_request import FILTERS_MAX, MAX_TAGS

KMS_KEY_ARN_RE = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/(?P<key_id>.+)")

# What the diff shows and check mode predicts: the settings a user can ask for.
SETTINGS_KEYS = (
    "name",
    "image_tag_mutability",
    "image_tag_mutability_exclusion_filters",
    "scan_on_push",
    "encryption",
    "tags",
)

# ECR's defaults for a new repository, for the options left out.
DEFAULTS = {
    "image_tag_mutability": "mutable",
    "image_tag_mutability_exclusion_filters": [],
    "scan_on_push": False,
    "encryption": {"type": "AES256", "kms_key": None},
    "tags": {},
}

# One write call: the client method, its arguments, and what it does (for error messages).
Change = namedtuple("Change", ["operation", "params", "description"])


def _exclusion_filters_from_api(entries):
    return [f.get("filter") for f in entries or [] if f.get("filter") is not None]


def repository_from_api(entry, tags=None, registry_host=None):
    """A DescribeRepositories/CreateRepository entry (plus its tags) in the modules' snake_case."""
    encryption = entry.get("encryptionConfiguration") or {}
    created_at = entry.get("createdAt")
    if hasattr(created_at, "isoformat"):
        created_at = created_at.isoformat()
    return {
        "name": entry.get("repositoryName"),
        "arn": entry.get("repositoryArn"),
        "registry_id": entry.get("registryId"),
        "uri": repository_uri(entry.get("repositoryUri"), registry_host),
        "created_at": created_at,
        "image_tag_mutability": (entry.get("imageTagMutability") or "MUTABLE").lower(),
        "image_tag_mutability_exclusion_filters": _exclusion_filters_from_api(
            entry.get("imageTagMutabilityExclusionFilters")
        ),
        "scan_on_push": bool((entry.get("imageScanningConfiguration") or {}).get("scanOnPush", False)),
        "encryption": {
            # A repository made before encryption settings existed reports none: it is AES256.
            "type": encryption.get("encryptionType") or "AES256",
            "kms_key": encryption.get("kmsKey"),
        },
        "tags": dict(tags or {}),
    }


def settings_of(repository):
    """The part of a repository dict the diff shows; {} for no repository."""
    if not repository:
        return {}
    return {key: repository.get(key) for key in SETTINGS_KEYS}


def _key_id(key):
    """The key ID when ``key`` is a key ARN or a bare key ID; None for aliases."""
    match = KMS_KEY_ARN_RE.fullmatch(key)
    if match:
        return match.group("key_id")
    if key.startswith("alias/") or key.startswith("arn:"):
        return None
    return key


def _key_arn_without_kms(key):
    """A key ARN as it is; anything else needs KMS, which the caller did not give (``_api.kms.KmsKeyResolver``)."""
    if KMS_KEY_ARN_RE.fullmatch(key):
        return key
    raise ECRError(message=f"no KMS client was given to resolve {key!r}")


def same_kms_key(wanted, actual, resolver=None, name=None):
    """Whether ``wanted`` (as a user writes it) is the key ECR reports as ``actual``.

    Compares without AWS calls where the strings tell (equal strings, a key ID against its ARN);
    otherwise asks KMS, and when KMS cannot answer (access denied, alias missing, no client)
    raises RepositoryError saying what to write instead.
    """
    if wanted == actual:
        return True
    if not actual:
        return False
    wanted_id, actual_id = _key_id(wanted), _key_id(actual)
    if wanted_id and actual_id:
        both_arns = KMS_KEY_ARN_RE.fullmatch(wanted) and KMS_KEY_ARN_RE.fullmatch(actual)
        return False if both_arns else wanted_id == actual_id
    key_arn = resolver.key_arn if resolver is not None else _key_arn_without_kms
    try:
        return key_arn(wanted) == key_arn(actual)
    except ECRError as e:
        code = error_code(e)
        reason = f"KMS DescribeKey failed ({code})" if code else e.message
        raise RepositoryError(
            message=(
                f"encryption.kms_key: cannot tell whether {wanted!r} is the key repository {name!r} is encrypted with "
                f"({actual}), because {reason}. Give encryption.kms_key as the key ARN ECR reports ({actual}) "
                "or allow kms:DescribeKey on the key; leave kms_key out to accept the repository's key"
            ),
            exception=e.exception,
            option="encryption.kms_key",
        ) from e


def _describe_encryption(encryption):
    if encryption.get("kms_key"):
        return f"{encryption['type']} with KMS key {encryption['kms_key']}"
    return encryption["type"]


def check_encryption(current, wanted, resolver=None):
    """Raise RepositoryError when ``wanted`` encryption differs from the repository's.

    ECR cannot change encryption after creation, so a difference is an error, never a change.
    An explicit AES256 on an AES256 repository, or an alias of the key ECR reports, is no difference.
    """
    if wanted is None:
        return
    have = current["encryption"]
    same = wanted["type"] == have["type"] and (
        not wanted.get("kms_key") or same_kms_key(wanted["kms_key"], have.get("kms_key"), resolver, current["name"])
    )
    if same:
        return
    raise RepositoryError(
        message=(
            f"encryption: repository {current['name']!r} is encrypted with {_describe_encryption(have)}, "
            f"and {_describe_encryption(wanted)} was asked for. ECR cannot change a repository's encryption "
            "after it is created, so nothing was changed. Set encryption to what the repository has (or leave it "
            "out), or create a repository under a new name with the encryption you want and move the images there "
            "(state=absent with force=true deletes this one and its images)"
        ),
        option="encryption",
    )


def _target_mutability(current, desired):
    """(mutability, filters) the repository should end with, or None when mutability is left alone."""
    mutability = desired.get("image_tag_mutability")
    if mutability is None:
        return None
    filters = desired.get("image_tag_mutability_exclusion_filters")
    if mutability not in WITH_EXCLUSION:
        return mutability, []
    if filters is None:
        # Filters left out: keep the repository's (switching immutable_with_exclusion <-> mutable_with_exclusion).
        filters = list((current or {}).get("image_tag_mutability_exclusion_filters") or [])
    if not filters:
        raise RepositoryError(
            message=(
                f"image_tag_mutability_exclusion_filters: required with image_tag_mutability={mutability} "
                f"(repository {desired['name']!r} has no filters to keep); give 1 to {FILTERS_MAX} wildcard "
                "filters such as ['latest', 'dev-*']"
            ),
            option="image_tag_mutability_exclusion_filters",
        )
    return mutability, list(filters)


def _mutability_params(mutability, filters):
    params = {"imageTagMutability": mutability.upper()}
    if mutability in WITH_EXCLUSION:
        params["imageTagMutabilityExclusionFilters"] = [{"filterType": "WILDCARD", "filter": f} for f in filters]
    return params


def counted_tags(tags):
    """How many of ``tags`` count against ECR's limit: tags whose key starts with ``aws:`` (AWS's own) do not."""
    return sum(1 for key in tags or {} if not key.lower().startswith("aws:"))


def check_tag_count(name, current_tags, to_set, to_unset, purge_tags=True):
    """Raise RepositoryError when the tags the repository would end with exceed ECR's limit (TooManyTagsException).

    Depends on the tags the repository has now (with purge_tags=false they stay), so it is checked when those are
    known and before the first write: otherwise ECR would refuse the tags after the other settings were written.
    """
    final = dict(current_tags or {})
    for key in to_unset:
        final.pop(key, None)
    final.update(to_set)
    count = counted_tags(final)
    if count <= MAX_TAGS:
        return
    added = counted_tags({key: None for key in to_set if key not in (current_tags or {})})
    fix = (
        "set purge_tags=true to remove the tags that tags does not list, or remove tags from the repository or from "
        "tags"
        if not purge_tags
        else "give fewer tags"
    )
    raise RepositoryError(
        message=(
            f"tags: repository {name!r} would have {count} tags ({count - added} it has and keeps, {added} new), "
            f"and ECR allows at most {MAX_TAGS} (tags starting with 'aws:' do not count); nothing was changed. "
            f"To fix, {fix}"
        ),
        option="tags",
    )


def compare(current, desired, resolver=None):
    """The write calls (``Change`` list) that make ``current`` (None: absent) match ``desired`` (present).

    Empty when nothing differs. Raises RepositoryError for what cannot be done (encryption change,
    exclusion mutability without filters) before anything is written.
    """
    name = desired["name"]
    base = registry_args(desired.get("registry_id"))
    target = _target_mutability(current, desired)
    if current is None:
        params = dict(base, repositoryName=name)
        if target:
            params.update(_mutability_params(*target))
        if desired.get("scan_on_push") is not None:
            params["imageScanningConfiguration"] = {"scanOnPush": desired["scan_on_push"]}
        encryption = desired.get("encryption")
        if encryption:
            params["encryptionConfiguration"] = {"encryptionType": encryption["type"]}
            if encryption.get("kms_key"):
                params["encryptionConfiguration"]["kmsKey"] = encryption["kms_key"]
        if desired.get("tags"):
            params["tags"] = ansible_dict_to_boto3_tag_list(desired["tags"])
        return [Change("create_repository", params, f"create repository {name!r}")]

    check_encryption(current, desired.get("encryption"), resolver)
    changes = []
    if target:
        mutability, filters = target
        if mutability != current["image_tag_mutability"] or set(filters) != set(
            current["image_tag_mutability_exclusion_filters"]
        ):
            changes.append(
                Change(
                    "put_image_tag_mutability",
                    dict(base, repositoryName=name, **_mutability_params(mutability, filters)),
                    f"set the tag mutability of repository {name!r}",
                )
            )
    scan_on_push = desired.get("scan_on_push")
    if scan_on_push is not None and scan_on_push != current["scan_on_push"]:
        changes.append(
            Change(
                "put_image_scanning_configuration",
                dict(base, repositoryName=name, imageScanningConfiguration={"scanOnPush": scan_on_push}),
                f"set scan on push of repository {name!r}",
            )
        )
    if desired.get("tags") is not None:
        to_set, to_unset = compare_aws_tags(current["tags"], desired["tags"], desired.get("purge_tags", True))
        check_tag_count(name, current["tags"], to_set, to_unset, desired.get("purge_tags", True))
        if to_unset:
            changes.append(
                Change(
                    "untag_resource",
                    {"resourceArn": current["arn"], "tagKeys": sorted(to_unset)},
                    f"remove tags from repository {name!r}",
                )
            )
        if to_set:
            changes.append(
                Change(
                    "tag_resource",
                    {"resourceArn": current["arn"], "tags": ansible_dict_to_boto3_tag_list(to_set)},
                    f"tag repository {name!r}",
                )
            )
    return changes


def expected_repository(current, desired):
    """The repository as it will be once ``desired`` is applied (what check mode reports).

    For a repository not created yet, ECR's defaults fill the options left out; ``created_at`` is
    only known after creation and is left out; ``predicted_location`` adds ``arn``, ``uri`` and
    ``registry_id`` when the account and region are known.
    """
    if current is None:
        after = dict(copy.deepcopy(DEFAULTS), name=desired["name"])
        if desired.get("registry_id"):
            after["registry_id"] = desired["registry_id"]
        if desired.get("encryption"):
            after["encryption"] = dict(desired["encryption"])
    else:
        after = copy.deepcopy(current)
    target = _target_mutability(current, desired)
    if target:
        after["image_tag_mutability"], after["image_tag_mutability_exclusion_filters"] = target
    if desired.get("scan_on_push") is not None:
        after["scan_on_push"] = desired["scan_on_push"]
    if desired.get("tags") is not None:
        to_set, to_unset = compare_aws_tags(after["tags"], desired["tags"], desired.get("purge_tags", True))
        for key in to_unset:
            after["tags"].pop(key, None)
        after["tags"].update(to_set)
    return after


def predicted_location(name, registry_id, region, registry_host=None):
    """``registry_id``, ``arn`` and ``uri`` of a repository ECR would create, in the region's partition.

    ECR names a repository ``arn:PARTITION:ecr:REGION:ACCOUNT:repository/NAME`` and its URI
    ``ACCOUNT.dkr.ecr.REGION.DNS_SUFFIX/NAME`` (``registry_host`` in its place when given), so
    check mode can say what a real run returns. {} when the account or region is unknown.
    """
    if not registry_id or not region:
        return {}
    return {
        "registry_id": registry_id,
        "arn": repository_arn(registry_id, region, name),
        "uri": f"{registry_host_for(registry_id, region, registry_host)}/{name}",
    }
