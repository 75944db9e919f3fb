# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The registry-level converges (pull through cache rules, creation templates, scanning, account settings) against
in-process moto with the emulator's ECR extensions (tools/localaws/ecr_extensions): create, no change, check mode,
update, delete, and no write call when nothing differs."""

import boto3
import moto
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry, RetryingBotoClientWrapper
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import RegistrySettingsError
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import (
    account_setting,
    creation_template,
    pull_through_cache,
    registry_scanning,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models import account_setting as setting_model
from ansible_collections.dockyard.ecr.plugins.module_utils._models import creation_template as template_model
from ansible_collections.dockyard.ecr.plugins.module_utils._models import pull_through_cache as rule_model
from ansible_collections.dockyard.ecr.plugins.module_utils._models import registry_scanning as scanning_model
from localaws import ecr_extensions  # tools/localaws, on the path through conftest.py

REGION = "eu-west-1"
ACCOUNT = "123456789012"
WRITES = (
    "Create",
    "Update",
    "Delete",
    "Put",
)


class Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, model, **kwargs):
        self.calls.append(model.name)

    @property
    def writes(self):
        return [call for call in self.calls if call.startswith(WRITES)]


@pytest.fixture
def ecr():
    ecr_extensions.install()
    with moto.mock_aws():
        raw = boto3.client("ecr", region_name=REGION)
        recorder = Recorder()
        raw.meta.events.register("before-call.ecr", recorder)
        client = RetryingBotoClientWrapper(raw, AWSRetry.jittered_backoff())
        client.recorder = recorder
        client.raw = raw
        yield client


def secret(name="ecr-pullthroughcache/docker-hub"):
    client = boto3.client("secretsmanager", region_name=REGION)
    return client.create_secret(Name=name, SecretString='{"username":"u","accessToken":"t"}')["ARN"]


def four_times(run, client, request):
    """check, real, check, real: the results, and the write calls of each step."""
    results = []
    for check_mode in (True, False, True, False):
        client.recorder.calls.clear()
        result = run(client, request, check_mode=check_mode)
        results.append((result, client.recorder.writes))
    return results


def test_pull_through_cache_rule_lifecycle(ecr):
    arn = secret()
    request = rule_model.validate_params(
        {"ecr_repository_prefix": "docker-hub", "upstream_registry_url": "docker.io", "credential_arn": arn},
        region=REGION,
    )
    (check, check_writes), (real, real_writes), (again, again_writes), (last, last_writes) = four_times(
        pull_through_cache.run, ecr, request
    )
    assert check["changed"] and check_writes == []
    assert real["changed"] and real_writes == ["CreatePullThroughCacheRule"]
    assert real["pull_through_cache_rule"]["upstream_registry"] == "docker-hub"
    assert real["pull_through_cache_rule"]["upstream_registry_url"] == "registry-1.docker.io"
    assert not again["changed"] and again_writes == []
    assert not last["changed"] and last_writes == []

    other = secret("ecr-pullthroughcache/docker-hub-2")
    update = rule_model.validate_params(
        dict(request, state="present", credential_arn=other, upstream_registry_url="docker.io"), REGION
    )
    ecr.recorder.calls.clear()
    result = pull_through_cache.run(ecr, update)
    assert result["changed"] and ecr.recorder.writes == ["UpdatePullThroughCacheRule"]
    assert result["pull_through_cache_rule"]["credential_arn"] == other
    assert result["diff"]["before"]["credential_arn"] == arn

    moved = rule_model.validate_params(
        {"ecr_repository_prefix": "docker-hub", "upstream_registry_url": "quay.io"}, REGION
    )
    ecr.recorder.calls.clear()
    with pytest.raises(RegistrySettingsError, match="upstream_registry_url: .*cannot change a rule's upstream"):
        pull_through_cache.run(ecr, moved)
    assert ecr.recorder.writes == []

    absent = rule_model.validate_params({"ecr_repository_prefix": "docker-hub", "state": "absent"})
    results = four_times(pull_through_cache.run, ecr, absent)
    assert [r["changed"] for r, _w in results] == [True, True, False, False]
    assert [w for _r, w in results] == [[], ["DeletePullThroughCacheRule"], [], []]


def test_ecr_upstream_rule_keeps_root_prefix(ecr):
    request = rule_model.validate_params(
        {"ecr_repository_prefix": "mirror", "upstream_registry_url": f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"}
    )
    assert request["upstream_repository_prefix"] == "ROOT"
    assert pull_through_cache.run(ecr, request)["changed"]
    assert not pull_through_cache.run(ecr, request)["changed"]


def test_creation_template_lifecycle(ecr):
    params = {
        "prefix": "prod",
        "applied_for": ["pull_through_cache", "replication"],
        "image_tag_mutability": "immutable_with_exclusion",
        "image_tag_mutability_exclusion_filters": ["latest"],
        "tags": {"team": "platform"},
        "lifecycle": {"keep_last": 10},
        "pull": ["111111111111"],
        "description": "production",
    }
    request = template_model.validate_params(params)
    results = four_times(creation_template.run, ecr, request)
    assert [r["changed"] for r, _w in results] == [True, True, False, False]
    assert [w for _r, w in results] == [[], ["CreateRepositoryCreationTemplate"], [], []]
    template = results[1][0]["repository_creation_template"]
    assert template["applied_for"] == ["pull_through_cache", "replication"]
    assert template["image_tag_mutability"] == "immutable_with_exclusion"
    assert template["image_tag_mutability_exclusion_filters"] == ["latest"]
    assert template["tags"] == {"team": "platform"}
    assert template["lifecycle_policy"]["rules"][0]["selection"]["countNumber"] == 10
    assert template["repository_policy"]["Statement"][0]["Principal"] == {"AWS": ["arn:aws:iam::111111111111:root"]}

    update = template_model.validate_params(
        {"prefix": "prod", "image_tag_mutability": "mutable", "tags": {"team": "x"}}
    )
    results = four_times(creation_template.run, ecr, update)
    assert [r["changed"] for r, _w in results] == [True, True, False, False]
    assert [w for _r, w in results] == [[], ["UpdateRepositoryCreationTemplate"], [], []]
    after = results[1][0]["repository_creation_template"]
    assert after["image_tag_mutability"] == "mutable" and after["image_tag_mutability_exclusion_filters"] == []
    assert after["tags"] == {"team": "x"}
    # What the update left out stays.
    assert after["applied_for"] == ["pull_through_cache", "replication"] and after["description"] == "production"

    absent = template_model.validate_params({"prefix": "prod", "state": "absent"})
    results = four_times(creation_template.run, ecr, absent)
    assert [w for _r, w in results] == [[], ["DeleteRepositoryCreationTemplate"], [], []]


def test_creation_template_needs_applied_for_to_create(ecr):
    request = template_model.validate_params({"prefix": "ROOT", "description": "all"})
    with pytest.raises(RegistrySettingsError, match="applied_for: required"):
        creation_template.run(ecr, request)
    assert ecr.recorder.writes == []


def test_registry_scanning(ecr):
    request = scanning_model.validate_params(
        {"scan_type": "enhanced", "rules": [{"scan_frequency": "CONTINUOUS_SCAN", "repository_filters": ["prod/*"]}]}
    )
    results = four_times(registry_scanning.run, ecr, request)
    assert [r["changed"] for r, _w in results] == [True, True, False, False]
    assert [w for _r, w in results] == [[], ["PutRegistryScanningConfiguration"], [], []]
    assert results[1][0]["scanning_configuration"]["rules"] == [
        {"scan_frequency": "CONTINUOUS_SCAN", "repository_filters": ["prod/*"]}
    ]
    # Rules left out are kept; BASIC cannot keep a continuous rule.
    with pytest.raises(RegistrySettingsError, match="rules: the registry's current rules"):
        registry_scanning.run(ecr, scanning_model.validate_params({"scan_type": "BASIC"}))
    # moto's bug (CreateRepository fails after PutRegistryScanningConfiguration) is fixed by the emulator.
    ecr.create_repository(repositoryName="prod/app")


def test_account_setting(ecr):
    request = setting_model.validate_params({"name": "registry_policy_scope", "value": "v1"})
    results = four_times(account_setting.run, ecr, request)
    assert [r["changed"] for r, _w in results] == [True, True, False, False]
    assert [w for _r, w in results] == [[], ["PutAccountSetting"], [], []]
    assert results[0][0]["diff"] == {
        "before": {"name": "REGISTRY_POLICY_SCOPE", "value": "V2"},
        "after": {"name": "REGISTRY_POLICY_SCOPE", "value": "V1"},
    }
