# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The registry-level models, pure: account settings, scanning, pull through cache rules, creation templates and
the estate's registry block."""

import pytest
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import RegistrySettingsError
from ansible_collections.dockyard.ecr.plugins.module_utils._models import (
    account_setting,
    creation_template,
    estate,
    pull_through_cache,
    registry_scanning,
)

SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf"


# Account settings -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("REGISTRY_POLICY_SCOPE", "V1", ("REGISTRY_POLICY_SCOPE", "V1")),
        ("registry_policy_scope", "v2", ("REGISTRY_POLICY_SCOPE", "V2")),
        ("BASIC_SCAN_TYPE_VERSION", "clair", ("BASIC_SCAN_TYPE_VERSION", "CLAIR")),
    ],
)
def test_account_setting_accepts_the_documented_values(name, value, expected):
    assert account_setting.validate_setting(name, value) == expected


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("REGISTRY_POLICY_SCOPE", "V3", "value: V3 is not a value of REGISTRY_POLICY_SCOPE; use one of V1, V2"),
        ("BASIC_SCAN_TYPE_VERSION", "V2", "value: V2 is not a value of BASIC_SCAN_TYPE_VERSION"),
        ("TAG_LIMIT", "1", "name: TAG_LIMIT is not an ECR account setting"),
    ],
)
def test_account_setting_refuses(name, value, message):
    with pytest.raises(RegistrySettingsError, match=message.replace("(", r"\(")):
        account_setting.validate_setting(name, value)


def test_account_settings_of_the_estate_are_sorted():
    assert account_setting.validate_settings(
        {"registry_policy_scope": "v2", "BASIC_SCAN_TYPE_VERSION": "AWS_NATIVE"}
    ) == [
        {"name": "BASIC_SCAN_TYPE_VERSION", "value": "AWS_NATIVE"},
        {"name": "REGISTRY_POLICY_SCOPE", "value": "V2"},
    ]
    with pytest.raises(RegistrySettingsError, match="account_settings.REGISTRY_POLICY_SCOPE: V9"):
        account_setting.validate_settings({"REGISTRY_POLICY_SCOPE": "V9"})


# Scanning ---------------------------------------------------------------------------------------------------


def test_scanning_rules_are_normalised():
    request = registry_scanning.validate_params(
        {
            "scan_type": "enhanced",
            "rules": [
                {"scan_frequency": "SCAN_ON_PUSH", "repository_filters": ["b", "a", "a"]},
                {
                    "scan_frequency": "CONTINUOUS_SCAN",
                    "repository_filters": [{"filter": "prod/*", "filterType": "WILDCARD"}],
                },
            ],
        }
    )
    assert request == {
        "scan_type": "ENHANCED",
        "rules": [
            {"scan_frequency": "CONTINUOUS_SCAN", "repository_filters": ["prod/*"]},
            {"scan_frequency": "SCAN_ON_PUSH", "repository_filters": ["a", "b"]},
        ],
    }
    api = registry_scanning.to_api(request)
    assert registry_scanning.from_api(api) == request


@pytest.mark.parametrize(
    "params, message",
    [
        ({"scan_type": "DEEP"}, "scan_type: DEEP is not one of BASIC, ENHANCED"),
        (
            {"scan_type": "BASIC", "rules": [{"scan_frequency": "CONTINUOUS_SCAN", "repository_filters": ["*"]}]},
            r"rules\[0\].scan_frequency: CONTINUOUS_SCAN needs scan_type=ENHANCED",
        ),
        (
            {"scan_type": "BASIC", "rules": [{"scan_frequency": "SCAN_ON_PUSH", "repository_filters": []}]},
            r"rules\[0\].repository_filters: give at least one filter",
        ),
        (
            {"scan_type": "BASIC", "rules": [{"scan_frequency": "SCAN_ON_PUSH", "repository_filters": ["App/*"]}]},
            r"rules\[0\].repository_filters\[0\]: 'App/\*' is not a repository filter",
        ),
        (
            {"scan_type": "ENHANCED", "rules": [{"scan_frequency": "SCAN_ON_PUSH", "repository_filters": ["a"]}] * 3},
            "rules: 3 rules; ECR takes at most 2",
        ),
    ],
)
def test_scanning_refuses(params, message):
    with pytest.raises(RegistrySettingsError, match=message):
        registry_scanning.validate_params(params)


