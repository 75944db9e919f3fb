# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""An ECR repository's settings: validate, read, compare, converge.

Written for one repository per call *and* for a bulk caller converging a hundred repositories
in one process with a thread pool, so:

- no module object: functions take a client (``ecr_client()``, whose calls accept
  ``aws_retry=True``) and plain dicts, and raise ``RepositoryError``/``ECRError``, which the
  caller turns into ``module.fail_json_aws_error(e)``;
- the settings are read in as few calls as ECR allows (``DescribeRepositories`` takes up to 100
  names; tags need one ``ListTagsForResource`` per repository) and written only where they differ;
- nothing keeps state between calls except ``KmsKeyResolver``, which is thread-safe and caches.

Settings use the modules' spelling: ``image_tag_mutability`` in lower case (``immutable``),
encryption types in upper case (``AES256``, ``KMS``, ``KMS_DSSE``), tags as a dict.
"""

import copy
import json
import re
import threading
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)
from ansible_collections.dockyard.ecr.plugins.module_utils.ecr import (
    ECRError,
    error_code,
    repository_uri,
    translate_errors,
)

MUTABILITIES = ("mutable", "immutable", "mutable_with_exclusion", "immutable_with_exclusion")
WITH_EXCLUSION = ("mutable_with_exclusion", "immutable_with_exclusion")
ENCRYPTION_TYPES = ("AES256", "KMS", "KMS_DSSE")
KMS_ENCRYPTION_TYPES = ("KMS", "KMS_DSSE")
STATES = ("present", "absent")

# ECR's RepositoryName pattern as the current botocore service model gives it (it follows the OCI
# distribution spec: components joined by '.', '_', '__' or runs of '-'); 2 to 256 characters.
# The older pattern in the ECR API reference and in moto, (?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*...,
# is stricter: it refuses '__' and '--', which ECR itself accepts.
_NAME_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
NAME_RE = re.compile(rf"{_NAME_COMPONENT}(?:/{_NAME_COMPONENT})*")
NAME_MIN, NAME_MAX = 2, 256
# ImageTagMutabilityExclusionFilter: filterType WILDCARD, filter ^[0-9a-zA-Z._*-]{1,128}$, 1 to 5 of them.
FILTER_RE = re.compile(r"[0-9a-zA-Z._*-]{1,128}")
FILTERS_MAX = 5
REGISTRY_ID_RE = re.compile(r"[0-9]{12}")
KMS_KEY_ARN_RE = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/(?P<key_id>.+)")
# What ECR's kmsKey takes: a key ID (or multi-Region key ID), an alias name, or the ARN of either.
_KMS_KEY_ID = r"(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|mrk-[0-9a-fA-F]{32})"
_KMS_ALIAS = r"alias/[A-Za-z0-9/_-]{1,250}"
KMS_KEY_RE = re.compile(
    rf"(?:{_KMS_KEY_ID}|{_KMS_ALIAS}|arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{{12}}:(?:key/{_KMS_KEY_ID}|{_KMS_ALIAS}))"
)
# ECR's tag limits: keys 1 to 128 characters, values up to 256, at most 50 tags; "aws:" keys are AWS's own.
MAX_TAGS = 50
MAX_TAG_KEY_LENGTH = 128
MAX_TAG_VALUE_LENGTH = 256

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

DESCRIBE_BATCH = 100  # DescribeRepositories takes up to 100 repositoryNames


class RepositoryError(ECRError):
    """A request that cannot be carried out as asked; the message names the option and the fix."""


# One write call: the client method, its arguments, and what it does (for error messages).
Change = namedtuple("Change", ["operation", "params", "description"])


# ---------------------------------------------------------------------------------------------
# Validation (pure: no AWS call)
# ---------------------------------------------------------------------------------------------


def validate_name(name, option="name"):
    """Raise RepositoryError unless ``name`` is a valid ECR repository name."""
    if not isinstance(name, str) or not name:
        raise RepositoryError(message=f"{option}: a repository name is required", option=option)
    if not NAME_MIN <= len(name) <= NAME_MAX:
        raise RepositoryError(
            message=(
                f"{option}: {name!r} is {len(name)} characters long; "
                f"an ECR repository name has {NAME_MIN} to {NAME_MAX} characters"
            ),
            option=option,
        )
    if NAME_RE.fullmatch(name):
        return name
    hint = ""
    if name != name.lower() and NAME_RE.fullmatch(name.lower()):
        hint = f" (ECR names are lower case: use {name.lower()!r})"
    raise RepositoryError(
        message=(
            f"{option}: {name!r} is not a valid ECR repository name{hint}. Use lower-case letters and digits, "
            "with '.', '_', '__' or '-' between them and '/' between path components, starting and ending with a "
            "letter or digit (for example 'team/app-api')"
        ),
        option=option,
    )


def validate_registry_id(registry_id):
    if registry_id is None:
        return None
    registry_id = to_text(registry_id).strip()
    if not REGISTRY_ID_RE.fullmatch(registry_id):
        raise RepositoryError(
            message=(
                f"registry_id: {registry_id!r} is not an AWS account ID; give the 12 digits of the account "
                "that owns the registry (as a quoted string, so leading zeros stay), or leave it out for your own"
            ),
            option="registry_id",
        )
    return registry_id


def _validate_mutability(mutability, filters):
    if mutability is not None:
        mutability = to_text(mutability).lower()
        if mutability not in MUTABILITIES:
            raise RepositoryError(
                message=f"image_tag_mutability: {mutability!r} is not one of {', '.join(MUTABILITIES)}",
                option="image_tag_mutability",
            )
    if filters is None:
        return mutability, None
    option = "image_tag_mutability_exclusion_filters"
    if mutability not in WITH_EXCLUSION:
        asked = f"image_tag_mutability={mutability}" if mutability else "image_tag_mutability is not set"
        raise RepositoryError(
            message=(
                f"{option}: exclusion filters only apply with image_tag_mutability=mutable_with_exclusion or "
                f"immutable_with_exclusion, but {asked}; set one of those or leave the filters out"
            ),
            option=option,
        )
    if not isinstance(filters, (list, tuple)):
        raise RepositoryError(
            message=f"{option}: give a list of wildcard filters such as ['latest', 'dev-*']", option=option
        )
    cleaned = []
    for item in filters:
        item = to_text(item) if item is not None else ""
        if not FILTER_RE.fullmatch(item):
            raise RepositoryError(
                message=(
                    f"{option}: {item!r} is not a valid filter; a filter has 1 to 128 characters from "
                    "letters, digits, '.', '_', '-' and the wildcard '*' (for example 'release-*')"
                ),
                option=option,
            )
        if item not in cleaned:
            cleaned.append(item)
    if not 1 <= len(cleaned) <= FILTERS_MAX:
        raise RepositoryError(
            message=(
                f"{option}: ECR takes 1 to {FILTERS_MAX} filters with image_tag_mutability={mutability}, "
                f"{len(cleaned)} given"
            ),
            option=option,
        )
    return mutability, cleaned


def _validate_encryption(encryption):
    if encryption is None:
        return None
    if not isinstance(encryption, dict):
        raise RepositoryError(message="encryption: give a dict with type and, optionally, kms_key", option="encryption")
    unknown = sorted(set(encryption) - {"type", "kms_key"})
    if unknown:
        raise RepositoryError(
            message=f"encryption: unknown key(s) {', '.join(unknown)}; encryption takes type and kms_key",
            option="encryption",
        )
    enc_type = encryption.get("type")
    kms_key = encryption.get("kms_key")
    if kms_key is not None:
        kms_key = to_text(kms_key).strip()
        if not kms_key:
            raise RepositoryError(
                message=(
                    "encryption.kms_key: empty; give a KMS key ID, key ARN, alias name or alias ARN, or leave it out"
                ),
                option="encryption.kms_key",
            )
        if not KMS_KEY_RE.fullmatch(kms_key):
            raise RepositoryError(
                message=(
                    f"encryption.kms_key: {kms_key!r} is not a KMS key ID, key ARN, alias name or alias ARN; give "
                    "for example 1234abcd-12ab-34cd-56ef-1234567890ab, alias/ecr, or "
                    "arn:aws:kms:REGION:ACCOUNT:key/KEY-ID with a 12-digit ACCOUNT"
                ),
                option="encryption.kms_key",
            )
    if enc_type is None:
        if kms_key is not None:
            raise RepositoryError(
                message=(
                    "encryption.kms_key: a KMS key needs encryption.type=KMS or KMS_DSSE; "
                    "add type: KMS (or KMS_DSSE) next to kms_key"
                ),
                option="encryption.kms_key",
            )
        raise RepositoryError(
            message=f"encryption.type: required when encryption is given; use one of {', '.join(ENCRYPTION_TYPES)}",
            option="encryption.type",
        )
    enc_type = to_text(enc_type).upper()
    if enc_type not in ENCRYPTION_TYPES:
        raise RepositoryError(
            message=(
                f"encryption.type: {encryption.get('type')!r} is not an ECR encryption type; "
                f"use one of {', '.join(ENCRYPTION_TYPES)}"
            ),
            option="encryption.type",
        )
    if kms_key is not None and enc_type not in KMS_ENCRYPTION_TYPES:
        raise RepositoryError(
            message=(
                f"encryption.kms_key: a KMS key needs encryption.type=KMS or KMS_DSSE, not {enc_type}; "
                "set type: KMS (or KMS_DSSE), or remove kms_key to use AES256"
            ),
            option="encryption.kms_key",
        )
    return {"type": enc_type, "kms_key": kms_key}


def _validate_tags(tags):
    if tags is None:
        return None
    if not isinstance(tags, dict):
        raise RepositoryError(message="tags: give a dict of tag names and values", option="tags")
    cleaned = {}
    for key, value in tags.items():
        if value is None:
            raise RepositoryError(
                message=f"tags: tag {key!r} has no value; give a string ('' for an empty value)",
                option="tags",
            )
        cleaned[to_text(key)] = to_text(value)
    # ECR's limits (InvalidTagParameterException, TooManyTagsException), checked before any call so that a
    # bad tag fails the task before anything is written.
    if len(cleaned) > MAX_TAGS:
        raise RepositoryError(
            message=f"tags: {len(cleaned)} tags; a repository can have at most {MAX_TAGS}", option="tags"
        )
    for key, value in cleaned.items():
        if not 1 <= len(key) <= MAX_TAG_KEY_LENGTH:
            raise RepositoryError(
                message=f"tags: tag key {key!r} has {len(key)} characters; give 1 to {MAX_TAG_KEY_LENGTH}",
                option="tags",
            )
        if key.lower().startswith("aws:"):
            raise RepositoryError(
                message=f"tags: tag key {key!r} starts with 'aws:', which AWS reserves for its own tags; rename it",
                option="tags",
            )
        if len(value) > MAX_TAG_VALUE_LENGTH:
            raise RepositoryError(
                message=(
                    f"tags: the value of tag {key!r} has {len(value)} characters; ECR allows at most "
                    f"{MAX_TAG_VALUE_LENGTH}"
                ),
                option="tags",
            )
    return cleaned


def validate_params(params):
    """Check a repository request before any AWS call; return it normalised (the ``desired`` dict).

    ``params`` holds the ecr_repo options (missing keys count as left out). Raises RepositoryError
    whose message names the option and the fix.
    """
    state = params.get("state") or "present"
    if state not in STATES:
        raise RepositoryError(message=f"state: {state!r} is not one of present, absent", option="state")
    mutability, filters = _validate_mutability(
        params.get("image_tag_mutability"), params.get("image_tag_mutability_exclusion_filters")
    )
    scan_on_push = params.get("scan_on_push")
    if scan_on_push is not None and not isinstance(scan_on_push, bool):
        raise RepositoryError(message="scan_on_push: give true or false", option="scan_on_push")
    purge_tags = params.get("purge_tags")
    return {
        "name": validate_name(params.get("name")),
        "state": state,
        "registry_id": validate_registry_id(params.get("registry_id")),
        "image_tag_mutability": mutability,
        "image_tag_mutability_exclusion_filters": filters,
        "scan_on_push": scan_on_push,
        "encryption": _validate_encryption(params.get("encryption")),
        "tags": _validate_tags(params.get("tags")),
        "purge_tags": True if purge_tags is None else bool(purge_tags),
        "force": bool(params.get("force")),
    }


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def _registry_args(registry_id):
    return {"registryId": registry_id} if registry_id else {}


@AWSRetry.jittered_backoff()
def _paginate(client, operation, result_key, **kwargs):
    return client.get_paginator(operation).paginate(**kwargs).build_full_result().get(result_key, [])


def describe_repository(client, name, registry_id=None):
    """The DescribeRepositories entry for one repository, or None when it does not exist."""
    with translate_errors(f"describe repository {name!r}"):
        try:
            response = client.describe_repositories(
                repositoryNames=[name], aws_retry=True, **_registry_args(registry_id)
            )
        except is_boto3_error_code("RepositoryNotFoundException"):
            return None
    repositories = response.get("repositories") or []
    return repositories[0] if repositories else None


def describe_repositories(client, names=None, registry_id=None):
    """DescribeRepositories entries for ``names`` (in that order, missing ones left out), or all.

    Asks for up to 100 names per call; ECR fails the whole call when one name does not exist, so
    a batch with a missing name is asked again one name at a time.
    """
    if names is None:
        with translate_errors("list repositories"):
            return _paginate(client, "describe_repositories", "repositories", **_registry_args(registry_id))
    wanted = list(dict.fromkeys(names))
    found = {}
    for start in range(0, len(wanted), DESCRIBE_BATCH):
        batch = wanted[start : start + DESCRIBE_BATCH]
        with translate_errors(f"describe repositories {', '.join(batch)}"):
            try:
                entries = _paginate(
                    client,
                    "describe_repositories",
                    "repositories",
                    repositoryNames=batch,
                    **_registry_args(registry_id),
                )
            except is_boto3_error_code("RepositoryNotFoundException"):
                entries = [r for r in (describe_repository(client, n, registry_id) for n in batch) if r]
        for entry in entries:
            found[entry["repositoryName"]] = entry
    return [found[n] for n in wanted if n in found]


def list_tags(client, arn, name=None):
    """The repository's tags as a dict; None when the repository has gone."""
    with translate_errors(f"list tags of repository {name or arn!r}"):
        try:
            response = client.list_tags_for_resource(resourceArn=arn, aws_retry=True)
        except is_boto3_error_code("RepositoryNotFoundException"):
            return None
    return boto3_tag_list_to_ansible_dict(response.get("tags") or [])


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


