# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The scan findings of one image: ``DescribeImageScanFindings`` (every page), and waiting for a scan.

Read only: nothing here starts a scan. A scan starts on push (a repository's scan on push, or
enhanced scanning), or with ``StartImageScan``.
"""

import time

from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError, error_code, translate_errors
from ansible_collections.dockyard.ecr.plugins.module_utils._common.registry import registry_args
from ansible_collections.dockyard.ecr.plugins.module_utils._models.scan_findings import scan_from_api, still_running

PAGE_SIZE = 1000  # the most DescribeImageScanFindings returns per call


def image_id_of(tag=None, digest=None):
    return {"imageDigest": digest} if digest else {"imageTag": tag}


def describe_findings(client, repository, image_id, registry_id=None):
    """Every page of the image's scan findings; [] when the image has no scan (ScanNotFoundException)."""
    which = image_id.get("imageDigest") or image_id.get("imageTag")
    kwargs = {"repositoryName": repository, "imageId": image_id, "maxResults": PAGE_SIZE, **registry_args(registry_id)}
    pages = []
    while True:
        try:
            with translate_errors(f"read the scan findings of {repository}:{which}"):
                page = client.describe_image_scan_findings(aws_retry=True, **kwargs)
        except ECRError as e:
            code = error_code(e)
            if code == "ScanNotFoundException":
                return []
            if code == "RepositoryNotFoundException":
                raise ECRError(message=f"repository: {repository} does not exist", option="repository") from e
            if code == "ImageNotFoundException":
                option = "image_digest" if image_id.get("imageDigest") else "image_tag"
                raise ECRError(message=f"{option}: {repository} has no image {which}", option=option) from e
            raise
        pages.append(page)
        if not page.get("nextToken"):
            return pages
        kwargs["nextToken"] = page["nextToken"]


def read_scan(client, repository, image_id, registry_id=None, wait=False, timeout=600, delay=5.0, clock=None):
    """The scan (``scan_findings.scan_from_api``); with ``wait``, once it exists and has finished.

    A wait that runs out raises ECRError naming the status it saw. ``clock`` is ``(monotonic, sleep)``.
    """
    monotonic, sleep = clock or (time.monotonic, time.sleep)
    deadline = monotonic() + timeout
    while True:
        scan = scan_from_api(describe_findings(client, repository, image_id, registry_id), image_id)
        if not wait or not still_running(scan):
            return scan
        if monotonic() >= deadline:
            which = image_id.get("imageDigest") or image_id.get("imageTag")
            state = f"status {scan['status']}" if scan["found"] else "no scan of the image"
            raise ECRError(
                message=(
                    f"wait_timeout: after {timeout} seconds, {state} for {repository}:{which}; a scan starts on push "
                    "when the repository scans on push (or the registry uses enhanced scanning), or with "
                    "StartImageScan"
                ),
                option="wait_timeout",
            )
        sleep(delay)