def test_scanning_keeps_current_rules_only_when_they_suit():
    current = registry_scanning.from_api(
        {"scanType": "ENHANCED", "rules": [{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "*"}]}]}
    )
    wanted = registry_scanning.desired(registry_scanning.validate_params({"scan_type": "BASIC"}), current)
    assert wanted == {"scan_type": "BASIC", "rules": current["rules"]}
    continuous = dict(current, rules=[{"scan_frequency": "CONTINUOUS_SCAN", "repository_filters": ["*"]}])
    with pytest.raises(RegistrySettingsError, match="rules: the registry's current rules do not suit scan_type=BASIC"):
        registry_scanning.desired(registry_scanning.validate_params({"scan_type": "BASIC"}), continuous)


# Pull through cache -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, upstream, normalised",
    [
        ("public.ecr.aws", "ecr-public", "public.ecr.aws"),
        ("https://quay.io/", "quay", "quay.io"),
        ("registry.k8s.io", "k8s", "registry.k8s.io"),
        ("docker.io", "docker-hub", "registry-1.docker.io"),
        ("ghcr.io", "github-container-registry", "ghcr.io"),
        ("registry.gitlab.com", "gitlab-container-registry", "registry.gitlab.com"),
        ("myteam.azurecr.io", "azure-container-registry", "myteam.azurecr.io"),
        ("cgr.dev", "chainguard", "cgr.dev"),
        ("111111111111.dkr.ecr.us-west-2.amazonaws.com", "ecr", "111111111111.dkr.ecr.us-west-2.amazonaws.com"),
    ],
)
def test_upstreams_ecr_supports(url, upstream, normalised):
    name, text, _match = pull_through_cache.upstream_of(url)
    assert (name, text) == (upstream, normalised)


def _rule(**params):
    return pull_through_cache.validate_params(dict({"ecr_repository_prefix": "cache"}, **params), region="eu-west-1")


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"upstream_registry_url": "gcr.io"},
            "upstream_registry_url: gcr.io is not an upstream registry ECR can cache",
        ),
        ({"upstream_registry_url": "docker.io"}, "credential_arn: docker-hub needs credentials"),
        (
            {"upstream_registry_url": "quay.io", "credential_arn": SECRET},
            "credential_arn: quay takes no Secrets Manager",
        ),
        (
            {"upstream_registry_url": "ghcr.io", "credential_arn": SECRET.replace("ecr-pullthroughcache/", "")},
            r"credential_arn: .* \(ECR requires that prefix\)",
        ),
        (
            {"upstream_registry_url": "ghcr.io", "credential_arn": SECRET.replace("eu-west-1", "us-east-1")},
            "credential_arn: the secret is in region us-east-1; it must be in the rule's region, eu-west-1",
        ),
        (
            {"upstream_registry_url": "ghcr.io", "credential_arn": SECRET, "registry_id": "999999999999"},
            "credential_arn: the secret is in account 123456789012; it must be in the registry's, 999999999999",
        ),
        (
            {"upstream_registry_url": "quay.io", "custom_role_arn": "arn:aws:iam::123456789012:role/x"},
            "custom_role_arn: only an Amazon ECR upstream authenticates with a role",
        ),
        (
            {"upstream_registry_url": "111111111111.dkr.ecr.us-west-2.amazonaws.com", "registry_id": "123456789012"},
            "custom_role_arn: the upstream registry is in account 111111111111, another account",
        ),
        (
            {"upstream_registry_url": "quay.io", "upstream_repository_prefix": "coreos"},
            "upstream_repository_prefix: only",
        ),
        ({"upstream_registry_url": "quay.io", "ecr_repository_prefix": "Q"}, "ecr_repository_prefix: Q is not"),
    ],
)
def test_pull_through_cache_refuses(params, message):
    with pytest.raises(RegistrySettingsError, match=message):
        _rule(**params)


def test_pull_through_cache_same_account_ecr_needs_no_role():
    request = _rule(upstream_registry_url="123456789012.dkr.ecr.us-west-2.amazonaws.com", registry_id="123456789012")
    assert request["custom_role_arn"] is None and request["upstream_repository_prefix"] == "ROOT"