def read_repository(client, name, registry_id=None, registry_host=None):
    """The repository's settings (snake_case, with tags), or None when it does not exist."""
    entry = describe_repository(client, name, registry_id)
    if entry is None:
        return None
    tags = list_tags(client, entry["repositoryArn"], name)
    if tags is None:
        return None
    return repository_from_api(entry, tags, registry_host)


def settings_of(repository):
    """The part of a repository dict the diff shows; {} for no repository."""
    if not repository:
        return {}
    return {key: repository.get(key) for key in SETTINGS_KEYS}


def count_images(client, name, registry_id=None):
    """How many images (tagged or not) the repository holds: one DescribeImages entry per image."""
    with translate_errors(f"list images in repository {name!r}"):
        details = _paginate(
            client, "describe_images", "imageDetails", repositoryName=name, **_registry_args(registry_id)
        )
    return len(details)


def _get_policy_text(client, operation, text_key, missing_code, name, registry_id):
    with translate_errors(f"get the {operation.replace('get_', '').replace('_', ' ')} of repository {name!r}"):
        try:
            response = getattr(client, operation)(repositoryName=name, aws_retry=True, **_registry_args(registry_id))
        except is_boto3_error_code([missing_code, "RepositoryNotFoundException"]):
            return None
    text = response.get(text_key)
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def get_repository_policy(client, name, registry_id=None):
    """The repository policy as a dict, or None when there is none."""
    return _get_policy_text(
        client, "get_repository_policy", "policyText", "RepositoryPolicyNotFoundException", name, registry_id
    )


