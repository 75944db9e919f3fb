# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Images: DescribeImages (all, by digest, with archived ones), BatchGetImage (manifests), and the count.

On ECR, ``BatchGetImage`` counts as a pull (it updates ``lastRecordedPullTime``): it is only called for
what the caller asks to see (manifests of tags), and by the lifecycle evaluation only for the manifest lists
whose children's fate depends on them (``lifecycle_evaluation.manifest_lists_to_read``).
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import (
    ImageError,
    repository_not_found,
    translate_errors,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._common.paginate import chunks, paginate
from ansible_collections.dockyard.ecr.plugins.module_utils._common.registry import registry_args
from ansible_collections.dockyard.ecr.plugins.module_utils._models.manifests import (
    ACCEPTED_MEDIA_TYPES,
    INDEX_MANIFESTS,
    child_digests,
)

BATCH_GET_MAX = 100  # BatchGetImage takes up to 100 image IDs
DESCRIBE_MAX = 100  # so does DescribeImages


def batch_get_images(client, repository, image_ids, registry_id=None):
    """BatchGetImage for ``image_ids`` (``imageTag``/``imageDigest`` dicts), 100 at a time.

    Returns (images, failures) as ECR gives them. Failures with code ``ImageNotFound`` (or
    ``ImageTagDoesNotMatchDigest``) mean the tag or digest is not there; any other failure code
    is raised as ImageError, naming the image and ECR's reason.
    """
    images, missing = [], []
    for chunk in chunks(list(image_ids), BATCH_GET_MAX):
        with translate_errors(f"read images of repository {repository!r}"):
            response = client.batch_get_image(
                repositoryName=repository,
                imageIds=chunk,
                acceptedMediaTypes=ACCEPTED_MEDIA_TYPES,
                aws_retry=True,
                **registry_args(registry_id),
            )
        images.extend(response.get("images") or [])
        for failure in response.get("failures") or []:
            code = failure.get("failureCode")
            if code in ("ImageNotFound", "ImageTagDoesNotMatchDigest"):
                missing.append(failure)
                continue
            image_id = failure.get("imageId") or {}
            which = image_id.get("imageTag") or image_id.get("imageDigest")
            hint = " (the manifest is of a type this module does not ask for)" if code == "UnsupportedImageType" else ""
            raise ImageError(
                message=f"Failed to read image {repository}:{which}: {code}: {failure.get('failureReason')}{hint}"
            )
    return images, missing


def describe_images(client, repository, digests=None, registry_id=None):
    """DescribeImages entries for ``digests`` (100 per call), or all images of the repository."""
    if digests is None:
        return list_images(client, repository, registry_id)
    details = []
    for chunk in chunks(list(dict.fromkeys(digests)), DESCRIBE_MAX):
        with translate_errors(f"describe images of repository {repository!r}"):
            try:
                details.extend(
                    paginate(
                        client,
                        "describe_images",
                        "imageDetails",
                        repositoryName=repository,
                        imageIds=[{"imageDigest": d} for d in chunk],
                        **registry_args(registry_id),
                    )
                )
            except is_boto3_error_code("ImageNotFoundException"):
                # An image deleted between the two calls: ask for the others one by one.
                for digest in chunk:
                    try:
                        response = client.describe_images(
                            repositoryName=repository,
                            imageIds=[{"imageDigest": digest}],
                            aws_retry=True,
                            **registry_args(registry_id),
                        )
                        details.extend(response.get("imageDetails") or [])
                    except is_boto3_error_code("ImageNotFoundException"):
                        continue
    return details


def _image_status_filter(client):
    """``{"imageStatus": "ANY"}`` when botocore knows the filter (otherwise ECR lists only ACTIVE images)."""
    model = client.meta.service_model
    if "DescribeImagesFilter" not in model.shape_names:
        return {}
    if "imageStatus" not in model.shape_for("DescribeImagesFilter").members:
        return {}
    return {"filter": {"imageStatus": "ANY"}}


def list_images(client, repository, registry_id=None, archived=False):
    """Every image of a repository (all pages) as DescribeImages ``imageDetails``: the one lister.

    ECR lists only ACTIVE images unless asked; ``archived`` asks for every status (when botocore knows the
    filter). Raises RepositoryNotFoundError, or ECRError when AWS refuses.
    """
    status = _image_status_filter(client) if archived else {}
    with translate_errors(f"list the images of repository {repository!r}"):
        try:
            return paginate(
                client,
                "describe_images",
                "imageDetails",
                repositoryName=repository,
                **registry_args(registry_id),
                **status,
            )
        except is_boto3_error_code("RepositoryNotFoundException") as e:
            raise repository_not_found(repository, registry_id, e) from e


def describe_all_images(client, repository, registry_id=None):
    """Every image of a repository (all pages, archived ones too), as DescribeImages ``imageDetails``.

    Reads nothing else: no manifest (see ``add_child_digests``). Raises RepositoryNotFoundError, or ECRError when
    AWS refuses.
    """
    return list_images(client, repository, registry_id, archived=True)


def add_child_digests(client, repository, registry_id, details, digests):
    """Give the manifest lists ``digests`` of ``details`` their ``childDigests``, read with BatchGetImage (one
    call per 100 lists; on ECR each counts as a pull of that list). A list that is gone gets ``[]``."""
    by_digest = {d["imageDigest"]: d for d in details if d.get("imageDigest") in set(digests)}
    for batch in chunks(list(by_digest), BATCH_GET_MAX):
        with translate_errors(f"read the manifest lists of repository {repository!r}"):
            response = client.batch_get_image(
                repositoryName=repository,
                imageIds=[{"imageDigest": digest} for digest in batch],
                acceptedMediaTypes=list(INDEX_MANIFESTS),
                aws_retry=True,
                **registry_args(registry_id),
            )
        for image in response.get("images") or []:
            detail = by_digest.get((image.get("imageId") or {}).get("imageDigest"))
            if detail is not None:
                detail["childDigests"] = child_digests(image.get("imageManifest"))
    for detail in by_digest.values():
        detail.setdefault("childDigests", [])


def count_images(client, name, registry_id=None):
    """How many images (tagged or not) the repository holds: one DescribeImages entry per image."""
    return len(list_images(client, name, registry_id))
