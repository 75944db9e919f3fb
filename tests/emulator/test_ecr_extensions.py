"""The ECR APIs localaws adds to moto (tools/localaws/ecr_extensions), through boto3 against moto's server.

Each test works in accounts of its own (roles assumed through moto's STS), so tests do not see each other's
state and account isolation is checked on the way.
"""

from __future__ import annotations

import hashlib
import itertools
import json

import pytest

boto3 = pytest.importorskip("boto3")
botocore = pytest.importorskip("botocore")

# pylint: disable=wrong-import-position
from support import DEFAULT_ACCOUNT, MotoServer, age_images  # noqa: E402
from support.emulator import assumed_credentials  # noqa: E402

REGION = "eu-west-1"
ACCOUNTS = (f"{n:012d}" for n in itertools.count(300000000001))
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
UNTAGGED_WEEK = {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7}
LIFECYCLE = {"rules": [{"rulePriority": 1, "selection": UNTAGGED_WEEK, "action": {"type": "expire"}}]}


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    server = MotoServer(tmp_path_factory.mktemp("moto"))
    yield server
    server.stop()


@pytest.fixture
def account(moto):
    """A client factory acting in a fresh account: ``account("ecr")``, ``account("ecr", region="us-west-2")``."""
    account_id = next(ACCOUNTS)
    credentials = assumed_credentials(moto.url, REGION, account_id, KEYS)

    def client(service: str, region: str = REGION):
        return boto3.client(service, endpoint_url=moto.url, region_name=region, **credentials)

    client.id = account_id
    return client


def other_account(moto, service: str = "ecr"):
    return boto3.client(
        service,
        endpoint_url=moto.url,
        region_name=REGION,
        **assumed_credentials(moto.url, REGION, next(ACCOUNTS), KEYS),
    )


def error_code(call, **kwargs) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(**kwargs)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400, caught.value.response
    return caught.value.response["Error"]["Code"]


# ------------------------------------------------------------------------------------------ account settings


def test_account_settings_default_put_get_and_isolation(account, moto):
    ecr = account("ecr")
    assert ecr.get_account_setting(name="REGISTRY_POLICY_SCOPE")["value"] == "V2"
    assert ecr.get_account_setting(name="BASIC_SCAN_TYPE_VERSION")["value"] == "AWS_NATIVE"
    answer = ecr.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V1")
    assert (answer["name"], answer["value"]) == ("REGISTRY_POLICY_SCOPE", "V1")
    assert ecr.get_account_setting(name="REGISTRY_POLICY_SCOPE")["value"] == "V1"
    ecr.put_account_setting(name="BASIC_SCAN_TYPE_VERSION", value="CLAIR")
    assert ecr.get_account_setting(name="BASIC_SCAN_TYPE_VERSION")["value"] == "CLAIR"
    # another account, and the same account in another region, keep their defaults
    assert other_account(moto).get_account_setting(name="REGISTRY_POLICY_SCOPE")["value"] == "V2"
    assert account("ecr", "us-west-2").get_account_setting(name="REGISTRY_POLICY_SCOPE")["value"] == "V2"


def test_account_settings_refuse_unknown_names_and_values(account):
    ecr = account("ecr")
    assert error_code(ecr.get_account_setting, name="NO_SUCH_SETTING") == "InvalidParameterException"
    assert error_code(ecr.put_account_setting, name="REGISTRY_POLICY_SCOPE", value="V3") == "ValidationException"
    assert error_code(ecr.put_account_setting, name="BASIC_SCAN_TYPE_VERSION", value="V2") == "ValidationException"
    assert ecr.get_account_setting(name="REGISTRY_POLICY_SCOPE")["value"] == "V2"