def get_lifecycle_policy(client, name, registry_id=None):
    """The lifecycle policy as a dict, or None when there is none."""
    return _get_policy_text(
        client, "get_lifecycle_policy", "lifecyclePolicyText", "LifecyclePolicyNotFoundException", name, registry_id
    )


def list_repositories(
    client,
    names=None,
    name_prefix=None,
    registry_id=None,
    include_policy=False,
    include_lifecycle_policy=False,
    registry_host=None,
    max_workers=8,
):
    """Repositories by ``names`` (missing ones left out), by ``name_prefix``, or all; read only.

    Tags (and policies when asked) need one call per repository; they run on a small thread pool.
    """
    if names is not None:
        for index, name in enumerate(names):
            validate_name(name, option=f"names[{index}]")
    entries = describe_repositories(client, names, registry_id)
    if names is None:
        if name_prefix:
            entries = [e for e in entries if e["repositoryName"].startswith(name_prefix)]
        entries = sorted(entries, key=lambda e: e["repositoryName"])

    def complete(entry):
        name = entry["repositoryName"]
        tags = list_tags(client, entry["repositoryArn"], name)
        if tags is None:
            return None  # deleted while we were reading
        repository = repository_from_api(entry, tags, registry_host)
        if include_policy:
            repository["policy"] = get_repository_policy(client, name, entry.get("registryId") or registry_id)
        if include_lifecycle_policy:
            repository["lifecycle_policy"] = get_lifecycle_policy(client, name, entry.get("registryId") or registry_id)
        return repository

    if len(entries) <= 1 or max_workers <= 1:
        results = [complete(e) for e in entries]
    else:
        with ThreadPoolExecutor(max_workers=min(max_workers, len(entries))) as pool:
            results = list(pool.map(complete, entries))
    return [r for r in results if r is not None]


