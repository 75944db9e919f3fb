# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""module_utils/image.py: tag validation, manifests, tag mutability, and reads against in-process moto."""

import hashlib
import json

import pytest

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._api import images as api_images
from ansible_collections.dockyard.ecr.plugins.module_utils._common import errors as common_errors
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import image_info as converge_image_info
from ansible_collections.dockyard.ecr.plugins.module_utils._models import image as models_image
from ansible_collections.dockyard.ecr.plugins.module_utils._models import manifests as models_manifests
from ansible_collections.dockyard.ecr.plugins.module_utils._models import wildcards as models_wildcards

REGION = "us-east-1"
ACCOUNT = "123456789012"


def sha(text):
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def manifest(config_text, media_type=models_manifests.OCI_MANIFEST, layers=("layer",)):
    document = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {
            "mediaType": (
                "application/vnd.oci.image.config.v1+json"
                if media_type == models_manifests.OCI_MANIFEST
                else "application/vnd.docker.container.image.v1+json"
            ),
            "size": len(config_text),
            "digest": sha(config_text),
        },
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": 1, "digest": sha(layer)}
            for layer in layers
        ],
    }
    return json.dumps(document, separators=(",", ":"))


# ---------------------------------------------------------------------------------------------
# Pure functions
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tags", [["latest"], ["v1.2.3", "1a2b3c4d5e6f"], ["_x"], ["A" * 128], []])
def test_validate_tags_accepts(tags):
    assert models_image.validate_tags(tags) == tags


def test_validate_tags_none_and_duplicates():
    assert models_image.validate_tags(None) is None
    assert models_image.validate_tags(["a", "b", "a"]) == ["a", "b"]


@pytest.mark.parametrize("tag", ["", ".hidden", "-x", "a/b", "a:b", "A" * 129, "ünï", 5])
def test_validate_tags_refuses_with_option_name(tag):
    with pytest.raises(common_errors.ImageError) as caught:
        models_image.validate_tags(["ok", tag], option="publish_tags")
    assert caught.value.option == "publish_tags"
    assert caught.value.message.startswith("publish_tags: ")
    assert "1 to 128" in caught.value.message


@pytest.mark.parametrize(
    "pattern, tag, expected",
    [
        ("latest", "latest", True),
        ("latest", "latest2", False),
        ("dev-*", "dev-1", True),
        ("dev-*", "dev-", True),
        ("dev-*", "prod-1", False),
        ("*", "anything", True),
        ("*-rc*", "v1-rc2", True),
        ("v1.*", "v1x2", False),  # '.' is literal
        ("v1.*", "v1.2", True),
    ],
)
def test_wildcard_match(pattern, tag, expected):
    assert models_wildcards.tag_matches_pattern(tag, pattern) is expected


@pytest.mark.parametrize(
    "mutability, filters, tag, expected",
    [
        ("mutable", [], "latest", False),
        (None, [], "latest", False),
        ("immutable", [], "latest", True),
        ("IMMUTABLE", [], "v1", True),
        ("immutable_with_exclusion", ["latest"], "latest", False),
        ("immutable_with_exclusion", ["latest"], "v1", True),
        ("mutable_with_exclusion", ["v*"], "v1", True),
        ("mutable_with_exclusion", ["v*"], "latest", False),
    ],
)
def test_tag_is_immutable(mutability, filters, tag, expected):
    assert models_image.tag_is_immutable(mutability, filters, tag) is expected


@pytest.mark.parametrize("media_type", [models_manifests.OCI_MANIFEST, models_manifests.DOCKER_MANIFEST])
def test_config_digest_of_image_manifests(media_type):
    document = models_manifests.parse_manifest(manifest("cfg", media_type))
    assert models_manifests.config_digest(document) == sha("cfg")
    assert models_manifests.config_digest(document, media_type) == sha("cfg")


def test_config_digest_of_index_and_schema1_is_none():
    index = {"schemaVersion": 2, "mediaType": models_manifests.OCI_INDEX, "manifests": []}
    assert models_manifests.config_digest(index) is None
    assert models_manifests.config_digest({"schemaVersion": 2, "manifests": []}) is None
    assert models_manifests.config_digest({"schemaVersion": 1, "fsLayers": []}) is None


def test_manifest_media_type_guesses_from_shape():
    assert models_manifests.manifest_media_type({"schemaVersion": 2, "config": {}}) == models_manifests.OCI_MANIFEST
    assert models_manifests.manifest_media_type({}, "declared/type") == "declared/type"
    assert models_manifests.manifest_media_type({}) is None


@pytest.mark.parametrize("text", [None, "", "not json", "[1, 2]"])
def test_parse_manifest_tolerates_garbage(text):
    assert models_manifests.parse_manifest(text) == {}


# ---------------------------------------------------------------------------------------------
# Against in-process moto
# ---------------------------------------------------------------------------------------------


class Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, model, **kwargs):
        self.calls.append(model.name)


@pytest.fixture
def calls():
    return Recorder()


@pytest.fixture
def ecr(monkeypatch, calls):
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with moto.mock_aws():
        raw = boto3.client("ecr", region_name=REGION)
        raw.meta.events.register("before-call.ecr", calls)
        yield RetryingBotoClientWrapper(raw, AWSRetry.jittered_backoff(retries=2))


def put(ecr, repository, text, tag=None):
    digest = sha(text)
    params = dict(repositoryName=repository, imageManifest=text, imageDigest=digest)
    params["imageManifestMediaType"] = json.loads(text)["mediaType"]
    if tag:
        params["imageTag"] = tag
    ecr.put_image(**params)
    return digest


