# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""module_utils/repository.py: validation, comparison, and converge against in-process moto."""

import hashlib
import json

import pytest

boto3 = pytest.importorskip("boto3")
botocore = pytest.importorskip("botocore")
moto = pytest.importorskip("moto")

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._api import kms as api_kms
from ansible_collections.dockyard.ecr.plugins.module_utils._api import repositories as api_repositories
from ansible_collections.dockyard.ecr.plugins.module_utils._api import tags as api_tags
from ansible_collections.dockyard.ecr.plugins.module_utils._common import errors as common_errors
from ansible_collections.dockyard.ecr.plugins.module_utils._common import validators as common_validators
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import repository as converge_repository
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import repository_info as converge_repository_info
from ansible_collections.dockyard.ecr.plugins.module_utils._models import (
    repository_request as models_repository_request,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models import (
    repository_settings as models_repository_settings,
)

REGION = "us-east-1"
ACCOUNT = "123456789012"
READ_OPERATIONS = {"DescribeRepositories", "ListTagsForResource", "DescribeImages", "DescribeKey"}
AES256 = {"encryptionType": "AES256"}


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------


class Recorder:
    """Records the operation names a client calls (botocore ``before-call`` events)."""

    def __init__(self):
        self.calls = []

    def __call__(self, model, **kwargs):
        self.calls.append(model.name)

    def clear(self):
        del self.calls[:]

    @property
    def writes(self):
        return [c for c in self.calls if c not in READ_OPERATIONS]


@pytest.fixture(scope="module")
def _moto():
    """One moto mock and one client per service for the whole module (clients are slow to make);
    every test starts from an empty account (``aws`` resets moto)."""
    with pytest.MonkeyPatch.context() as patch:
        for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL_KMS"):
            patch.delenv(var, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        with moto.mock_aws() as mock:
            recorder = Recorder()
            yield mock, recorder, _client("ecr", recorder), _client("kms")


def _client(service, recorder=None):
    raw = boto3.client(service, region_name=REGION)
    if recorder is not None:
        raw.meta.events.register(f"before-call.{service}", recorder)
    return RetryingBotoClientWrapper(raw, AWSRetry.jittered_backoff(retries=2))


@pytest.fixture
def aws(_moto):
    mock, recorder = _moto[0], _moto[1]
    mock.reset()
    recorder.clear()
    return _moto


@pytest.fixture
def calls(aws):
    return aws[1]


@pytest.fixture
def ecr(aws):
    return aws[2]


@pytest.fixture
def kms(aws):
    return aws[3]


@pytest.fixture
def resolver(kms):
    return api_kms.KmsKeyResolver(lambda: kms)


@pytest.fixture
def kms_key(kms):
    """A KMS key with alias/app-images: (key ARN, alias name)."""
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/app-images", TargetKeyId=arn)
    return arn, "alias/app-images"


def desired(**params):
    params.setdefault("name", "team/app")
    return models_repository_request.validate_params(params)


def put_images(ecr, name, count):
    for index in range(count):
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {
                    "mediaType": "application/vnd.docker.container.image.v1+json",
                    "size": 2,
                    "digest": "sha256:" + hashlib.sha256(f"config-{index}".encode()).hexdigest(),
                },
                "layers": [],
            }
        )
        ecr.put_image(repositoryName=name, imageManifest=manifest, imageTag=f"v{index}")


def api_entry(**overrides):
    entry = {
        "repositoryName": "team/app",
        "repositoryArn": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/team/app",
        "registryId": ACCOUNT,
        "repositoryUri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/team/app",
        "imageTagMutability": "MUTABLE",
        "imageScanningConfiguration": {"scanOnPush": False},
        "encryptionConfiguration": AES256,
    }
    entry.update(overrides)
    return {k: v for k, v in entry.items() if v is not None}


def current(tags=None, **overrides):
    return models_repository_settings.repository_from_api(api_entry(**overrides), tags or {})


# ---------------------------------------------------------------------------------------------
# Validation: every bad input fails before any AWS call, naming the option and the fix
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["ab", "team/app", "a.b_c-d/e", "a__b", "a---b", "x" * 256, "0/1/2", "team/app.v2"],
)
def test_valid_names(name):
    assert common_validators.validate_name(name) == name


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("a", "1 characters long; an ECR repository name has 2 to 256"),
        ("x" * 257, "257 characters long"),
        ("", "a repository name is required"),
        (None, "a repository name is required"),
        ("Team/App", "use 'team/app'"),
        ("-app", "not a valid ECR repository name"),
        ("app-", "not a valid ECR repository name"),
        ("/app", "not a valid ECR repository name"),
        ("app/", "not a valid ECR repository name"),
        ("a//b", "not a valid ECR repository name"),
        ("a..b", "not a valid ECR repository name"),
        ("a___b", "not a valid ECR repository name"),
        ("a b", "not a valid ECR repository name"),
        ("app:latest", "not a valid ECR repository name"),
    ],
)
def test_invalid_names(name, fragment):
    with pytest.raises(common_errors.RepositoryError) as caught:
        models_repository_request.validate_params({"name": name})
    assert caught.value.option == "name"
    assert fragment in caught.value.message
    if name:
        assert "for example 'team/app-api'" in caught.value.message or "characters long" in caught.value.message


