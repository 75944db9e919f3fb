# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The dockyard.ecr.image_digest lookup against in-process moto."""

import hashlib
import json

import pytest

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

from ansible.errors import AnsibleError  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.lookup.image_digest import LookupModule  # noqa: E402

OCI = "application/vnd.oci.image.manifest.v1+json"
DEFAULTS = {
    "registry_id": None,
    "output": "digest",
    "registry_host": None,
    "on_missing": "error",
    "access_key": None,
    "secret_key": None,
    "session_token": None,
    "profile": None,
    "endpoint_url": None,
    "region": None,
    "aws_ca_bundle": None,
    "aws_config": None,
    "validate_certs": True,
}


class Lookup(LookupModule):
    """The lookup with its options set from a dict (what Ansible's config manager does from the docs)."""

    def set_options(self, task_keys=None, var_options=None, direct=None):
        self._options = dict(DEFAULTS, **(direct or {}))

    def get_option(self, option, hostvars=None):
        return self._options.get(option)

    def get_options(self, hostvars=None):
        return dict(self._options)


@pytest.fixture
def lookup():
    return Lookup()


@pytest.fixture
def digest(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with moto.mock_aws():
        client = boto3.client("ecr", region_name="eu-west-1")
        client.create_repository(repositoryName="team/app")
        document = json.dumps({"schemaVersion": 2, "mediaType": OCI, "config": {"digest": "sha256:" + "1" * 64}})
        value = "sha256:" + hashlib.sha256(document.encode()).hexdigest()
        client.put_image(repositoryName="team/app", imageManifest=document, imageTag="v1", imageDigest=value)
        client.put_image(repositoryName="team/app", imageManifest=document, imageTag="latest", imageDigest=value)
        yield value


def test_tag_to_digest(lookup, digest):
    assert lookup.run(["team/app:v1", "team/app"], {}, region="eu-west-1") == [digest, digest]


def test_digest_is_checked(lookup, digest):
    assert lookup.run([f"team/app@{digest}"], {}, region="eu-west-1") == [digest]


def test_uri_with_registry_host(lookup, digest):
    assert lookup.run(["team/app:v1"], {}, region="eu-west-1", output="uri") == [
        f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app@{digest}"
    ]
    assert lookup.run(
        ["team/app:v1"], {}, region="eu-west-1", output="uri", registry_host="https://127.0.0.1:5000/"
    ) == [f"127.0.0.1:5000/team/app@{digest}"]


def test_missing_skip_and_error(lookup, digest):
    assert lookup.run(["team/app:v9", "team/none:v1"], {}, region="eu-west-1", on_missing="skip") == [None, None]
    with pytest.raises(AnsibleError, match="team/app:v9: team/app has no image v9"):
        lookup.run(["team/app:v9"], {}, region="eu-west-1")
    with pytest.raises(AnsibleError, match="team/none:v1: repository team/none does not exist"):
        lookup.run(["team/none:v1"], {}, region="eu-west-1", output="uri")


@pytest.mark.parametrize(
    "term, options, message",
    [
        ("Team/App:v1", {}, "repository of 'Team/App:v1': 'Team/App' is not a valid ECR repository name"),
        ("registry.example.com/team/app:v1", {}, "starts with a registry host (registry.example.com)"),
        ("team/app@sha256:abc", {}, "is not an image digest"),
        ("team/app:v1", {"registry_id": "12"}, "registry_id: '12' is not an AWS account ID"),
    ],
)
def test_bad_input(lookup, digest, term, options, message):
    with pytest.raises(AnsibleError) as caught:
        lookup.run([term], {}, region="eu-west-1", **options)
    assert message in str(caught.value)
