# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The collection's exception types, and AWS errors translated into them (one home).

Everything the module_utils raise is an ``ECRError`` (amazon.aws's ``AnsibleAWSError``), which a module
reports with ``module.fail_json_aws_error(e)``: AWS errors become "Failed to ..." messages, as amazon.aws
``module_utils/errors.py`` does, and our own validation errors name the option at fault. The subclasses
say which concept refused (repository settings, policy, lifecycle, login, images, bulk entries).
"""

import contextlib

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError


class ECRError(AnsibleAWSError):
    """An error the caller reports with ``module.fail_json_aws_error(e)``.

    ``option`` names the module option at fault when there is one (validation and conflicts),
    ``exception`` holds the botocore exception when AWS refused a call.
    """

    def __init__(self, message=None, exception=None, option=None, **kwargs):
        super().__init__(message=message, exception=exception, **kwargs)
        self.option = option


class RepositoryError(ECRError):
    """A repository request that cannot be carried out as asked; the message names the option and the fix."""


class PolicyError(ECRError):
    """A policy request that cannot be carried out as asked; the message names the option and the fix."""


class LifecycleError(ECRError):
    """A lifecycle policy that cannot be applied as given; the message names the rule, the field and the fix."""


class AuthError(ECRError):
    """A login that cannot be carried out; the message names the option or the file and the fix."""


class ImageError(ECRError):
    """A request about images that cannot be carried out as asked; the message names the option."""


class BulkError(ECRError):
    """Invalid entries (all of them, named) or a module-level option that cannot be used."""


class RegistrySettingsError(ECRError):
    """A registry-level setting (pull through cache rule, creation template, scanning, account setting) that
    cannot be carried out as asked; the message names the option and the fix."""


class ReplicationError(ECRError):
    """A replication configuration that cannot be carried out as asked; the message names the option and the fix."""


class RepositoryNotFoundError(ECRError):
    """The repository does not exist (in that registry)."""


def repository_not_found(repository, registry_id=None, exception=None, error=RepositoryNotFoundError):
    """The "repository does not exist" error (option ``repository``), as ``error`` (the caller's concept)."""
    where = f" in registry {registry_id}" if registry_id else ""
    return error(
        message=(
            f"repository: {repository!r} does not exist{where}; create it first (dockyard.ecr.ecr_repo) or check "
            "the name, region and registry_id"
        ),
        exception=exception,
        option="repository",
    )


def repository_not_empty(repository, count):
    """The error for deleting a repository that holds images without ``force`` (option ``force``)."""
    images = "image" if count == 1 else "images"
    return RepositoryError(
        message=(
            f"force: repository {repository!r} holds {count} {images}, so nothing was deleted. Set force=true to "
            f"delete the repository together with its {images}"
        ),
        option="force",
    )


def repository_deleted_meanwhile(repository, exception=None, error=RepositoryError):
    """The error for a repository that existed when read and was gone at a later write: someone else deleted it
    while the task ran. Says what was (not) done and the fix, instead of "does not exist, create it first"."""
    return error(
        message=(
            f"repository {repository!r} was deleted (by someone or something else) while this task ran: it existed "
            "when read and was gone at the next write, so the rest of its changes were not made. Run the task again "
            "to create it, or find out who deletes it"
        ),
        exception=exception,
        option="repository",
    )


# AWS error codes that say the credentials no longer work: every later call with them fails the same way, so a
# caller stops at the first one instead of trying every repository (retrying does not help either).
EXPIRED_CREDENTIALS = frozenset({"ExpiredToken", "ExpiredTokenException"})
INVALID_CREDENTIALS = frozenset({"InvalidClientTokenId", "UnrecognizedClientException"})
CREDENTIAL_ERRORS = EXPIRED_CREDENTIALS | INVALID_CREDENTIALS


def _credentials_hint(code):
    if code in EXPIRED_CREDENTIALS:
        return (
            " (the session token of the credentials has expired: get new credentials, for example assume the role "
            "again or refresh the profile's session, and run again; calls after this one were not made)"
        )
    if code in INVALID_CREDENTIALS:
        return (
            " (AWS does not know the access key or session token of the credentials: check the access key, the "
            "session token that goes with it and the region, and run again; calls after this one were not made)"
        )
    return ""


def is_credentials_error(exception):
    """Whether an error (botocore's, or an ECRError wrapping one) says the credentials no longer work."""
    return error_code(exception) in CREDENTIAL_ERRORS


@contextlib.contextmanager
def translate_errors(description):
    """Turn a botocore error raised in the ``with`` block into ``ECRError("Failed to <description>")``.

    For descriptions that name the resource (``"create repository 'team/app'"``). Expired or unknown credentials
    get a hint saying so and what to do (botocore and AWSRetry do not retry them: the run fails at once).
    """
    try:
        yield
    except botocore.exceptions.WaiterError as e:
        raise ECRError(message=f"Timeout trying to {description}", exception=e) from e
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        hint = _credentials_hint(error_code(e))
        raise ECRError(message=f"Failed to {description}{hint}", exception=e) from e


def error_code(exception):
    """The AWS error code of a botocore ClientError (or of the one an ECRError wraps), else None."""
    if isinstance(exception, ECRError):
        exception = exception.exception
    response = getattr(exception, "response", None) or {}
    return response.get("Error", {}).get("Code")