@pytest.mark.parametrize(
    "params, option, fragment",
    [
        ({"state": "gone"}, "state", "not one of present, absent"),
        ({"registry_id": "12345"}, "registry_id", "12 digits"),
        ({"registry_id": "abcdefghijkl"}, "registry_id", "not an AWS account ID"),
        ({"image_tag_mutability": "sometimes"}, "image_tag_mutability", "not one of mutable, immutable"),
        (
            {"image_tag_mutability_exclusion_filters": ["latest"]},
            "image_tag_mutability_exclusion_filters",
            "but image_tag_mutability is not set",
        ),
        (
            {"image_tag_mutability": "immutable", "image_tag_mutability_exclusion_filters": ["latest"]},
            "image_tag_mutability_exclusion_filters",
            "only apply with image_tag_mutability=mutable_with_exclusion or immutable_with_exclusion",
        ),
        (
            {"image_tag_mutability": "mutable_with_exclusion", "image_tag_mutability_exclusion_filters": []},
            "image_tag_mutability_exclusion_filters",
            "1 to 5 filters",
        ),
        (
            {
                "image_tag_mutability": "immutable_with_exclusion",
                "image_tag_mutability_exclusion_filters": ["a", "b", "c", "d", "e", "f"],
            },
            "image_tag_mutability_exclusion_filters",
            "6 given",
        ),
        (
            {"image_tag_mutability": "immutable_with_exclusion", "image_tag_mutability_exclusion_filters": ["a/b"]},
            "image_tag_mutability_exclusion_filters",
            "'a/b' is not a valid filter",
        ),
        (
            {"image_tag_mutability": "immutable_with_exclusion", "image_tag_mutability_exclusion_filters": ["x" * 129]},
            "image_tag_mutability_exclusion_filters",
            "1 to 128 characters",
        ),
        ({"encryption": {"type": "DES"}}, "encryption.type", "'DES' is not an ECR encryption type; use one of AES256"),
        ({"encryption": {}}, "encryption.type", "required when encryption is given"),
        ({"encryption": {"kms_key": "alias/x"}}, "encryption.kms_key", "add type: KMS"),
        (
            {"encryption": {"type": "AES256", "kms_key": "alias/x"}},
            "encryption.kms_key",
            "needs encryption.type=KMS or KMS_DSSE, not AES256",
        ),
        ({"encryption": {"type": "KMS", "kms_key": " "}}, "encryption.kms_key", "empty"),
        ({"encryption": {"type": "KMS", "key": "x"}}, "encryption", "unknown key(s) key"),
        ({"encryption": "KMS"}, "encryption", "give a dict"),
        ({"tags": {"team": None}}, "tags", "tag 'team' has no value"),
        ({"tags": ["team"]}, "tags", "give a dict"),
        ({"scan_on_push": "yes"}, "scan_on_push", "true or false"),
    ],
)
def test_invalid_params(params, option, fragment):
    with pytest.raises(common_errors.RepositoryError) as caught:
        desired(**params)
    assert caught.value.option == option
    assert fragment in caught.value.message


def test_validate_normalises():
    result = desired(
        image_tag_mutability="IMMUTABLE_WITH_EXCLUSION",
        image_tag_mutability_exclusion_filters=["latest", "dev-*", "latest"],
        encryption={"type": "kms_dsse", "kms_key": "alias/x"},
        tags={"n": 1, "b": True},
        registry_id=" 123456789012 ",
    )
    assert result["image_tag_mutability"] == "immutable_with_exclusion"
    assert result["image_tag_mutability_exclusion_filters"] == ["latest", "dev-*"]
    assert result["encryption"] == {"type": "KMS_DSSE", "kms_key": "alias/x"}
    assert result["tags"] == {"n": "1", "b": "True"}
    assert result["registry_id"] == ACCOUNT
    assert result["purge_tags"] is True and result["force"] is False and result["state"] == "present"


def test_left_out_options_stay_none():
    result = desired()
    for key in ("image_tag_mutability", "image_tag_mutability_exclusion_filters", "scan_on_push", "encryption", "tags"):
        assert result[key] is None


# ---------------------------------------------------------------------------------------------
# Reading ECR's answer
# ---------------------------------------------------------------------------------------------


def test_repository_from_api_and_registry_host():
    result = models_repository_settings.repository_from_api(
        api_entry(
            imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
            imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "latest"}],
            imageScanningConfiguration={"scanOnPush": True},
            encryptionConfiguration=None,
        ),
        {"team": "platform"},
        registry_host="https://127.0.0.1:45443/",
    )
    assert result == {
        "name": "team/app",
        "arn": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/team/app",
        "registry_id": ACCOUNT,
        "uri": "127.0.0.1:45443/team/app",
        "created_at": None,
        "image_tag_mutability": "immutable_with_exclusion",
        "image_tag_mutability_exclusion_filters": ["latest"],
        "scan_on_push": True,
        "encryption": {"type": "AES256", "kms_key": None},
        "tags": {"team": "platform"},
    }
    assert models_repository_settings.settings_of(result) == {
        k: result[k] for k in models_repository_settings.SETTINGS_KEYS
    }
    assert models_repository_settings.settings_of({}) == {} and models_repository_settings.settings_of(None) == {}


