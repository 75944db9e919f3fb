# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ECR calls of an image promotion, one small function per call, and the skopeo run.

- reads use ``DescribeImages`` (no pull is recorded); ``BatchGetImage`` (a pull on ECR) is only called
  to fetch the manifest a server-side retag writes back, so a promotion with nothing to do, and every
  check-mode run, record no pull;
- ``PutImage`` of the same manifest bytes gives a tag to an image already in the repository;
- ``skopeo copy`` moves an image between registries with the credentials in a temporary 0600 auth
  file (never on its command line), and ``--digestfile`` says what landed.

Clients are made per region and, where a role is given, with the role's credentials
(``sts:AssumeRole``), so one promotion may read in a CI account and write in a production account.
"""

import os
import shutil
import tempfile
import time

from ansible_collections.dockyard.ecr.plugins.module_utils._api.authorization_token import fetch_token
from ansible_collections.dockyard.ecr.plugins.module_utils._common.clients import ecr_client
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError, error_code, translate_errors
from ansible_collections.dockyard.ecr.plugins.module_utils._common.registry import registry_args
from ansible_collections.dockyard.ecr.plugins.module_utils._models.manifests import ACCEPTED_MEDIA_TYPES
from ansible_collections.dockyard.ecr.plugins.module_utils._models.promote_plan import auth_file_document, skopeo_argv

SESSION_NAME = "dockyard-ecr-promote"


class Clients:
    """Clients per (service, region, role ARN), made on first use; roles assumed once each."""

    def __init__(self, module):
        self.module = module
        self._clients = {}
        self._credentials = {}

    def _role_credentials(self, role_arn, region):
        if role_arn not in self._credentials:
            sts = ecr_client(self.module, "sts", region=region)
            with translate_errors(f"assume role {role_arn}"):
                response = sts.assume_role(RoleArn=role_arn, RoleSessionName=SESSION_NAME, aws_retry=True)
            credentials = response["Credentials"]
            for secret in (credentials["SecretAccessKey"], credentials["SessionToken"]):
                self.module.no_log_values.add(secret)
            self._credentials[role_arn] = {
                "aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"],
            }
        return self._credentials[role_arn]

    def get(self, service, region, role_arn=None):
        key = (service, region, role_arn)
        if key not in self._clients:
            extra = self._role_credentials(role_arn, region) if role_arn else {}
            self._clients[key] = ecr_client(self.module, service, region=region, **extra)
        return self._clients[key]


def describe_image(client, repository, registry_id=None, tag=None, digest=None):
    """The DescribeImages entry of one image by tag or digest; None when there is no such image."""
    image_id = {"imageTag": tag} if tag else {"imageDigest": digest}
    which = f"{repository}:{tag}" if tag else f"{repository}@{digest}"
    try:
        with translate_errors(f"describe image {which}"):
            response = client.describe_images(
                repositoryName=repository, imageIds=[image_id], aws_retry=True, **registry_args(registry_id)
            )
    except ECRError as e:
        if error_code(e) == "ImageNotFoundException":
            return None
        raise
    details = response.get("imageDetails") or []
    return details[0] if details else None


def get_manifest(client, repository, digest, registry_id=None):
    """The manifest bytes (text) and media type ECR stores for ``digest`` (BatchGetImage: a pull)."""
    with translate_errors(f"read the manifest of {repository}@{digest}"):
        response = client.batch_get_image(
            repositoryName=repository,
            imageIds=[{"imageDigest": digest}],
            acceptedMediaTypes=ACCEPTED_MEDIA_TYPES,
            aws_retry=True,
            **registry_args(registry_id),
        )
    images = response.get("images") or []
    if not images:
        failure = (response.get("failures") or [{}])[0]
        raise ECRError(
            message=(
                f"Failed to read the manifest of {repository}@{digest}: "
                f"{failure.get('failureCode')}: {failure.get('failureReason')}"
            )
        )
    return images[0]["imageManifest"], images[0].get("imageManifestMediaType")


def put_tag(client, repository, tag, manifest, media_type, digest, registry_id=None):
    """PutImage of the same manifest under ``tag``. False when the tag already named the image."""
    kwargs = {"imageManifestMediaType": media_type} if media_type else {}
    try:
        with translate_errors(f"tag {repository}@{digest} as {tag!r}"):
            client.put_image(
                repositoryName=repository,
                imageManifest=manifest,
                imageTag=tag,
                imageDigest=digest,
                aws_retry=True,
                **kwargs,
                **registry_args(registry_id),
            )
    except ECRError as e:
        if error_code(e) == "ImageAlreadyExistsException":
            return False
        if error_code(e) == "ImageTagAlreadyExistsException":
            raise ECRError(
                message=(
                    f"Failed to tag {repository}@{digest} as {tag!r}: the tag is immutable and already names "
                    "another image; promote under another tag"
                ),
                exception=e.exception,
            ) from e
        raise
    return True


def login(client, region):
    """``(username, password)`` for the registries of ``region`` (GetAuthorizationToken)."""
    token = fetch_token(client, region)
    return token["username"], token["password"]


def wait_for_digest(client, repository, digest, registry_id=None, timeout=30.0, delay=0.5):
    """DescribeImages by digest until it answers (a registry that indexes pushes asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        detail = describe_image(client, repository, registry_id=registry_id, digest=digest)
        if detail is not None or time.monotonic() >= deadline:
            return detail
        time.sleep(delay)


def skopeo_copy(run_command, logins, source_ref, destination_ref, skopeo=None):
    """Copy with skopeo; returns the digest it wrote. ``logins``: ``{host: (user, password)}``.

    The credentials go into a temporary auth file (mode 0600, in a private directory removed
    afterwards); the command line holds the file's path only.
    """
    binary = skopeo or shutil.which("skopeo")
    if not binary:
        raise ECRError(
            message=(
                "Failed to copy the image between registries: skopeo is not installed on the host that runs the "
                "module (apt-get install skopeo, dnf install skopeo); it is needed when a destination is another "
                "registry or repository"
            )
        )
    workdir = tempfile.mkdtemp(prefix="dockyard-ecr-promote-")
    try:
        os.chmod(workdir, 0o700)
        authfile = os.path.join(workdir, "auth.json")
        descriptor = os.open(authfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(auth_file_document(logins))
        digestfile = os.path.join(workdir, "digest")
        argv = skopeo_argv(binary, authfile, source_ref, destination_ref, digestfile)
        rc, _out, err = run_command(argv, environ_update={"REGISTRY_AUTH_FILE": authfile})
        if rc != 0:
            raise ECRError(
                message=f"Failed to copy {source_ref} to {destination_ref} with skopeo (exit {rc}): {err.strip()}"
            )
        with open(digestfile, encoding="utf-8") as handle:
            return handle.read().strip()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
