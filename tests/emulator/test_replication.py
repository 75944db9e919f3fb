"""tools/localaws replicates pushed images as ECR's replication does (replicate.py): cross-region in one account,
cross-account with the destination's registry policy checked, repository filters honoured, blobs copied.

A real stack (moto, two registries, the bridge); images are pushed with the OCI distribution API (what podman
does), so the test needs no container engine.
"""

from __future__ import annotations

import base64
import hashlib
import json
import ssl
import sys
import time
import urllib.request
from pathlib import Path

import pytest

boto3 = pytest.importorskip("boto3")

from support import Emulator, have_registry  # noqa: E402  pylint: disable=wrong-import-position

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from localaws import replicate  # noqa: E402  pylint: disable=wrong-import-position

SOURCE = "123456789012"
DESTINATION = "210987654321"
REGION = "us-east-1"
OCI = "application/vnd.oci.image.manifest.v1+json"
POLL_SECONDS = 15.0


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not have_registry():
        pytest.skip("docker-registry is not installed (Debian package docker-registry)")
    with Emulator.running(tmp_path_factory.mktemp("localaws"), [SOURCE, DESTINATION], REGION) as running:
        yield running


def ecr(stack, account=SOURCE, region=REGION):
    return boto3.client("ecr", endpoint_url=stack.endpoint, region_name=region, **stack.credentials(account))


def registry(stack, account, method, path, body=None, content_type=None):
    context = ssl.create_default_context(cafile=str(stack.config.ca_file))
    token = base64.b64encode(f"AWS:{account}-auth-token".encode()).decode()
    url = path if path.startswith("https://") else f"https://{stack.host(account)}{path}"
    headers = {"Authorization": f"Basic {token}", "Accept": OCI}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
    with opener.open(request, timeout=30) as response:
        return response.status, response.headers, response.read()


def push(stack, repository, tag, payload: bytes):
    """Push an image of one layer (PAYLOAD) and a config; returns the manifest's digest."""
    blobs = []
    for data in (json.dumps({"architecture": "amd64", "os": "linux"}).encode(), payload):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        _status, headers, _body = registry(stack, SOURCE, "POST", f"/v2/{repository}/blobs/uploads/")
        location = headers["Location"]
        location += ("&" if "?" in location else "?") + f"digest={digest}"
        registry(stack, SOURCE, "PUT", location, data, "application/octet-stream")
        blobs.append({"mediaType": "application/octet-stream", "digest": digest, "size": len(data)})
    blobs[0]["mediaType"] = "application/vnd.oci.image.config.v1+json"
    manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI, "config": blobs[0], "layers": blobs[1:]}).encode()
    registry(stack, SOURCE, "PUT", f"/v2/{repository}/manifests/{tag}", manifest, OCI)
    return "sha256:" + hashlib.sha256(manifest).hexdigest(), blobs


def digests(client, repository):
    try:
        return {
            i["imageDigest"]: i.get("imageTags", [])
            for i in client.describe_images(repositoryName=repository)["imageDetails"]
        }
    except client.exceptions.RepositoryNotFoundException:
        return None


def wait_for(check):
    deadline = time.monotonic() + POLL_SECONDS
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def grant(stack, prefix="team/"):
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DockyardReplicationFrom123456789012UsEast1",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{SOURCE}:root"},
                "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
                "Resource": [f"arn:aws:ecr:{REGION}:{DESTINATION}:repository/{prefix}*"],
            }
        ],
    }
    ecr(stack, DESTINATION).put_registry_policy(policyText=json.dumps(policy))


def configure(stack):
    ecr(stack).put_replication_configuration(
        replicationConfiguration={
            "rules": [
                {"destinations": [{"region": "us-west-2", "registryId": SOURCE}]},
                {
                    "destinations": [{"region": REGION, "registryId": DESTINATION}],
                    "repositoryFilters": [{"filter": "team/", "filterType": "PREFIX_MATCH"}],
                },
            ]
        }
    )