# ---------------------------------------------------------------------------------------------
# Comparison (pure)
# ---------------------------------------------------------------------------------------------


class FakeResolver:
    def __init__(self, keys=None, error=None):
        self.keys = keys or {}
        self.error = error
        self.asked = []

    def key_arn(self, key):
        self.asked.append(key)
        if self.error:
            raise self.error
        return self.keys.get(key, key)


KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/99999999-12ab-34cd-56ef-1234567890ab"
KMS_ENTRY = {"encryptionType": "KMS", "kmsKey": KEY_ARN}


@pytest.mark.parametrize(
    "entry_encryption, wanted",
    [
        (AES256, {"type": "AES256"}),
        (None, {"type": "AES256"}),  # ECR reported no encryption configuration: AES256
        (KMS_ENTRY, {"type": "KMS"}),  # no key given: any key is accepted
        (KMS_ENTRY, {"type": "KMS", "kms_key": KEY_ARN}),
        (KMS_ENTRY, {"type": "KMS", "kms_key": "1234abcd-12ab-34cd-56ef-1234567890ab"}),  # key ID vs ARN
        (KMS_ENTRY, {"type": "KMS", "kms_key": "alias/app-images"}),  # alias vs ARN (resolved)
        ({"encryptionType": "KMS_DSSE", "kmsKey": KEY_ARN}, {"type": "KMS_DSSE", "kms_key": "alias/app-images"}),
    ],
)
def test_same_encryption_is_no_change(entry_encryption, wanted):
    resolver = FakeResolver({"alias/app-images": KEY_ARN})
    have = current(encryptionConfiguration=entry_encryption)
    assert models_repository_settings.compare(have, desired(encryption=wanted), resolver) == []


def test_key_id_needs_no_kms_call():
    resolver = FakeResolver()
    models_repository_settings.check_encryption(
        current(encryptionConfiguration=KMS_ENTRY), {"type": "KMS", "kms_key": KEY_ARN.rsplit("/", 1)[-1]}, resolver
    )
    assert resolver.asked == []


@pytest.mark.parametrize(
    "entry_encryption, wanted, fragment",
    [
        (AES256, {"type": "KMS"}, "encrypted with AES256, and KMS was asked for"),
        (KMS_ENTRY, {"type": "AES256"}, f"encrypted with KMS with KMS key {KEY_ARN}, and AES256 was asked for"),
        (KMS_ENTRY, {"type": "KMS_DSSE"}, "and KMS_DSSE was asked for"),
        (KMS_ENTRY, {"type": "KMS", "kms_key": OTHER_KEY_ARN}, f"and KMS with KMS key {OTHER_KEY_ARN}"),
        (KMS_ENTRY, {"type": "KMS", "kms_key": "alias/other"}, "and KMS with KMS key alias/other"),
    ],
)
def test_encryption_mismatch_is_an_error(entry_encryption, wanted, fragment):
    resolver = FakeResolver({"alias/other": OTHER_KEY_ARN})
    with pytest.raises(common_errors.RepositoryError) as caught:
        models_repository_settings.compare(
            current(encryptionConfiguration=entry_encryption), desired(encryption=wanted), resolver
        )
    assert caught.value.option == "encryption"
    assert fragment in caught.value.message
    assert "ECR cannot change a repository's encryption after it is created, so nothing was changed" in str(
        caught.value
    )
    assert "create a repository under a new name" in caught.value.message


@pytest.mark.parametrize("code", ["AccessDeniedException", "NotFoundException", "UnsupportedOperationException"])
def test_alias_that_kms_cannot_resolve_gives_a_clear_message(code):
    error = botocore.exceptions.ClientError({"Error": {"Code": code, "Message": "no"}}, "DescribeKey")

    class DenyingKms:
        def describe_key(self, **kwargs):
            raise error

    resolver = api_kms.KmsKeyResolver(DenyingKms)
    with pytest.raises(common_errors.RepositoryError) as caught:
        models_repository_settings.check_encryption(
            current(encryptionConfiguration=KMS_ENTRY), {"type": "KMS", "kms_key": "alias/app-images"}, resolver
        )
    assert caught.value.option == "encryption.kms_key"
    assert "cannot tell whether 'alias/app-images' is the key repository 'team/app' is encrypted with" in (
        caught.value.message
    )
    assert f"Give encryption.kms_key as the key ARN ECR reports ({KEY_ARN})" in caught.value.message
    assert "kms:DescribeKey" in caught.value.message
    assert f"because KMS DescribeKey failed ({code})" in caught.value.message
    assert caught.value.exception is error


