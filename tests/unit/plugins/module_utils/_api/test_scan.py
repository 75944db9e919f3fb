# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Reading scans against in-process moto (basic findings; enhanced through moto's custom results)."""

import hashlib
import json

import pytest

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._api import scan as api  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError  # noqa: E402

OCI = "application/vnd.oci.image.manifest.v1+json"


@pytest.fixture
def ecr():
    with moto.mock_aws():
        raw = boto3.client("ecr", region_name="us-east-1")
        raw.create_repository(repositoryName="team/app")
        document = json.dumps({"schemaVersion": 2, "mediaType": OCI, "config": {"digest": "sha256:" + "1" * 64}})
        digest = "sha256:" + hashlib.sha256(document.encode()).hexdigest()
        raw.put_image(repositoryName="team/app", imageManifest=document, imageTag="v1", imageDigest=digest)
        yield raw, RetryingBotoClientWrapper(raw, AWSRetry.jittered_backoff()), digest


def test_no_scan_is_not_an_error(ecr):
    _raw, client, _digest = ecr
    scan = api.read_scan(client, "team/app", {"imageTag": "v1"})
    assert not scan["found"]


def test_basic_findings(ecr):
    raw, client, digest = ecr
    raw.start_image_scan(repositoryName="team/app", imageId={"imageTag": "v1"})
    scan = api.read_scan(client, "team/app", {"imageDigest": digest}, wait=True, timeout=5, delay=0)
    assert scan["status"] == "COMPLETE" and scan["scan_type"] == "basic"
    assert scan["severity_counts"]["HIGH"] == 1


def test_enhanced_findings(ecr):
    raw, client, digest = ecr
    from moto.ecr.models import ecr_backends

    ecr_backends["123456789012"]["us-east-1"].scan_finding_results.append(
        {
            "registryId": "123456789012",
            "repositoryName": "team/app",
            "imageId": {"imageTag": "v1"},
            "imageScanStatus": {"status": "ACTIVE"},
            "imageScanFindings": {
                "findingSeverityCounts": {"CRITICAL": 1},
                "enhancedFindings": [{"title": "CVE-9 - zlib", "severity": "CRITICAL", "fixAvailable": "YES"}],
            },
        }
    )
    raw.start_image_scan(repositoryName="team/app", imageId={"imageTag": "v1"})
    scan = api.read_scan(client, "team/app", {"imageTag": "v1"})
    assert scan["scan_type"] == "enhanced" and scan["findings"][0]["severity"] == "CRITICAL"


def test_wait_runs_out_naming_the_state(ecr):
    _raw, client, _digest = ecr
    ticks = iter(range(100))
    sleeps = []
    with pytest.raises(ECRError) as caught:
        api.read_scan(
            client,
            "team/app",
            {"imageTag": "v1"},
            wait=True,
            timeout=3,
            delay=1,
            clock=(lambda: next(ticks), sleeps.append),
        )
    assert caught.value.option == "wait_timeout"
    assert "no scan of the image for team/app:v1" in caught.value.message
    assert sleeps == [1, 1]


class InProgressThenDone:
    """A client whose first answers say IN_PROGRESS."""

    def __init__(self, running):
        self.running, self.calls = running, 0

    def describe_image_scan_findings(self, **kwargs):
        self.calls += 1
        status = "IN_PROGRESS" if self.calls <= self.running else "COMPLETE"
        return {"imageId": kwargs["imageId"], "imageScanStatus": {"status": status}}


def test_wait_for_in_progress():
    client = InProgressThenDone(running=2)
    scan = api.read_scan(client, "team/app", {"imageTag": "v1"}, wait=True, timeout=60, delay=0)
    assert scan["status"] == "COMPLETE" and client.calls == 3


def test_missing_image_and_repository(ecr):
    _raw, client, _digest = ecr
    with pytest.raises(ECRError) as caught:
        api.read_scan(client, "team/app", {"imageTag": "nope"})
    assert caught.value.option == "image_tag"
    with pytest.raises(ECRError) as caught:
        api.read_scan(client, "team/missing", {"imageTag": "v1"})
    assert caught.value.option == "repository"