@pytest.fixture
def repo(ecr):
    ecr.create_repository(repositoryName="team/app")
    return "team/app"


def test_read_images_missing_repository(ecr):
    result = converge_image_info.read_images(ecr, "team/none", tags=["latest", "v1"])
    assert result["repository"] == {}
    assert result["images"] == []
    assert [t["tag"] for t in result["tag_details"]] == ["latest", "v1"]
    assert not any(t["found"] or t["immutable"] for t in result["tag_details"])


def test_read_images_by_tag(ecr, repo, calls):
    """Tags map to images through DescribeImages' tag lists (moto's BatchGetImage names another tag)."""
    first = manifest("config-1", models_manifests.DOCKER_MANIFEST)
    second = manifest("config-2")
    d1 = put(ecr, repo, first, "v1")
    put(ecr, repo, first, "latest")
    d2 = put(ecr, repo, second, "v2")
    del calls.calls[:]

    result = converge_image_info.read_images(
        ecr, repo, tags=["latest", "v2", "v3", "v1"], registry_host="127.0.0.1:5000"
    )

    assert calls.calls == ["DescribeRepositories", "BatchGetImage", "DescribeImages"]
    assert result["repository"]["uri"] == "127.0.0.1:5000/team/app"
    assert result["repository"]["image_tag_mutability"] == "mutable"
    details = {t["tag"]: t for t in result["tag_details"]}
    assert [t["tag"] for t in result["tag_details"]] == ["latest", "v2", "v3", "v1"]
    assert details["latest"]["image_digest"] == d1 == details["v1"]["image_digest"]
    assert details["latest"]["config_digest"] == sha("config-1")
    assert details["v2"]["config_digest"] == sha("config-2")
    assert details["v2"]["image_uri"] == "127.0.0.1:5000/team/app:v2"
    assert details["v3"] == {
        "tag": "v3",
        "found": False,
        "image_digest": None,
        "config_digest": None,
        "immutable": False,
        "image_uri": "127.0.0.1:5000/team/app:v3",
    }
    # each image once, in tag order, with all its tags
    assert [i["image_digest"] for i in result["images"]] == [d1, d2]
    assert result["images"][0]["image_tags"] == ["latest", "v1"]
    assert result["images"][0]["image_uri"] == f"127.0.0.1:5000/team/app@{d1}"
    assert result["images"][0]["image_manifest_media_type"] == models_manifests.DOCKER_MANIFEST


def test_read_images_all(ecr, repo):
    d1 = put(ecr, repo, manifest("config-1"), "v1")
    d2 = put(ecr, repo, manifest("config-2"), "v2")
    result = converge_image_info.read_images(ecr, repo)
    assert result["tag_details"] == []
    assert sorted(i["image_digest"] for i in result["images"]) == sorted([d1, d2])
    assert {i["config_digest"] for i in result["images"]} == {sha("config-1"), sha("config-2")}
    assert result["repository"]["uri"] == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/team/app"


def test_read_images_empty_repository_makes_no_image_calls(ecr, repo, calls):
    del calls.calls[:]
    result = converge_image_info.read_images(ecr, repo)
    assert result["images"] == []
    assert calls.calls == ["DescribeRepositories", "DescribeImages"]


def test_read_images_immutable_with_exclusion(ecr):
    ecr.create_repository(
        repositoryName="team/frozen",
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "latest"}],
    )
    result = converge_image_info.read_images(ecr, "team/frozen", tags=["v1", "latest"])
    assert [t["immutable"] for t in result["tag_details"]] == [True, False]
    assert result["repository"]["image_tag_mutability_exclusion_filters"] == ["latest"]


def test_read_images_validates_before_calling(ecr, calls):
    with pytest.raises(ECRError) as caught:
        converge_image_info.read_images(ecr, "Team/App", tags=["v1"])
    assert caught.value.option == "repository"
    with pytest.raises(ECRError) as caught:
        converge_image_info.read_images(ecr, "team/app", tags=["bad tag"])
    assert caught.value.option == "image_tags"
    with pytest.raises(ECRError) as caught:
        converge_image_info.read_images(ecr, "team/app", registry_id="12")
    assert caught.value.option == "registry_id"
    assert calls.calls == []


def test_batch_get_images_many_tags_in_chunks(ecr, repo, calls):
    digest = put(ecr, repo, manifest("config-1"), "t0")
    tags = [f"t{i}" for i in range(150)]
    del calls.calls[:]
    images, missing = api_images.batch_get_images(ecr, repo, [{"imageTag": t} for t in tags])
    assert calls.calls == ["BatchGetImage", "BatchGetImage"]
    assert [i["imageId"]["imageDigest"] for i in images] == [digest]
    assert len(missing) == 149


class FakeClient:
    """A client whose BatchGetImage reports a failure that is not 'not found'."""

    def batch_get_image(self, **kwargs):
        return {
            "images": [],
            "failures": [
                {
                    "imageId": {"imageTag": "v1"},
                    "failureCode": "UnsupportedImageType",
                    "failureReason": "no acceptable manifest",
                }
            ],
        }


def test_batch_get_images_other_failure_is_an_error():
    with pytest.raises(common_errors.ImageError) as caught:
        api_images.batch_get_images(FakeClient(), "team/app", [{"imageTag": "v1"}])
    assert "team/app:v1" in caught.value.message
    assert "UnsupportedImageType" in caught.value.message