def test_alias_without_kms_client_gives_a_clear_message():
    with pytest.raises(common_errors.RepositoryError, match="no KMS client"):
        models_repository_settings.check_encryption(
            current(encryptionConfiguration=KMS_ENTRY), {"type": "KMS", "kms_key": "alias/x"}, api_kms.KmsKeyResolver()
        )


@pytest.mark.parametrize(
    "have, wanted, expected",
    [
        ({}, {}, []),
        ({}, {"image_tag_mutability": "mutable"}, []),
        ({}, {"image_tag_mutability": "immutable"}, [("put_image_tag_mutability", "IMMUTABLE", None)]),
        ({"imageTagMutability": "IMMUTABLE"}, {"image_tag_mutability": "immutable"}, []),
        ({"imageTagMutability": "IMMUTABLE"}, {}, []),  # left out: left alone
        (
            {"imageTagMutability": "IMMUTABLE"},
            {"image_tag_mutability": "mutable"},
            [("put_image_tag_mutability", "MUTABLE", None)],
        ),
        (
            {},
            {"image_tag_mutability": "immutable_with_exclusion", "image_tag_mutability_exclusion_filters": ["latest"]},
            [("put_image_tag_mutability", "IMMUTABLE_WITH_EXCLUSION", ["latest"])],
        ),
        (
            {
                "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
                "imageTagMutabilityExclusionFilters": [
                    {"filterType": "WILDCARD", "filter": "latest"},
                    {"filterType": "WILDCARD", "filter": "dev-*"},
                ],
            },
            {
                "image_tag_mutability": "immutable_with_exclusion",
                "image_tag_mutability_exclusion_filters": ["dev-*", "latest"],
            },
            [],  # filters compare as a set
        ),
        (
            {
                "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
                "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "latest"}],
            },
            {"image_tag_mutability": "mutable_with_exclusion"},  # filters left out: kept
            [("put_image_tag_mutability", "MUTABLE_WITH_EXCLUSION", ["latest"])],
        ),
        (
            {
                "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
                "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "latest"}],
            },
            {"image_tag_mutability": "immutable_with_exclusion"},
            [],
        ),
        ({}, {"scan_on_push": False}, []),
        ({}, {"scan_on_push": True}, [("put_image_scanning_configuration", True, None)]),
        ({"imageScanningConfiguration": {"scanOnPush": True}}, {}, []),
    ],
)
def test_compare_mutability_and_scanning(have, wanted, expected):
    changes = models_repository_settings.compare(current(**have), desired(**wanted))
    summary = []
    for change in changes:
        if change.operation == "put_image_tag_mutability":
            filters = change.params.get("imageTagMutabilityExclusionFilters")
            summary.append(
                (change.operation, change.params["imageTagMutability"], filters and [f["filter"] for f in filters])
            )
        else:
            summary.append((change.operation, change.params["imageScanningConfiguration"]["scanOnPush"], None))
    assert summary == expected


def test_exclusion_mutability_without_filters_to_keep_is_an_error():
    with pytest.raises(common_errors.RepositoryError) as caught:
        models_repository_settings.compare(current(), desired(image_tag_mutability="mutable_with_exclusion"))
    assert caught.value.option == "image_tag_mutability_exclusion_filters"
    assert "required with image_tag_mutability=mutable_with_exclusion" in caught.value.message
    with pytest.raises(common_errors.RepositoryError):
        models_repository_settings.compare(None, desired(image_tag_mutability="immutable_with_exclusion"))


@pytest.mark.parametrize(
    "have, wanted, purge, to_set, to_unset",
    [
        ({"a": "1"}, {"a": "1"}, True, None, None),
        ({"a": "1"}, {"a": "2"}, True, {"a": "2"}, None),
        ({"a": "1", "b": "2"}, {"a": "1"}, True, None, ["b"]),
        ({"a": "1", "b": "2"}, {"a": "1"}, False, None, None),
        ({"a": "1"}, {"c": "3"}, False, {"c": "3"}, None),
        ({"a": "1", "aws:x": "y"}, {}, True, None, ["a"]),  # aws: tags are never purged
    ],
)
def test_compare_tags(have, wanted, purge, to_set, to_unset):
    changes = {
        c.operation: c.params
        for c in models_repository_settings.compare(current(tags=have), desired(tags=wanted, purge_tags=purge))
    }
    assert set(changes) <= {"tag_resource", "untag_resource"}
    got_set = changes.get("tag_resource")
    got_unset = changes.get("untag_resource")
    assert (got_set and {t["Key"]: t["Value"] for t in got_set["tags"]}) == to_set
    assert (got_unset and got_unset["tagKeys"]) == to_unset


def test_tags_left_out_are_left_alone():
    assert models_repository_settings.compare(current(tags={"a": "1"}), desired(purge_tags=True)) == []