def registry_policy(account_id: str, *actions: str) -> str:
    statement = {"Sid": "T", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DEFAULT_ACCOUNT}:root"},
                 "Action": list(actions), "Resource": f"arn:aws:ecr:{REGION}:{account_id}:repository/*"}  # fmt: skip
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_registry_policy_follows_the_policy_scope(account):
    ecr = account("ecr")
    pull = registry_policy(account.id, "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
    ecr.put_registry_policy(policyText=pull)  # V2 (the default): any ECR action
    assert json.loads(ecr.get_registry_policy()["policyText"]) == json.loads(pull)
    assert error_code(ecr.put_registry_policy, policyText=registry_policy(account.id, "s3:GetObject")) == (
        "InvalidParameterException"
    )
    ecr.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V1")
    assert error_code(ecr.put_registry_policy, policyText=pull) == "InvalidParameterException"
    v1 = registry_policy(account.id, "ecr:ReplicateImage", "ecr:CreateRepository", "ecr:BatchImportUpstreamImage")
    ecr.put_registry_policy(policyText=v1)
    assert json.loads(ecr.get_registry_policy()["policyText"]) == json.loads(v1)


# ------------------------------------------------------------------------------------------ registry scanning


def test_scanning_configuration_then_create_repository_works(account):
    ecr = account("ecr")
    ecr.put_registry_scanning_configuration(scanType="BASIC")  # no rules: moto 5.2 broke every later create here
    assert ecr.get_registry_scanning_configuration()["scanningConfiguration"] == {"scanType": "BASIC", "rules": []}
    assert ecr.create_repository(repositoryName="after-scanning")["repository"]["repositoryName"] == "after-scanning"
    rules = [
        {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "prod-*", "filterType": "WILDCARD"}]}
    ]
    ecr.put_registry_scanning_configuration(scanType="ENHANCED", rules=rules)
    ecr.create_repository(repositoryName="prod-api")
    ecr.create_repository(repositoryName="staging-prod-api")
    found = ecr.batch_get_repository_scanning_configuration(repositoryNames=["prod-api", "staging-prod-api"])
    frequencies = {c["repositoryName"]: c["scanFrequency"] for c in found["scanningConfigurations"]}
    # a WILDCARD filter matches the whole name (moto alone also matches any name containing it)
    assert frequencies == {"prod-api": "CONTINUOUS_SCAN", "staging-prod-api": "MANUAL"}


