"""Time passing, for tests: move images' push (and pull) times back, as days go by on ECR.

``LocalawsAgeImages`` is not an ECR API (botocore does not know it; send it as a JSON 1.1 request with the
target ``AmazonEC2ContainerRegistry_V20150921.LocalawsAgeImages``): ``repositoryName``, ``days`` (a positive
number) and optionally ``imageDigests`` (default: every image of the repository). It answers
``{"imageDigests": [...]}``, the images it aged. Lifecycle rules count image ages (``sinceImagePushed``), which
moto sets to the wall-clock time of ``PutImage``; without this, no test image is ever old.
"""

from __future__ import annotations

import json

from .common import error, invalid


def localaws_age_images(self) -> str:
    try:
        body = json.loads(self.body or "{}")
    except ValueError:
        raise invalid("body", "must be a JSON object") from None
    days = body.get("days")
    if isinstance(days, bool) or not isinstance(days, (int, float)) or days <= 0:
        raise invalid("days", "a positive number of days")
    repository = self.ecr_backend._get_repository(  # pylint: disable=protected-access
        body.get("repositoryName"), body.get("registryId")
    )
    wanted = body.get("imageDigests")
    if wanted is not None and not isinstance(wanted, list):
        raise invalid("imageDigests", "a list of image digests")
    seconds = int(days * 86400)
    aged = []
    for image in repository.images:
        digest = image.get_image_digest()
        if wanted is not None and digest not in wanted:
            continue
        image.image_pushed_at -= seconds
        aged.append(digest)
    missing = sorted(set(wanted or []) - set(aged))
    if missing:
        raise error("ImageNotFoundException", f"The images with digests {missing} do not exist")
    return json.dumps({"imageDigests": aged})