def test_create_request_carries_every_setting():
    (change,) = models_repository_settings.compare(
        None,
        desired(
            registry_id=ACCOUNT,
            image_tag_mutability="immutable_with_exclusion",
            image_tag_mutability_exclusion_filters=["latest"],
            scan_on_push=True,
            encryption={"type": "KMS", "kms_key": "alias/app-images"},
            tags={"team": "platform"},
        ),
    )
    assert change.operation == "create_repository"
    assert change.params == {
        "registryId": ACCOUNT,
        "repositoryName": "team/app",
        "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
        "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "latest"}],
        "imageScanningConfiguration": {"scanOnPush": True},
        "encryptionConfiguration": {"encryptionType": "KMS", "kmsKey": "alias/app-images"},
        "tags": [{"Key": "team", "Value": "platform"}],
    }


def test_create_request_leaves_defaults_to_ecr():
    (change,) = models_repository_settings.compare(None, desired())
    assert change.params == {"repositoryName": "team/app"}


def test_old_botocore_without_exclusion_filters_fails_clearly():
    class Shape:
        members = {"repositoryName": None, "imageTagMutability": None}

    class Model:
        input_shape = Shape()

    class ServiceModel:
        def operation_model(self, name):
            return Model()

    class Meta:
        service_model = ServiceModel()

    class OldClient:
        meta = Meta()

    changes = models_repository_settings.compare(
        current(),
        desired(image_tag_mutability="mutable_with_exclusion", image_tag_mutability_exclusion_filters=["latest"]),
    )
    with pytest.raises(common_errors.RepositoryError) as caught:
        api_repositories.check_client_supports(OldClient(), changes)
    assert caught.value.option == "image_tag_mutability_exclusion_filters"
    assert "upgrade boto3 and botocore" in caught.value.message
    api_repositories.check_client_supports(
        OldClient(), models_repository_settings.compare(current(), desired(image_tag_mutability="immutable"))
    )


# ---------------------------------------------------------------------------------------------
# Converge against in-process moto
# ---------------------------------------------------------------------------------------------


def test_create_then_second_run_writes_nothing(ecr, calls):
    wanted = desired(image_tag_mutability="immutable", scan_on_push=True, tags={"team": "platform"})
    changed, before, after = converge_repository.converge(ecr, wanted, registry_host="127.0.0.1:45443")
    assert changed is True and before == {}
    assert calls.writes == ["CreateRepository"]
    assert after["arn"] == f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/team/app"
    assert after["uri"] == "127.0.0.1:45443/team/app"
    assert after["registry_id"] == ACCOUNT and after["created_at"]
    assert models_repository_settings.settings_of(after) == {
        "name": "team/app",
        "image_tag_mutability": "immutable",
        "image_tag_mutability_exclusion_filters": [],
        "scan_on_push": True,
        "encryption": {"type": "AES256", "kms_key": None},
        "tags": {"team": "platform"},
    }

    calls.clear()
    changed, before, again = converge_repository.converge(ecr, wanted, registry_host="127.0.0.1:45443")
    assert changed is False and before == again == after
    assert calls.calls == ["DescribeRepositories", "ListTagsForResource"]
    assert calls.writes == []


def test_check_mode_create_writes_nothing_and_predicts(ecr, calls):
    wanted = desired(scan_on_push=True, encryption={"type": "KMS_DSSE"}, tags={"a": "b"}, registry_id=ACCOUNT)
    changed, before, after = converge_repository.converge(ecr, wanted, check_mode=True)
    assert changed is True and before == {}
    assert calls.writes == []
    assert converge_repository.read_repository(ecr, "team/app") is None
    assert after == {
        "name": "team/app",
        "registry_id": ACCOUNT,
        "arn": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/team/app",
        "uri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/team/app",
        "image_tag_mutability": "mutable",
        "image_tag_mutability_exclusion_filters": [],
        "scan_on_push": True,
        "encryption": {"type": "KMS_DSSE", "kms_key": None},
        "tags": {"a": "b"},
    }
    changed, unused_before, real = converge_repository.converge(ecr, wanted)
    assert changed is True and models_repository_settings.settings_of(real) == models_repository_settings.settings_of(
        after
    )
    assert (real["arn"], real["uri"], real["registry_id"]) == (after["arn"], after["uri"], after["registry_id"])


def test_check_mode_create_predicts_the_callers_account_and_registry_host(ecr, calls):
    asked = []
    changed, _before, after = converge_repository.converge(
        ecr, desired(), check_mode=True, registry_host="127.0.0.1:5000", caller=lambda: asked.append(1) or ACCOUNT
    )
    assert changed and asked == [1] and calls.writes == []
    assert after["uri"] == "127.0.0.1:5000/team/app" and after["registry_id"] == ACCOUNT
    # Without registry_id or a caller, nothing is guessed.
    _changed, _before, after = converge_repository.converge(ecr, desired(), check_mode=True)
    assert "arn" not in after and "uri" not in after