def test_pull_through_cache_plan():
    request = _rule(upstream_registry_url="docker.io", credential_arn=SECRET, ecr_repository_prefix="hub/")
    assert request["ecr_repository_prefix"] == "hub"
    action, after, _changes = pull_through_cache.plan(request, None)
    assert action == "create" and after["upstream_registry"] == "docker-hub"
    current = dict(after, registry_id="123456789012")
    assert pull_through_cache.plan(request, current)[0] == "none"
    other = SECRET.replace("docker-hub", "hub-2")
    action, after, changes = pull_through_cache.plan(dict(request, credential_arn=other), current)
    assert (action, changes) == ("update", {"credential_arn": other})
    moved = _rule(upstream_registry_url="quay.io", ecr_repository_prefix="hub")
    with pytest.raises(RegistrySettingsError, match="ECR cannot change a rule's upstream"):
        pull_through_cache.plan(moved, current)
    assert pull_through_cache.plan({"state": "absent"}, current)[0] == "delete"
    assert pull_through_cache.plan({"state": "absent"}, None)[0] == "none"


# Creation templates -----------------------------------------------------------------------------------------


def test_template_reuses_the_repository_lifecycle_and_grant_models():
    request = creation_template.validate_params(
        {
            "prefix": "ROOT",
            "applied_for": ["CREATE_ON_PUSH", "replication"],
            "lifecycle": {"keep_last": 5},
            "pull": ["111111111111"],
            "tags": {"a": "b"},
        }
    )
    wanted = request["wanted"]
    assert wanted["applied_for"] == ["create_on_push", "replication"]
    assert wanted["lifecycle_policy"]["rules"][0]["selection"] == {
        "tagStatus": "any",
        "countType": "imageCountMoreThan",
        "countNumber": 5,
    }
    assert wanted["repository_policy"]["Statement"][0]["Sid"] == "DockyardPull"
    action, after, _keys = creation_template.plan(request, None)
    params = creation_template.to_api(after)
    assert params["appliedFor"] == ["CREATE_ON_PUSH", "REPLICATION"]
    assert params["resourceTags"] == [{"Key": "a", "Value": "b"}]
    stored = dict(params, createdAt="2025-01-01")
    current = creation_template.from_api(stored)
    assert creation_template.plan(request, current)[0] == "none"


@pytest.mark.parametrize(
    "params, message",
    [
        ({"prefix": "Team/"}, "prefix: Team/ is not a template prefix"),
        ({"prefix": "a", "applied_for": ["mirroring"]}, "applied_for: 'mirroring' is not one of"),
        ({"prefix": "a", "description": "x" * 257}, "description: 257 characters"),
        (
            {"prefix": "a", "encryption": {"type": "KMS", "kms_key": "alias/ecr"}},
            "encryption.kms_key: 'alias/ecr': a template",
        ),
        ({"prefix": "a", "image_tag_mutability_exclusion_filters": ["x"]}, "image_tag_mutability_exclusion_filters"),
        ({"prefix": "a", "pull": ["1234"]}, r"pull\[0\]"),
        (
            {"prefix": "a", "image_tag_mutability": "immutable_with_exclusion"},
            "image_tag_mutability_exclusion_filters: required with image_tag_mutability=immutable_with_exclusion",
        ),
        ({"prefix": "a", "pull": ["111111111111"], "policy": {"Statement": []}}, "policy: give either the grants"),
        ({"prefix": "a", "lifecycle": {"keep_last": 0}}, "lifecycle"),
        ({"prefix": "a", "custom_role_arn": "role/x"}, "custom_role_arn: 'role/x' is not the ARN of an IAM role"),
    ],
)
def test_template_refuses(params, message):
    with pytest.raises(RegistrySettingsError, match=message):
        creation_template.validate_params(params)


def test_template_update_changes_only_what_is_given():
    current = creation_template.from_api(
        {
            "prefix": "prod/",
            "appliedFor": ["REPLICATION"],
            "imageTagMutability": "IMMUTABLE",
            "resourceTags": [{"Key": "team", "Value": "a"}, {"Key": "cost", "Value": "1"}],
            "description": "d",
        }
    )
    request = creation_template.validate_params({"prefix": "prod/", "tags": {"team": "b"}, "purge_tags": False})
    action, after, keys = creation_template.plan(request, current)
    assert (action, keys) == ("update", ["tags"])
    assert after["tags"] == {"team": "b", "cost": "1"} and after["image_tag_mutability"] == "immutable"
    with pytest.raises(RegistrySettingsError, match="applied_for: required to create a template"):
        creation_template.plan(request, None)


