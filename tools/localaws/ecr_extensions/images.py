"""BatchGetImage as ECR answers it: one image per image ID asked for, named by the tag asked for.

moto 5.2 answers a request by tag with the image's most recent tag in ``imageId.imageTag`` (two tags of one image
come back as the same tag twice), so a client cannot tell from the answer which image each tag names. ECR returns
"a list of image objects corresponding to the image references in the request", each with "the tag used for the
image".
"""

from __future__ import annotations

from typing import Any, Callable


def tagged_batch_get_image(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def batch_get_image(
        self, repository_name: str, registry_id: str | None = None, image_ids: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        if not image_ids:
            return original(self, repository_name, registry_id, image_ids)
        response: dict[str, Any] = {"images": [], "failures": []}
        for image_id in image_ids:
            # moto's own lookup and failures, one reference at a time.
            answer = original(self, repository_name, registry_id, [image_id])
            response["failures"] += answer["failures"]
            for image in answer["images"]:
                tag = image_id.get("imageTag") or image.image_tag
                response["images"].append(
                    {
                        "registryId": image.registry_id,
                        "repositoryName": image.repository_name,
                        "imageId": {"imageDigest": image.get_image_digest(), **({"imageTag": tag} if tag else {})},
                        "imageManifest": image.image_manifest,
                        "imageManifestMediaType": image.image_manifest_media_type,
                    }
                )
        return response

    batch_get_image.tagged = True  # type: ignore[attr-defined]
    return batch_get_image