# ---------------------------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------------------------


class KmsKeyResolver:
    """Resolves KMS key aliases and IDs to key ARNs with ``DescribeKey``; thread-safe, cached.

    ``client_factory`` returns a KMS client (called at most once, only when a lookup is needed);
    None means no lookups are possible, and comparisons that need one fail with a clear message.
    """

    def __init__(self, client_factory=None):
        self._factory = client_factory
        self._lock = threading.Lock()
        self._cache = {}

    def key_arn(self, key):
        """The key ARN for ``key`` (ID, ARN, alias name or alias ARN). Raises ECRError when KMS says no."""
        if KMS_KEY_ARN_RE.fullmatch(key):
            return key
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        if self._factory is None:
            raise ECRError(message=f"no KMS client was given to resolve {key!r}")
        client = self._factory()
        with translate_errors(f"describe KMS key {key!r}"):
            arn = client.describe_key(KeyId=key, aws_retry=True)["KeyMetadata"]["Arn"]
        with self._lock:
            self._cache[key] = arn
        return arn


def _key_id(key):
    """The key ID when ``key`` is a key ARN or a bare key ID; None for aliases."""
    match = KMS_KEY_ARN_RE.fullmatch(key)
    if match:
        return match.group("key_id")
    if key.startswith("alias/") or key.startswith("arn:"):
        return None
    return key


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
    resolver = resolver or KmsKeyResolver()
    try:
        return resolver.key_arn(wanted) == resolver.key_arn(actual)
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


