"""What moto's ECR (5.2) lacks or gets wrong, added to the moto server localaws runs (README.md, "What localaws adds
to moto's ECR"). State lives on moto's ECR backend of each account and region, in memory, like moto's own.

- account settings (GetAccountSetting, PutAccountSetting: REGISTRY_POLICY_SCOPE, BASIC_SCAN_TYPE_VERSION), and a
  registry policy check that follows REGISTRY_POLICY_SCOPE (moto allows V1's actions only);
- pull through cache rules (Create, Describe, Update, Delete, Validate);
- repository creation templates (Create, Describe, Update, Delete);
- PutRegistryScanningConfiguration validated, without moto's bug that breaks every later CreateRepository;
- PutReplicationConfiguration validated as ECR does, with more than one rule (moto refuses a second);
- ECR's limit of 50 tags per repository (`aws:` tags not counted) on TagResource and CreateRepository;
- BatchGetImage names each image by the tag asked for (moto names it by the image's most recent tag);
- LocalawsAgeImages (not an ECR API): images' push times moved back, for tests of age-based lifecycle rules.
"""

from __future__ import annotations

from . import account_settings, creation_templates, image_times, images, pull_through_cache, replication, scanning, tags

ACTIONS = {
    "get_account_setting": account_settings.get_account_setting,
    "put_account_setting": account_settings.put_account_setting,
    "create_pull_through_cache_rule": pull_through_cache.create_pull_through_cache_rule,
    "describe_pull_through_cache_rules": pull_through_cache.describe_pull_through_cache_rules,
    "update_pull_through_cache_rule": pull_through_cache.update_pull_through_cache_rule,
    "delete_pull_through_cache_rule": pull_through_cache.delete_pull_through_cache_rule,
    "validate_pull_through_cache_rule": pull_through_cache.validate_pull_through_cache_rule,
    "create_repository_creation_template": creation_templates.create_repository_creation_template,
    "describe_repository_creation_templates": creation_templates.describe_repository_creation_templates,
    "update_repository_creation_template": creation_templates.update_repository_creation_template,
    "delete_repository_creation_template": creation_templates.delete_repository_creation_template,
    "put_registry_scanning_configuration": scanning.put_registry_scanning_configuration,
    "put_replication_configuration": replication.put_replication_configuration,
    "localaws_age_images": image_times.localaws_age_images,
}


def install() -> None:
    """Register the extensions with moto's ECR response class and backend (before the server starts; works for
    in-process moto too). Idempotent."""
    # pylint: disable=import-outside-toplevel,protected-access
    from moto.ecr.models import ECRBackend
    from moto.ecr.responses import ECRResponse

    for name, action in ACTIONS.items():
        setattr(ECRResponse, name, action)
    ECRBackend._validate_registry_policy_action = account_settings.validate_registry_policy_action
    ECRBackend._match_repository_filter = scanning.match_repository_filter
    if not getattr(ECRBackend.tag_resource, "tag_limit", False):
        ECRBackend.tag_resource = tags.limited_tag_resource(ECRBackend.tag_resource)
        ECRBackend.create_repository = tags.limited_create_repository(ECRBackend.create_repository)
        ECRBackend.tag_resource.tag_limit = True
    if not getattr(ECRBackend.batch_get_image, "tagged", False):
        ECRBackend.batch_get_image = images.tagged_batch_get_image(ECRBackend.batch_get_image)
