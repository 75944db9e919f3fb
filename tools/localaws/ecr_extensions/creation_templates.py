"""Repository creation templates: Create, Describe, Update, Delete (state only: no repository is created from one,
since the emulator performs neither replication nor pull through cache nor create-on-push)."""

from __future__ import annotations

import json
import re

from moto.core.responses import ActionResult

from .common import PREFIX_RE, Prefixed, check_enum, check_max_length, check_pattern, error, invalid, now, paginate
from .pull_through_cache import ROLE_ARN_RE

APPLIED_FOR = ("REPLICATION", "PULL_THROUGH_CACHE", "CREATE_ON_PUSH")
MUTABILITY = ("MUTABLE", "IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION")
ENCRYPTION_TYPES = ("AES256", "KMS", "KMS_DSSE")
KMS_KEY_RE = re.compile(r"^$|arn:aws[a-z0-9-]*:kms:[a-z0-9-]+:[0-9]{12}:key\/[a-z0-9-]+")
MAX_TAGS = 50
FIELDS = (
    "description",
    "encryptionConfiguration",
    "resourceTags",
    "imageTagMutability",
    "imageTagMutabilityExclusionFilters",
    "repositoryPolicy",
    "lifecyclePolicy",
    "appliedFor",
    "customRoleArn",
)


TEMPLATES = Prefixed("repository_creation_templates", "repository creation template", "Template", 50)


def check_prefix(prefix) -> str:
    check_pattern("prefix", prefix, PREFIX_RE, 1, 256)
    return prefix


def check_fields(fields: dict) -> None:
    """ECR's checks of the template settings given (None: not given)."""
    check_max_length("description", fields.get("description"), 256)
    applied_for = fields.get("appliedFor")
    if applied_for is not None:
        if not applied_for:
            raise invalid("appliedFor", "Member must have at least one element")
        for index, value in enumerate(applied_for, start=1):
            check_enum(f"appliedFor.{index}.member", value, APPLIED_FOR)
    if fields.get("imageTagMutability") is not None:
        check_enum("imageTagMutability", fields["imageTagMutability"], MUTABILITY)
    exclusions = fields.get("imageTagMutabilityExclusionFilters")
    if exclusions is not None and not str(fields.get("imageTagMutability", "")).endswith("_WITH_EXCLUSION"):
        raise invalid(
            "imageTagMutabilityExclusionFilters",
            "exclusion filters need imageTagMutability MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION",
        )
    encryption = fields.get("encryptionConfiguration")
    if encryption is not None:
        check_enum("encryptionConfiguration.encryptionType", encryption.get("encryptionType"), ENCRYPTION_TYPES)
        key = encryption.get("kmsKey")
        if key:
            check_pattern("encryptionConfiguration.kmsKey", key, KMS_KEY_RE, 0, 2048)
            if encryption["encryptionType"] == "AES256":
                raise invalid("encryptionConfiguration.kmsKey", "a KMS key needs encryptionType KMS or KMS_DSSE")
    tags = fields.get("resourceTags")
    if tags is not None:
        if len(tags) > MAX_TAGS:
            raise invalid("resourceTags", f"at most {MAX_TAGS} tags")
        keys = [tag.get("Key") for tag in tags]
        if len(set(keys)) != len(keys) or not all(keys):
            raise invalid("resourceTags", "tag keys must be present and unique")
    for name, limit in (("repositoryPolicy", 10240), ("lifecyclePolicy", 30720)):
        text = fields.get(name)
        if text:
            check_max_length(name, text, limit)
            check_document(name, text)
    role = fields.get("customRoleArn")
    if role is not None and (not ROLE_ARN_RE.fullmatch(role) or len(role) > 2048):
        raise invalid("customRoleArn", "must be the ARN of an IAM role")


def check_document(name: str, text: str) -> None:
    try:
        document = json.loads(text)
    except ValueError as failure:
        raise invalid(name, f"Invalid JSON: {failure}") from None
    if name == "lifecyclePolicy":
        if not isinstance(document, dict) or not isinstance(document.get("rules"), list) or not document["rules"]:
            raise error(
                "InvalidParameterException", "Invalid parameter at 'lifecyclePolicy': it must hold a list of 'rules'"
            )
    elif not isinstance(document, dict) or "Statement" not in document:
        raise error("InvalidParameterException", "Invalid parameter at 'repositoryPolicy': it must hold a 'Statement'")


def given(self) -> dict:
    return {name: self._get_param(name) for name in FIELDS if self._get_param(name) is not None}


def _template(self, prefix) -> dict:
    return TEMPLATES.get(self.ecr_backend, check_prefix(prefix))


def _answer(self, template: dict) -> ActionResult:
    return ActionResult({"registryId": self.current_account, "repositoryCreationTemplate": dict(template)})


def create_repository_creation_template(self) -> ActionResult:
    prefix = check_prefix(self._get_param("prefix"))
    fields = given(self)
    if not fields.get("appliedFor"):
        raise invalid("appliedFor", "Member must have at least one element")
    check_fields(fields)
    created = now()
    template = {
        "prefix": prefix,
        "encryptionConfiguration": {"encryptionType": "AES256"},
        "resourceTags": [],
        "imageTagMutability": "MUTABLE",
        **fields,
        "createdAt": created,
        "updatedAt": created,
    }
    return _answer(self, TEMPLATES.add(self.ecr_backend, prefix, template))


def describe_repository_creation_templates(self) -> ActionResult:
    prefixes = self._get_param("prefixes")
    stored = TEMPLATES.all(self.ecr_backend)
    for prefix in prefixes or []:
        check_prefix(prefix)
    names = sorted(stored) if not prefixes else [prefix for prefix in prefixes if prefix in stored]
    page, token = paginate(
        [stored[name] for name in names], self._get_param("maxResults"), self._get_param("nextToken")
    )
    result = {"registryId": self.current_account, "repositoryCreationTemplates": page}
    if token:
        result["nextToken"] = token
    return ActionResult(result)


def update_repository_creation_template(self) -> ActionResult:
    template = _template(self, self._get_param("prefix"))
    fields = given(self)
    mutability = fields.get("imageTagMutability")
    if mutability and not mutability.endswith("_WITH_EXCLUSION") and "imageTagMutabilityExclusionFilters" not in fields:
        # A mutability without exclusions ends the filters of a *_WITH_EXCLUSION template (as for a repository).
        template.pop("imageTagMutabilityExclusionFilters", None)
    merged = {**template, **fields}
    check_fields({name: merged.get(name) for name in FIELDS})
    template.update(fields, updatedAt=now())
    return _answer(self, template)


def delete_repository_creation_template(self) -> ActionResult:
    template = TEMPLATES.remove(self.ecr_backend, check_prefix(self._get_param("prefix")))
    return _answer(self, template)