def test_scanning_configuration_refuses_bad_input_and_keeps_the_old_one(account):
    ecr = account("ecr")
    rule = {"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "app*", "filterType": "WILDCARD"}]}
    ecr.put_registry_scanning_configuration(scanType="BASIC", rules=[rule])
    refused = [
        {"scanType": "DEEP"},
        {"scanType": "BASIC", "rules": [{**rule, "scanFrequency": "CONTINUOUS_SCAN"}]},
        {"scanType": "ENHANCED", "rules": [{**rule, "scanFrequency": "HOURLY"}]},
        {
            "scanType": "ENHANCED",
            "rules": [{**rule, "repositoryFilters": [{"filter": "App*", "filterType": "WILDCARD"}]}],
        },
        {"scanType": "ENHANCED", "rules": [rule, rule, rule]},
    ]
    for arguments in refused:
        code = error_code(ecr.put_registry_scanning_configuration, **arguments)
        assert code in ("ValidationException", "InvalidParameterException"), arguments
    assert ecr.get_registry_scanning_configuration()["scanningConfiguration"] == {"scanType": "BASIC", "rules": [rule]}
    ecr.create_repository(repositoryName="still-works")


# ------------------------------------------------------------------------------------------ pull through cache


def secret_arn(account) -> str:
    created = account("secretsmanager").create_secret(Name="ecr-pullthroughcache/docker-hub", SecretString='{"username":"u","accessToken":"t"}')  # fmt: skip
    return created["ARN"]


def test_pull_through_cache_rule_lifecycle(account, moto):
    ecr = account("ecr")
    created = ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="ecr-public", upstreamRegistryUrl="public.ecr.aws")
    assert created["registryId"] == account.id
    assert (created["ecrRepositoryPrefix"], created["upstreamRegistry"]) == ("ecr-public", "ecr-public")
    arn = secret_arn(account)
    ecr.create_pull_through_cache_rule(
        ecrRepositoryPrefix="docker-hub", upstreamRegistryUrl="registry-1.docker.io", credentialArn=arn
    )
    rules = ecr.describe_pull_through_cache_rules()["pullThroughCacheRules"]
    assert [(r["ecrRepositoryPrefix"], r["upstreamRegistryUrl"]) for r in rules] == [
        ("docker-hub", "registry-1.docker.io"),
        ("ecr-public", "public.ecr.aws"),
    ]
    assert rules[0]["credentialArn"] == arn
    one = ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=["ecr-public"])["pullThroughCacheRules"]
    assert [r["ecrRepositoryPrefix"] for r in one] == ["ecr-public"]
    page = ecr.describe_pull_through_cache_rules(maxResults=1)
    assert len(page["pullThroughCacheRules"]) == 1 and page["nextToken"]

    other_arn = account("secretsmanager").create_secret(Name="ecr-pullthroughcache/other", SecretString="{}")["ARN"]
    updated = ecr.update_pull_through_cache_rule(ecrRepositoryPrefix="docker-hub", credentialArn=other_arn)
    assert updated["credentialArn"] == other_arn and updated["updatedAt"]
    validated = ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix="docker-hub")
    assert validated["isValid"] is True
    account("secretsmanager").delete_secret(SecretId=other_arn, ForceDeleteWithoutRecovery=True)
    validated = ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix="docker-hub")
    assert validated["isValid"] is False and "could not be found" in validated["failure"]

    deleted = ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix="docker-hub")
    assert deleted["ecrRepositoryPrefix"] == "docker-hub"
    assert error_code(ecr.delete_pull_through_cache_rule, ecrRepositoryPrefix="docker-hub") == (
        "PullThroughCacheRuleNotFoundException"
    )
    assert error_code(ecr.describe_pull_through_cache_rules, ecrRepositoryPrefixes=["docker-hub"]) == (
        "PullThroughCacheRuleNotFoundException"
    )
    assert other_account(moto).describe_pull_through_cache_rules()["pullThroughCacheRules"] == []


def test_pull_through_cache_rule_for_an_ecr_upstream_needs_a_role(account):
    ecr = account("ecr")
    upstream = f"{DEFAULT_ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
    assert error_code(
        ecr.create_pull_through_cache_rule, ecrRepositoryPrefix="central", upstreamRegistryUrl=upstream
    ) == ("InvalidParameterException")
    role = f"arn:aws:iam::{account.id}:role/ecr-pull-through"
    created = ecr.create_pull_through_cache_rule(
        ecrRepositoryPrefix="central", upstreamRegistryUrl=upstream, customRoleArn=role
    )
    assert (created["upstreamRegistry"], created["customRoleArn"], created["upstreamRepositoryPrefix"]) == (
        "ecr",
        role,
        "ROOT",
    )


