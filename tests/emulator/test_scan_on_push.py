# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tools/localaws/scan_on_push.py against in-process moto."""

import hashlib
import json
import sys
from pathlib import Path

import pytest

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from localaws import scan_on_push  # noqa: E402  pylint: disable=wrong-import-position

OCI = "application/vnd.oci.image.manifest.v1+json"


def put(client, repository):
    document = json.dumps({"schemaVersion": 2, "mediaType": OCI, "config": {"digest": "sha256:" + "1" * 64}})
    digest = "sha256:" + hashlib.sha256(document.encode()).hexdigest()
    client.put_image(repositoryName=repository, imageManifest=document, imageTag="v1", imageDigest=digest)
    return digest


@pytest.mark.parametrize("enabled", [True, False])
def test_scans_only_where_scan_on_push_is_on(enabled):
    with moto.mock_aws():
        client = boto3.client("ecr", region_name="us-east-1")
        client.create_repository(repositoryName="team/app", imageScanningConfiguration={"scanOnPush": enabled})
        digest = put(client, "team/app")
        assert scan_on_push.scan_if_configured(client, "team/app", digest) is enabled
        if enabled:
            findings = client.describe_image_scan_findings(repositoryName="team/app", imageId={"imageDigest": digest})
            assert findings["imageScanStatus"]["status"] == "COMPLETE"
            # A second push of the same image the same day: no error, no second scan.
            assert scan_on_push.scan_if_configured(client, "team/app", digest) is False


def test_missing_repository_is_no_scan():
    with moto.mock_aws():
        client = boto3.client("ecr", region_name="us-east-1")
        assert scan_on_push.scan_if_configured(client, "team/none", "sha256:" + "0" * 64) is False