def compare(current, desired, resolver=None):
    """The write calls (``Change`` list) that make ``current`` (None: absent) match ``desired`` (present).

    Empty when nothing differs. Raises RepositoryError for what cannot be done (encryption change,
    exclusion mutability without filters) before anything is written.
    """
    name = desired["name"]
    base = _registry_args(desired.get("registry_id"))
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

    For a repository not created yet, ECR's defaults fill the options left out; ``arn``, ``uri``,
    ``registry_id`` and ``created_at`` are only known after creation and are left out.
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


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def check_client_supports(client, changes):
    """Raise RepositoryError when the installed botocore cannot send a change (exclusion filters)."""
    for change in changes:
        if "imageTagMutabilityExclusionFilters" not in change.params:
            continue
        model = client.meta.service_model.operation_model(
            "CreateRepository" if change.operation == "create_repository" else "PutImageTagMutability"
        )
        if "imageTagMutabilityExclusionFilters" not in model.input_shape.members:
            raise RepositoryError(
                message=(
                    "image_tag_mutability_exclusion_filters: the installed botocore does not know ECR's tag "
                    "mutability exclusion filters (mutable_with_exclusion / immutable_with_exclusion); "
                    "upgrade boto3 and botocore (a 2025 release from July on) on the host that runs the module"
                ),
                option="image_tag_mutability_exclusion_filters",
            )