def test_pull_through_cache_rule_refuses_bad_input(account):
    ecr = account("ecr")
    create = ecr.create_pull_through_cache_rule
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="quay", upstreamRegistryUrl="quay.io")
    missing_secret = f"arn:aws:secretsmanager:{REGION}:{account.id}:secret:ecr-pullthroughcache/none-AbCdEf"
    refused = {
        "PullThroughCacheRuleAlreadyExistsException": {"ecrRepositoryPrefix": "quay", "upstreamRegistryUrl": "quay.io"},
        "UnsupportedUpstreamRegistryException": {"ecrRepositoryPrefix": "mirror", "upstreamRegistryUrl": "docker.example.com"},
        "InvalidParameterException": {"ecrRepositoryPrefix": "Docker_Hub", "upstreamRegistryUrl": "registry-1.docker.io"},
        "SecretNotFoundException": {"ecrRepositoryPrefix": "hub", "upstreamRegistryUrl": "registry-1.docker.io", "credentialArn": missing_secret},
    }  # fmt: skip
    for code, arguments in refused.items():
        assert error_code(create, **arguments) == code, arguments
    # Docker Hub needs a Secrets Manager secret; quay takes none; the upstream name must match the URL
    assert error_code(create, ecrRepositoryPrefix="hub", upstreamRegistryUrl="registry-1.docker.io") == (
        "InvalidParameterException"
    )
    arn = secret_arn(account)
    assert error_code(create, ecrRepositoryPrefix="q2", upstreamRegistryUrl="quay.io", credentialArn=arn) == (
        "InvalidParameterException"
    )
    assert error_code(
        create, ecrRepositoryPrefix="k8s", upstreamRegistryUrl="registry.k8s.io", upstreamRegistry="quay"
    ) == ("InvalidParameterException")
    assert error_code(
        create, ecrRepositoryPrefix="k8s", upstreamRegistryUrl="registry.k8s.io", upstreamRegistry="gcr"
    ) == ("ValidationException")
    assert [r["ecrRepositoryPrefix"] for r in ecr.describe_pull_through_cache_rules()["pullThroughCacheRules"]] == [
        "quay"
    ]


# ------------------------------------------------------------------------------------------ creation templates


def test_repository_creation_template_lifecycle(account, moto):
    ecr = account("ecr")
    policy = registry_policy(account.id, "ecr:BatchGetImage")
    created = ecr.create_repository_creation_template(
        prefix="team-a",
        description="team A's repositories",
        appliedFor=["PULL_THROUGH_CACHE", "REPLICATION"],
        imageTagMutability="IMMUTABLE",
        lifecyclePolicy=json.dumps(LIFECYCLE),
        repositoryPolicy=policy,
        resourceTags=[{"Key": "team", "Value": "a"}],
    )
    assert created["registryId"] == account.id
    template = created["repositoryCreationTemplate"]
    assert template["prefix"] == "team-a" and template["imageTagMutability"] == "IMMUTABLE"
    assert template["appliedFor"] == ["PULL_THROUGH_CACHE", "REPLICATION"]
    assert template["encryptionConfiguration"] == {"encryptionType": "AES256"}
    assert json.loads(template["lifecyclePolicy"]) == LIFECYCLE
    ecr.create_repository_creation_template(prefix="ROOT", appliedFor=["CREATE_ON_PUSH"])
    listed = ecr.describe_repository_creation_templates()["repositoryCreationTemplates"]
    assert [t["prefix"] for t in listed] == ["ROOT", "team-a"]
    some = ecr.describe_repository_creation_templates(prefixes=["team-a", "nope"])["repositoryCreationTemplates"]
    assert [t["prefix"] for t in some] == ["team-a"]

    updated = ecr.update_repository_creation_template(
        prefix="team-a", imageTagMutability="MUTABLE", appliedFor=["REPLICATION"]
    )
    template = updated["repositoryCreationTemplate"]
    assert (template["imageTagMutability"], template["appliedFor"]) == ("MUTABLE", ["REPLICATION"])
    assert template["description"] == "team A's repositories"  # not given: left alone
    assert template["updatedAt"] >= template["createdAt"]

    assert ecr.delete_repository_creation_template(prefix="team-a")["repositoryCreationTemplate"]["prefix"] == "team-a"
    assert error_code(ecr.delete_repository_creation_template, prefix="team-a") == "TemplateNotFoundException"
    assert (
        error_code(ecr.update_repository_creation_template, prefix="team-a", description="x")
        == "TemplateNotFoundException"
    )
    assert other_account(moto).describe_repository_creation_templates()["repositoryCreationTemplates"] == []