def test_replicates_to_a_second_region_and_another_account(stack):
    configure(stack)
    grant(stack)
    ecr(stack).create_repository(repositoryName="team/app")
    digest, blobs = push(stack, "team/app", "v1", b"layer one")
    west = ecr(stack, SOURCE, "us-west-2")
    other = ecr(stack, DESTINATION)
    assert wait_for(lambda: (digests(west, "team/app") or {}).get(digest) == ["v1"])
    assert wait_for(lambda: (digests(other, "team/app") or {}).get(digest) == ["v1"])
    # The replica in the other account's registry pulls: its manifest and blobs are there.
    _status, _headers, body = registry(stack, DESTINATION, "GET", f"/v2/team/app/manifests/{digest}")
    assert "sha256:" + hashlib.sha256(body).hexdigest() == digest
    for blob in blobs:
        assert registry(stack, DESTINATION, "HEAD", f"/v2/team/app/blobs/{blob['digest']}")[0] == 200


def test_filters_and_the_destination_policy_are_honoured(stack):
    configure(stack)
    grant(stack, prefix="team/")
    ecr(stack).create_repository(repositoryName="other/app")
    digest, _blobs = push(stack, "other/app", "v1", b"not for the other account")
    # The rule without filters replicates it to the second region; the team/ rule does not match.
    assert wait_for(lambda: digest in (digests(ecr(stack, SOURCE, "us-west-2"), "other/app") or {}))
    assert digests(ecr(stack, DESTINATION), "other/app") is None

    # Without a grant, the cross-account replication is refused and nothing is created there.
    ecr(stack, DESTINATION).delete_registry_policy()
    ecr(stack).create_repository(repositoryName="team/refused")
    digest, _blobs = push(stack, "team/refused", "v1", b"refused")
    assert wait_for(lambda: digest in (digests(ecr(stack, SOURCE, "us-west-2"), "team/refused") or {}))
    time.sleep(1)
    assert digests(ecr(stack, DESTINATION), "team/refused") is None
    log = (stack.config.home / "logs" / "bridge.log").read_text()
    assert "does not allow account 123456789012 ecr:ReplicateImage" in log


@pytest.mark.parametrize(
    "policy, action, allowed",
    [
        (
            {"Statement": [{"Effect": "Allow", "Principal": {"AWS": SOURCE}, "Action": "ecr:*", "Resource": "*"}]},
            "ecr:ReplicateImage",
            True,
        ),
        (
            {"Statement": {"Effect": "Allow", "Principal": "*", "Action": ["ecr:ReplicateImage"], "Resource": "*"}},
            "ecr:ReplicateImage",
            True,
        ),
        (
            {"Statement": [{"Effect": "Allow", "Principal": {"AWS": DESTINATION}, "Action": "ecr:*", "Resource": "*"}]},
            "ecr:ReplicateImage",
            False,
        ),
        (
            {
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": SOURCE}, "Action": "ecr:ReplicateImage", "Resource": "*"}
                ]
            },
            "ecr:CreateRepository",
            False,
        ),
        (
            {
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": SOURCE}, "Action": "ecr:*", "Resource": "*"},
                    {"Effect": "Deny", "Principal": "*", "Action": "ecr:ReplicateImage", "Resource": "*"},
                ]
            },
            "ecr:ReplicateImage",
            False,
        ),
        (None, "ecr:ReplicateImage", False),
    ],
)
def test_policy_evaluation(policy, action, allowed):
    arn = f"arn:aws:ecr:{REGION}:{DESTINATION}:repository/team/app"
    assert replicate.policy_allows(policy, SOURCE, action, arn) is allowed


def test_destinations_for_matches_prefixes():
    rules = [
        {"destinations": [{"region": "us-west-2", "registryId": SOURCE}]},
        {
            "destinations": [
                {"region": "us-west-2", "registryId": SOURCE},
                {"region": REGION, "registryId": DESTINATION},
            ],
            "repositoryFilters": [{"filter": "team/", "filterType": "PREFIX_MATCH"}],
        },
    ]
    assert replicate.destinations_for(rules, "team/app") == [(SOURCE, "us-west-2"), (DESTINATION, REGION)]
    assert replicate.destinations_for(rules, "teams") == [(SOURCE, "us-west-2")]