# The estate's registry block --------------------------------------------------------------------------------


def _registries(block):
    return [{"name": "main", "account_id": "123456789012", "region": "eu-west-1", "registry": block}]


def test_registry_block_plan_gives_every_option():
    plan = estate.registry_settings(
        _registries(
            {
                "account_settings": {"REGISTRY_POLICY_SCOPE": "V2"},
                "scanning": {
                    "scan_type": "BASIC",
                    "rules": [{"scan_frequency": "SCAN_ON_PUSH", "repository_filters": ["*"]}],
                },
                "pull_through_cache": [
                    {"ecr_repository_prefix": "ecr-public", "upstream_registry_url": "public.ecr.aws"}
                ],
                "creation_templates": [{"prefix": "ROOT", "applied_for": ["replication"]}],
            }
        ),
        "123456789012",
        "eu-west-1",
    )
    assert plan["account_settings"] == [{"name": "REGISTRY_POLICY_SCOPE", "value": "V2"}]
    assert plan["scanning"]["scan_type"] == "BASIC"
    assert (
        plan["pull_through_cache"][0]["state"] == "present" and plan["pull_through_cache"][0]["credential_arn"] is None
    )
    template = plan["creation_templates"][0]
    assert set(template) >= {"prefix", "lifecycle", "pull", "purge_tags", "allow_public"} and template["purge_tags"]


def test_no_registry_block_is_nothing_to_do():
    assert estate.registry_settings(_registries(None), "123456789012", "eu-west-1") == {
        "account_settings": [],
        "scanning": None,
        "pull_through_cache": [],
        "creation_templates": [],
    }


@pytest.mark.parametrize(
    "block, message",
    [
        ({"mirrors": []}, r"ecr_registries\[0\].registry.mirrors: not an option here"),
        (
            {"pull_through_cache": [{"ecr_repository_prefix": "hub", "upstream_registry_url": "docker.io"}]},
            r"ecr_registries\[0\].registry.pull_through_cache\[0\].credential_arn: docker-hub needs credentials",
        ),
        (
            {"creation_templates": [{"prefix": "ROOT"}]},
            r"ecr_registries\[0\].registry.creation_templates\[0\].applied_for: give one or more",
        ),
        (
            {"creation_templates": [{"prefix": "a", "applied_for": ["replication"]}] * 2},
            r"creation_templates\[1\].prefix: 'a' is also",
        ),
        ({"scanning": {"scan_type": "BASIC", "rules": "all"}}, r"registry.scanning.rules: give a list"),
    ],
)
def test_registry_block_problems_before_any_write(block, message):
    with pytest.raises(estate.EstateError, match=message):
        estate.registry_settings(_registries(block), "123456789012", "eu-west-1")
    problems = estate.host_problems(
        "main", ["registries"], account_id="123456789012", region="eu-west-1", registries=_registries(block)
    )
    assert len(problems) == 1 and problems[0].startswith("ecr_registries[0].registry")


def test_template_pull_through_cache_grant_adds_the_upstream_import():
    """The template's grants take ecr_policy's pull_through_cache flag (and refuse it without a grant)."""
    request = creation_template.validate_params(
        {"prefix": "docker-hub/", "pull": ["111111111111"], "pull_through_cache": True}
    )
    actions = request["wanted"]["repository_policy"]["Statement"][0]["Action"]
    assert "ecr:BatchImportUpstreamImage" in actions
    plain = creation_template.validate_params({"prefix": "docker-hub/", "pull": ["111111111111"]})
    assert "ecr:BatchImportUpstreamImage" not in plain["wanted"]["repository_policy"]["Statement"][0]["Action"]
    with pytest.raises(RegistrySettingsError, match="pull_through_cache: adds ecr:BatchImportUpstreamImage"):
        creation_template.validate_params({"prefix": "docker-hub/", "pull_through_cache": True})