def test_repository_creation_template_refuses_bad_input(account):
    ecr = account("ecr")
    create = ecr.create_repository_creation_template
    create(prefix="base", appliedFor=["REPLICATION"])
    refused = [
        ("TemplateAlreadyExistsException", {"prefix": "base", "appliedFor": ["REPLICATION"]}),
        ("InvalidParameterException", {"prefix": "Bad_Prefix", "appliedFor": ["REPLICATION"]}),
        ("InvalidParameterException", {"prefix": "x", "appliedFor": []}),
        ("ValidationException", {"prefix": "x", "appliedFor": ["ON_PULL"]}),
        ("ValidationException", {"prefix": "x", "appliedFor": ["REPLICATION"], "imageTagMutability": "FROZEN"}),
        ("InvalidParameterException", {"prefix": "x", "appliedFor": ["REPLICATION"], "lifecyclePolicy": "{not json"}),
        ("InvalidParameterException", {"prefix": "x", "appliedFor": ["REPLICATION"], "repositoryPolicy": '{"Version": "2012-10-17"}'}),
        ("ValidationException", {"prefix": "x", "appliedFor": ["REPLICATION"], "encryptionConfiguration": {"encryptionType": "ROT13"}}),
        ("InvalidParameterException", {"prefix": "x", "appliedFor": ["REPLICATION"], "customRoleArn": "not-an-arn"}),
    ]  # fmt: skip
    for code, arguments in refused:
        assert error_code(create, **arguments) == code, arguments
    assert error_code(ecr.update_repository_creation_template, prefix="base", appliedFor=["SOMETIMES"]) == (
        "ValidationException"
    )
    listed = ecr.describe_repository_creation_templates()["repositoryCreationTemplates"]
    assert [(t["prefix"], t["appliedFor"]) for t in listed] == [("base", ["REPLICATION"])]


def test_replication_configuration_takes_several_rules(account):
    ecr = account("ecr")
    rules = [
        {"destinations": [{"region": "us-west-2", "registryId": account.id}]},
        {
            "destinations": [{"region": REGION, "registryId": "111122223333"}],
            "repositoryFilters": [{"filter": "team/", "filterType": "PREFIX_MATCH"}],
        },
    ]
    ecr.put_replication_configuration(replicationConfiguration={"rules": rules})
    assert ecr.describe_registry()["replicationConfiguration"]["rules"] == rules
    ecr.put_replication_configuration(replicationConfiguration={"rules": []})
    assert ecr.describe_registry()["replicationConfiguration"]["rules"] == []


@pytest.mark.parametrize(
    "rules, code",
    [
        ([{"destinations": [{"region": REGION, "registryId": "SELF"}]}], "InvalidParameterException"),
        ([{"destinations": []}], "InvalidParameterException"),
        ([{"destinations": [{"region": "us-west-2", "registryId": "1234"}]}], "ValidationException"),
        (
            [
                {
                    "destinations": [{"region": "us-west-2", "registryId": "111122223333"}],
                    "repositoryFilters": [{"filter": "Team/*", "filterType": "PREFIX_MATCH"}],
                }
            ],
            "InvalidParameterException",
        ),
        ([{"destinations": [{"region": "us-west-2", "registryId": "111122223333"}]}] * 26, "ValidationException"),
        (
            [{"destinations": [{"region": "us-west-2", "registryId": f"{n:012d}"} for n in range(1, 27)]}],
            "LimitExceededException",
        ),
    ],
)
def test_replication_configuration_refuses_what_ecr_refuses(account, rules, code):
    ecr = account("ecr")
    rules = json.loads(json.dumps(rules).replace('"SELF"', json.dumps(account.id)))
    assert error_code(ecr.put_replication_configuration, replicationConfiguration={"rules": rules}) == code
    assert ecr.describe_registry()["replicationConfiguration"]["rules"] == []


# ---------------------------------------------------------------------------------------------------------- tags