@pytest.mark.parametrize(
    "region, arn, host",
    [
        ("eu-west-1", "arn:aws:ecr:eu-west-1:123456789012:repository/a/b", "123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
        ("cn-north-1", "arn:aws-cn:ecr:cn-north-1:123456789012:repository/a/b",
         "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"),
        ("us-gov-west-1", "arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository/a/b",
         "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com"),
    ],
)  # fmt: skip
def test_predicted_location_follows_the_partition(region, arn, host):
    predicted = models_repository_settings.predicted_location("a/b", ACCOUNT, region)
    assert predicted == {"registry_id": ACCOUNT, "arn": arn, "uri": f"{host}/a/b"}
    assert models_repository_settings.predicted_location("a/b", None, region) == {}


@pytest.mark.parametrize(
    "first, update, expected_writes, check",
    [
        ({}, {"image_tag_mutability": "immutable"}, ["PutImageTagMutability"], {"image_tag_mutability": "immutable"}),
        (
            {"image_tag_mutability": "immutable"},
            {"image_tag_mutability": "mutable"},
            ["PutImageTagMutability"],
            {"image_tag_mutability": "mutable"},
        ),
        (
            {},
            {"image_tag_mutability": "immutable_with_exclusion", "image_tag_mutability_exclusion_filters": ["latest"]},
            ["PutImageTagMutability"],
            {"image_tag_mutability": "immutable_with_exclusion", "image_tag_mutability_exclusion_filters": ["latest"]},
        ),
        (
            {"image_tag_mutability": "immutable_with_exclusion", "image_tag_mutability_exclusion_filters": ["latest"]},
            {"image_tag_mutability": "mutable_with_exclusion"},
            ["PutImageTagMutability"],
            {"image_tag_mutability": "mutable_with_exclusion", "image_tag_mutability_exclusion_filters": ["latest"]},
        ),
        (
            {"image_tag_mutability": "immutable_with_exclusion", "image_tag_mutability_exclusion_filters": ["latest"]},
            {"image_tag_mutability": "immutable"},
            ["PutImageTagMutability"],
            {"image_tag_mutability": "immutable", "image_tag_mutability_exclusion_filters": []},
        ),
        ({}, {"scan_on_push": True}, ["PutImageScanningConfiguration"], {"scan_on_push": True}),
        ({"scan_on_push": True}, {"scan_on_push": False}, ["PutImageScanningConfiguration"], {"scan_on_push": False}),
        ({"tags": {"a": "1"}}, {"tags": {"b": "2"}}, ["UntagResource", "TagResource"], {"tags": {"b": "2"}}),
        (
            {"tags": {"a": "1"}},
            {"tags": {"b": "2"}, "purge_tags": False},
            ["TagResource"],
            {"tags": {"a": "1", "b": "2"}},
        ),
        ({"tags": {"a": "1"}}, {"tags": {}}, ["UntagResource"], {"tags": {}}),
        ({"tags": {"a": "1"}}, {"tags": {}, "purge_tags": False}, [], {"tags": {"a": "1"}}),
        ({"tags": {"a": "1"}}, {"tags": {"a": "2"}}, ["TagResource"], {"tags": {"a": "2"}}),
        (
            {"image_tag_mutability": "immutable", "scan_on_push": True},
            {"tags": {"x": "y"}},
            ["TagResource"],
            {"image_tag_mutability": "immutable", "scan_on_push": True, "tags": {"x": "y"}},
        ),
    ],
)
def test_update_four_steps(ecr, calls, first, update, expected_writes, check):
    converge_repository.converge(ecr, desired(**first))
    created = converge_repository.read_repository(ecr, "team/app")

    # 1. check mode: changed (when something differs), nothing written, prediction right
    calls.clear()
    changed, before, predicted = converge_repository.converge(ecr, desired(**update), check_mode=True)
    assert changed is bool(expected_writes)
    assert calls.writes == []
    assert before == created and converge_repository.read_repository(ecr, "team/app") == created
    # 2. real run: only the calls needed, and the result is what check mode said
    calls.clear()
    changed, before, after = converge_repository.converge(ecr, desired(**update))
    assert changed is bool(expected_writes)
    assert calls.writes == expected_writes
    assert after == predicted
    assert converge_repository.read_repository(ecr, "team/app") == after
    for key, value in check.items():
        assert after[key] == value
    # 3. check mode again, 4. real again: no change, no writes
    for check_mode in (True, False):
        calls.clear()
        changed, before, again = converge_repository.converge(ecr, desired(**update), check_mode=check_mode)
        assert changed is False and calls.writes == [] and again == after


def test_existing_settings_survive_options_left_out(ecr, calls):
    converge_repository.converge(
        ecr,
        desired(
            image_tag_mutability="immutable_with_exclusion",
            image_tag_mutability_exclusion_filters=["latest"],
            scan_on_push=True,
            encryption={"type": "KMS"},
            tags={"a": "1"},
        ),
    )
    calls.clear()
    changed, before, after = converge_repository.converge(ecr, desired())
    assert changed is False and calls.writes == []
    assert after["scan_on_push"] is True and after["image_tag_mutability"] == "immutable_with_exclusion"
    assert after["tags"] == {"a": "1"}


def test_explicit_aes256_on_aes256_repository_is_no_change(ecr, calls):
    converge_repository.converge(ecr, desired())
    calls.clear()
    changed, unused_before, unused_after = converge_repository.converge(ecr, desired(encryption={"type": "AES256"}))
    assert changed is False and calls.writes == []


def test_encryption_mismatch_changes_nothing(ecr, calls):
    converge_repository.converge(ecr, desired())
    before = converge_repository.read_repository(ecr, "team/app")
    calls.clear()
    for check_mode in (True, False):
        with pytest.raises(common_errors.RepositoryError, match="ECR cannot change a repository's encryption"):
            converge_repository.converge(
                ecr, desired(encryption={"type": "KMS"}, scan_on_push=True, tags={"x": "y"}), check_mode
            )
    assert calls.writes == []
    assert converge_repository.read_repository(ecr, "team/app") == before


@pytest.mark.parametrize("created_with, asked_with", [("arn", "alias"), ("alias", "arn"), ("alias", "alias")])
def test_kms_alias_and_arn_are_the_same_key(ecr, calls, resolver, kms_key, created_with, asked_with):
    key_arn, alias = kms_key
    pick = {"arn": key_arn, "alias": alias}
    converge_repository.converge(
        ecr, desired(encryption={"type": "KMS", "kms_key": pick[created_with]}), resolver=resolver
    )
    calls.clear()
    changed, unused_before, after = converge_repository.converge(
        ecr, desired(encryption={"type": "KMS", "kms_key": pick[asked_with]}), resolver=resolver
    )
    assert changed is False and calls.writes == []
    assert after["encryption"]["type"] == "KMS"


def test_kms_other_key_is_a_mismatch(ecr, kms, resolver, kms_key):
    key_arn = kms_key[0]
    other = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/other", TargetKeyId=other)
    converge_repository.converge(ecr, desired(encryption={"type": "KMS", "kms_key": key_arn}), resolver=resolver)
    with pytest.raises(common_errors.RepositoryError, match="ECR cannot change"):
        converge_repository.converge(
            ecr, desired(encryption={"type": "KMS", "kms_key": "alias/other"}), resolver=resolver
        )


def test_kms_missing_alias_gives_a_clear_message(ecr, resolver, kms_key):
    key_arn = kms_key[0]
    converge_repository.converge(ecr, desired(encryption={"type": "KMS", "kms_key": key_arn}), resolver=resolver)
    with pytest.raises(common_errors.RepositoryError) as caught:
        converge_repository.converge(
            ecr, desired(encryption={"type": "KMS", "kms_key": "alias/missing"}), resolver=resolver
        )
    assert caught.value.option == "encryption.kms_key"
    assert "NotFoundException" in caught.value.message


def test_resolver_caches(kms, kms_key):
    key_arn, alias = kms_key
    asked = []

    def factory():
        asked.append(1)
        return kms

    resolver = api_kms.KmsKeyResolver(factory)
    assert resolver.key_arn(alias) == key_arn
    assert resolver.key_arn(alias) == key_arn
    assert resolver.key_arn(key_arn) == key_arn
    assert len(asked) == 1


@pytest.mark.parametrize("check_mode", [True, False])
def test_delete_with_images_without_force_fails_with_the_count(ecr, calls, check_mode):
    converge_repository.converge(ecr, desired())
    put_images(ecr, "team/app", 3)
    calls.clear()
    with pytest.raises(common_errors.RepositoryError) as caught:
        converge_repository.converge(ecr, desired(state="absent"), check_mode=check_mode)
    assert caught.value.option == "force"
    assert "holds 3 images, so nothing was deleted. Set force=true" in caught.value.message
    assert calls.writes == []
    assert converge_repository.read_repository(ecr, "team/app") is not None


def test_delete_with_one_image_says_image(ecr):
    converge_repository.converge(ecr, desired())
    put_images(ecr, "team/app", 1)
    with pytest.raises(common_errors.RepositoryError, match="holds 1 image, so"):
        converge_repository.converge(ecr, desired(state="absent"))


def test_delete_race_not_empty_is_reported_with_the_count(ecr):
    converge_repository.converge(ecr, desired())
    put_images(ecr, "team/app", 2)
    with pytest.raises(common_errors.RepositoryError, match="holds 2 images"):
        api_repositories.delete_repository(ecr, "team/app")


def test_delete_with_force_four_steps(ecr, calls):
    converge_repository.converge(ecr, desired(tags={"a": "b"}))
    put_images(ecr, "team/app", 2)
    existing = converge_repository.read_repository(ecr, "team/app")

    calls.clear()
    changed, before, after = converge_repository.converge(ecr, desired(state="absent", force=True), check_mode=True)
    assert (changed, before, after) == (True, existing, {})
    assert calls.writes == [] and converge_repository.read_repository(ecr, "team/app") is not None

    calls.clear()
    changed, before, after = converge_repository.converge(ecr, desired(state="absent", force=True))
    assert (changed, before, after) == (True, existing, {})
    assert calls.writes == ["DeleteRepository"]
    assert converge_repository.read_repository(ecr, "team/app") is None

    for check_mode in (True, False):
        calls.clear()
        assert converge_repository.converge(ecr, desired(state="absent", force=True), check_mode) == (False, {}, {})
        assert calls.writes == []


def test_delete_empty_repository_without_force(ecr, calls):
    converge_repository.converge(ecr, desired())
    calls.clear()
    changed, unused_before, after = converge_repository.converge(ecr, desired(state="absent"))
    assert changed is True and after == {}
    assert calls.writes == ["DeleteRepository"]


def test_aws_errors_become_failed_to_messages(ecr):
    with pytest.raises(ECRError) as caught:
        api_repositories.apply_changes(
            ecr,
            [
                models_repository_settings.Change(
                    "put_image_scanning_configuration",
                    {
                        "repositoryName": "team/missing",
                        "imageScanningConfiguration": {"scanOnPush": True},
                    },
                    "set scan on push of repository 'team/missing'",
                )
            ],
        )
    assert caught.value.message == "Failed to set scan on push of repository 'team/missing'"
    assert "RepositoryNotFoundException" in str(caught.value)


def test_converge_with_a_batch_read(ecr, calls):
    """A bulk caller passes what it read; converge then makes no reads of its own."""
    converge_repository.converge(ecr, desired())
    entries = api_repositories.describe_repositories(ecr, ["team/app", "team/none"])
    have = models_repository_settings.repository_from_api(
        entries[0], api_tags.list_tags(ecr, entries[0]["repositoryArn"])
    )
    calls.clear()
    changed, unused_before, unused_after = converge_repository.converge(ecr, desired(scan_on_push=True), current=have)
    assert changed is True and calls.calls == ["PutImageScanningConfiguration"]
    calls.clear()
    changed, unused_before, unused_after = converge_repository.converge(ecr, desired(name="team/new"), current=None)
    assert changed is True and calls.calls == ["CreateRepository"]


# ---------------------------------------------------------------------------------------------
# Reading many (ecr_repo_info)
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def three(ecr, calls):
    for name in ("team/b", "team/a", "other/c"):
        converge_repository.converge(ecr, desired(name=name, tags={"n": name}))
    ecr.set_repository_policy(
        repositoryName="team/a",
        policyText=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "pull",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                        "Action": ["ecr:BatchGetImage"],
                    }
                ],
            }
        ),
    )
    lifecycle = {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 5},
                "action": {"type": "expire"},
            }
        ]
    }
    ecr.put_lifecycle_policy(repositoryName="team/a", lifecyclePolicyText=json.dumps(lifecycle))
    calls.clear()
    return lifecycle