def apply_changes(client, changes):
    """Make the write calls in order; returns the responses."""
    responses = []
    for change in changes:
        with translate_errors(change.description):
            responses.append(getattr(client, change.operation)(aws_retry=True, **change.params))
    return responses


def delete_repository(client, name, registry_id=None, force=False):
    """Delete the repository; a RepositoryNotEmptyException becomes a RepositoryError with the count."""
    with translate_errors(f"delete repository {name!r}"):
        try:
            client.delete_repository(repositoryName=name, force=force, aws_retry=True, **_registry_args(registry_id))
        except is_boto3_error_code("RepositoryNotFoundException"):
            return False
        except is_boto3_error_code("RepositoryNotEmptyException") as e:  # pylint: disable=duplicate-except
            raise _not_empty_error(name, count_images(client, name, registry_id)) from e
    return True


def _not_empty_error(name, count):
    images = "image" if count == 1 else "images"
    return RepositoryError(
        message=(
            f"force: repository {name!r} holds {count} {images}, so nothing was deleted. Set force=true to delete "
            f"the repository together with its {images}"
        ),
        option="force",
    )


def converge(client, desired, check_mode=False, resolver=None, registry_host=None, current=None, read=True):
    """Make one repository match ``desired`` (from ``validate_params``). Returns (changed, before, after).

    ``before``/``after`` are repository dicts ({} for no repository). With ``check_mode`` nothing
    is written and ``after`` is the prediction. ``read=False`` with ``current`` lets a bulk caller
    pass what it read in a batch (``current=None, read=False`` meaning: known not to exist).
    Raises RepositoryError (request cannot be met, nothing written) or ECRError (AWS refused).
    """
    name = desired["name"]
    registry_id = desired.get("registry_id")
    if read:
        current = read_repository(client, name, registry_id, registry_host)

    if desired.get("state", "present") == "absent":
        if not current:
            return False, {}, {}
        if not desired.get("force"):
            count = count_images(client, name, current.get("registry_id") or registry_id)
            if count:
                raise _not_empty_error(name, count)
        if not check_mode:
            delete_repository(client, name, registry_id, force=bool(desired.get("force")))
        return True, current, {}

    changes = compare(current, desired, resolver)
    if not changes:
        return False, current, current
    check_client_supports(client, changes)
    after = expected_repository(current, desired)
    if check_mode:
        return True, current or {}, after
    try:
        responses = apply_changes(client, changes)
    except ECRError as e:
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
