"""localaws addition: scan on push, which moto's PutImage does not do.

In ECR, an image pushed to a repository whose ``imageScanningConfiguration.scanOnPush`` is true is
scanned (basic scanning): ``DescribeImageScanFindings`` answers ``IN_PROGRESS`` and then the findings.
moto 5.2 starts a scan only on ``StartImageScan``, so without this the publish role's scan gate
(``publish_fail_on_severity``) would wait for a scan that never comes against the emulator.

The bridge calls ``scan_if_configured`` after each ``PutImage`` it made (``bridge.py``, ``Mirror.mirror``).

A manifest of a multi-platform index's platform arrives untagged before the index; ECR scans the
platform images, and so does this (each digest once: moto refuses a second scan the same day).
"""

from __future__ import annotations


def scan_on_push_enabled(ecr, repository: str) -> bool:
    """Whether the repository scans on push (False when it cannot be read)."""
    from botocore.exceptions import ClientError

    try:
        entry = ecr.describe_repositories(repositoryNames=[repository])["repositories"][0]
    except (ClientError, IndexError, KeyError):
        return False
    return bool((entry.get("imageScanningConfiguration") or {}).get("scanOnPush"))


def scan_if_configured(ecr, repository: str, digest: str, log=None) -> bool:
    """StartImageScan for ``digest`` when the repository scans on push; True when a scan was started."""
    from botocore.exceptions import ClientError

    if not scan_on_push_enabled(ecr, repository):
        return False
    try:
        ecr.start_image_scan(repositoryName=repository, imageId={"imageDigest": digest})
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code != "LimitExceededException":  # already scanned today: what ECR would report anyway
            if log is not None:
                log.error("scan on push of %s@%s refused: %s", repository, digest, str(error).splitlines()[0])
        return False
    if log is not None:
        log.info("scan on push: started the scan of %s@%s", repository, digest)
    return True