def test_list_all_sorted(ecr, three, calls):
    result = converge_repository_info.list_repositories(ecr)
    assert [r["name"] for r in result] == ["other/c", "team/a", "team/b"]
    assert result[0]["tags"] == {"n": "other/c"}
    assert "policy" not in result[0] and "lifecycle_policy" not in result[0]
    assert calls.writes == []


def test_list_by_prefix(ecr, three):
    assert [r["name"] for r in converge_repository_info.list_repositories(ecr, name_prefix="team/")] == [
        "team/a",
        "team/b",
    ]
    assert converge_repository_info.list_repositories(ecr, name_prefix="nothing/") == []


def test_list_by_names_keeps_order_and_skips_missing(ecr, three, calls):
    result = converge_repository_info.list_repositories(
        ecr, names=["team/b", "team/missing", "other/c"], registry_host="r.example:5000"
    )
    assert [r["name"] for r in result] == ["team/b", "other/c"]
    assert result[0]["uri"] == "r.example:5000/team/b"
    assert calls.writes == []


def test_list_by_names_validates_names(ecr):
    with pytest.raises(common_errors.RepositoryError) as caught:
        converge_repository_info.list_repositories(ecr, names=["ok/name", "Bad"])
    assert caught.value.option == "names[1]"


def test_list_with_policies(ecr, three):
    result = {
        r["name"]: r
        for r in converge_repository_info.list_repositories(ecr, include_policy=True, include_lifecycle_policy=True)
    }
    assert result["team/a"]["policy"]["Statement"][0]["Sid"] == "pull"
    assert result["team/a"]["lifecycle_policy"] == three
    assert result["team/b"]["policy"] is None and result["team/b"]["lifecycle_policy"] is None


def test_describe_repositories_batches(ecr, calls, monkeypatch):
    monkeypatch.setattr(api_repositories, "DESCRIBE_BATCH", 2)
    for name in ("r/1", "r/2", "r/3"):
        converge_repository.converge(ecr, desired(name=name))
    calls.clear()
    found = api_repositories.describe_repositories(ecr, ["r/3", "r/1", "r/2", "r/1"])
    assert [e["repositoryName"] for e in found] == ["r/3", "r/1", "r/2"]
    assert calls.calls == ["DescribeRepositories", "DescribeRepositories"]