def tag_list(count: int, prefix: str = "t") -> list:
    return [{"Key": f"{prefix}{index:02d}", "Value": "x"} for index in range(count)]


def test_tag_limit_of_fifty_per_repository(account):
    """ECR's TooManyTagsException (moto alone takes any number): 50 tags at most, counted after the call."""
    ecr = account("ecr")
    arn = ecr.create_repository(repositoryName="tags/app", tags=tag_list(45))["repository"]["repositoryArn"]
    assert error_code(ecr.tag_resource, resourceArn=arn, tags=tag_list(10, "new")) == "TooManyTagsException"
    assert len(ecr.list_tags_for_resource(resourceArn=arn)["tags"]) == 45  # nothing of the refused call stays
    ecr.tag_resource(resourceArn=arn, tags=tag_list(5, "new"))  # exactly 50
    ecr.tag_resource(resourceArn=arn, tags=tag_list(3))  # values of tags it has: still 50
    assert len(ecr.list_tags_for_resource(resourceArn=arn)["tags"]) == 50
    assert error_code(ecr.create_repository, repositoryName="tags/big", tags=tag_list(51)) == "TooManyTagsException"
    assert ecr.describe_repositories()["repositories"][0]["repositoryName"] == "tags/app"


# ------------------------------------------------------------------------------------------ image ages


def test_images_can_be_aged(account):
    ecr = account("ecr")
    ecr.create_repository(repositoryName="team/old")
    digests = []
    for tag in ("a", "b"):
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": f"sha256:{tag * 64}",
                    "size": 2,
                },
                "layers": [],
            }
        )
        digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
        ecr.put_image(repositoryName="team/old", imageManifest=manifest, imageTag=tag, imageDigest=digest)
        digests.append(digest)
    before = {
        d["imageDigest"]: d["imagePushedAt"] for d in ecr.describe_images(repositoryName="team/old")["imageDetails"]
    }
    assert age_images(ecr, "team/old", days=30, digests=digests[:1]) == (200, {"imageDigests": digests[:1]})
    after = {
        d["imageDigest"]: d["imagePushedAt"] for d in ecr.describe_images(repositoryName="team/old")["imageDetails"]
    }
    assert (before[digests[0]] - after[digests[0]]).days == 30 and after[digests[1]] == before[digests[1]]
    assert age_images(ecr, "team/old", days=0)[0] == 400
    assert age_images(ecr, "team/none", days=1)[0] == 400
    assert age_images(ecr, "team/old", days=1, digests=["sha256:" + "0" * 64])[0] == 400


def test_batch_get_image_names_each_image_by_the_tag_asked_for(account):
    ecr = account("ecr")
    ecr.create_repository(repositoryName="team/tags")
    digests = {}
    for config, tags in (("a", ("v1", "latest")), ("b", ("v2",))):
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": f"sha256:{config * 64}",
                    "size": 2,
                },
                "layers": [],
            }
        )
        digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
        for tag in tags:
            ecr.put_image(repositoryName="team/tags", imageManifest=manifest, imageTag=tag, imageDigest=digest)
            digests[tag] = digest
    answer = ecr.batch_get_image(
        repositoryName="team/tags", imageIds=[{"imageTag": t} for t in ("v1", "latest", "v2", "gone")]
    )
    assert [(i["imageId"]["imageTag"], i["imageId"]["imageDigest"]) for i in answer["images"]] == [
        (t, digests[t]) for t in ("v1", "latest", "v2")
    ]
    assert all(i["imageManifest"] and i["repositoryName"] == "team/tags" for i in answer["images"])
    assert [(f["imageId"].get("imageTag"), f["failureCode"]) for f in answer["failures"]] == [("gone", "ImageNotFound")]
    by_digest = ecr.batch_get_image(repositoryName="team/tags", imageIds=[{"imageDigest": digests["v2"]}])
    assert [i["imageId"]["imageDigest"] for i in by_digest["images"]] == [digests["v2"]]
