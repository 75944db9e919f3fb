# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The promotion's read-plan-write path against in-process moto (the server-side retag; the copy
between registries runs in the ecr_image_promote integration target against the emulator)."""

import hashlib
import json

import pytest

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import promote as converge  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._models import promote_plan as pp  # noqa: E402

OCI = "application/vnd.oci.image.manifest.v1+json"


class Recorder:
    """A client wrapper that records the operations called."""

    def __init__(self, client, calls):
        self._client, self._calls = client, calls

    def __getattr__(self, name):
        attribute = getattr(self._client, name)
        if callable(attribute) and not name.startswith("get_paginator"):

            def call(*args, **kwargs):
                self._calls.append(name)
                return attribute(*args, **kwargs)

            return call
        return attribute


class FakeClients:
    def __init__(self, client):
        self.client = client

    def get(self, service, region, role_arn=None):
        return self.client


@pytest.fixture
def ecr():
    with moto.mock_aws():
        raw = boto3.client("ecr", region_name="us-east-1")
        calls = []
        yield raw, calls, FakeClients(Recorder(RetryingBotoClientWrapper(raw, AWSRetry.jittered_backoff()), calls))


def put(raw, repository, tag, text="x"):
    document = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": "sha256:" + "1" * 64,
                "size": 1,
            },
            "layers": [],
            "annotations": {"text": text},
        }
    )
    digest = "sha256:" + hashlib.sha256(document.encode()).hexdigest()
    raw.put_image(
        repositoryName=repository, imageManifest=document, imageTag=tag, imageDigest=digest, imageManifestMediaType=OCI
    )
    return digest


def specs(dest_tags, repository="team/app", **source):
    src = pp.validate_source(dict({"repository": "team/app", "tag": "build-1"}, **source), "us-east-1")
    return src, pp.validate_destinations([{"repository": repository, "tags": dest_tags}], src)


def tags_of(raw, repository, digest):
    details = raw.describe_images(repositoryName=repository, imageIds=[{"imageDigest": digest}])["imageDetails"]
    return sorted(details[0].get("imageTags") or [])


def test_retag_check_real_check_real(ecr):
    raw, calls, clients = ecr
    raw.create_repository(repositoryName="team/app")
    digest = put(raw, "team/app", "build-1")
    source, destinations = specs(["v1", "stable"])

    check = converge.promote(clients, source, destinations, check_mode=True)
    assert check["changed"] and check["destinations"][0]["action"] == pp.RETAG
    assert check["destinations"][0]["tags_added"] == ["v1", "stable"]
    assert tags_of(raw, "team/app", digest) == ["build-1"]
    assert "put_image" not in calls and "batch_get_image" not in calls

    real = converge.promote(clients, source, destinations)
    assert real["changed"]
    assert tags_of(raw, "team/app", digest) == ["build-1", "stable", "v1"]

    del calls[:]
    again = converge.promote(clients, source, destinations)
    assert not again["changed"] and again["destinations"][0]["action"] == pp.NONE
    # Nothing to do: reads with DescribeImages only, no pull (BatchGetImage) and no write.
    assert set(calls) <= {"describe_repositories", "describe_images"}


def test_moves_a_mutable_tag(ecr):
    raw, _calls, clients = ecr
    raw.create_repository(repositoryName="team/app")
    old = put(raw, "team/app", "stable", text="old")
    new = put(raw, "team/app", "build-1", text="new")
    source, destinations = specs(["stable"])
    result = converge.promote(clients, source, destinations)
    assert result["destinations"][0]["tags_moved"] == ["stable"]
    assert result["diff"]["before"]["123456789012/us-east-1/team/app"] == {"stable": old}
    assert "stable" in tags_of(raw, "team/app", new)


def test_immutable_tag_fails_before_any_write(ecr):
    raw, calls, clients = ecr
    raw.create_repository(repositoryName="team/app")
    raw.create_repository(repositoryName="team/locked", imageTagMutability="IMMUTABLE")
    put(raw, "team/app", "build-1", text="new")
    put(raw, "team/locked", "v1", text="old")
    src = pp.validate_source({"repository": "team/app", "tag": "build-1"}, "us-east-1")
    destinations = pp.validate_destinations(
        [{"tags": ["v1-first"]}, {"repository": "team/locked", "tags": ["v1"]}], src
    )
    with pytest.raises(ECRError) as caught:
        converge.promote(clients, src, destinations)
    assert caught.value.option == "destinations[1].tags"
    assert "put_image" not in calls


def test_missing_source_tag(ecr):
    raw, _calls, clients = ecr
    raw.create_repository(repositoryName="team/app")
    source, destinations = specs(["v1"])
    with pytest.raises(ECRError) as caught:
        converge.promote(clients, source, destinations)
    assert caught.value.option == "source.tag"
    assert "has no image with tag 'build-1'" in str(caught.value.message)


def test_missing_destination_repository(ecr):
    raw, _calls, clients = ecr
    raw.create_repository(repositoryName="team/app")
    put(raw, "team/app", "build-1")
    source, destinations = specs(["v1"], repository="team/missing")
    with pytest.raises(ECRError) as caught:
        converge.promote(clients, source, destinations)
    assert caught.value.option == "destinations[0].repository"
