# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Amazon ECR plumbing shared by the dockyard.ecr modules.

- clients made the amazon.aws way (``module.client(..., retry_decorator=AWSRetry.jittered_backoff())``,
  so every call passes ``aws_retry=True``);
- one exception type, ``ECRError``, for everything the module_utils raise: AWS errors translated into
  "Failed to ..." messages (as amazon.aws ``module_utils/errors.py`` does) and our own validation
  errors, which name the option at fault;
- registry host names and repository URIs, with the ``registry_host`` override.

Nothing here needs a module object except ``ecr_client``/``lazy_client``, so the rest can be used
from threads and from unit tests.
"""

import contextlib
import re
import threading

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

# The host ECR gives a private registry: ACCOUNT.dkr.ecr.REGION.amazonaws.com (.com.cn in China,
# and the FIPS variant dkr.ecr-fips).
ECR_REGISTRY_HOST_RE = re.compile(
    r"^(?P<account>[0-9]{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$"
)

# What registry_host may be: a host name or IPv4 address, or an [IPv6] address, with an optional port.
REGISTRY_HOST_RE = re.compile(r"^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")


class ECRError(AnsibleAWSError):
    """An error the caller reports with ``module.fail_json_aws_error(e)``.

    ``option`` names the module option at fault when there is one (validation and conflicts),
    ``exception`` holds the botocore exception when AWS refused a call.
    """

    def __init__(self, message=None, exception=None, option=None, **kwargs):
        super().__init__(message=message, exception=exception, **kwargs)
        self.option = option


class ECRErrorHandler(AWSErrorHandler):
    """amazon.aws-style decorators (``common_error_handler``, ``list_error_handler``, ...) for ECR."""

    _CUSTOM_EXCEPTION = ECRError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("RepositoryNotFoundException")


@contextlib.contextmanager
def translate_errors(description):
    """Turn a botocore error raised in the ``with`` block into ``ECRError("Failed to <description>")``.

    The context-manager twin of ``ECRErrorHandler.common_error_handler``, for descriptions that
    name the resource (``"create repository 'team/app'"``).
    """
    try:
        yield
    except botocore.exceptions.WaiterError as e:
        raise ECRError(message=f"Timeout trying to {description}", exception=e) from e
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise ECRError(message=f"Failed to {description}", exception=e) from e


def error_code(exception):
    """The AWS error code of a botocore ClientError (or of the one an ECRError wraps), else None."""
    if isinstance(exception, ECRError):
        exception = exception.exception
    response = getattr(exception, "response", None) or {}
    return response.get("Error", {}).get("Code")


def ecr_client(module, service="ecr"):
    """A client whose calls retry throttling with ``aws_retry=True`` (amazon.aws convention)."""
    return module.client(service, retry_decorator=AWSRetry.jittered_backoff())


def lazy_client(module, service):
    """A thread-safe factory that makes the ``service`` client on first use and reuses it.

    Used for clients that are only sometimes needed (KMS, to resolve a key alias), so a run that
    does not need them does not pay for making them.
    """
    lock = threading.Lock()
    made = []

    def factory():
        with lock:
            if not made:
                made.append(ecr_client(module, service))
            return made[0]

    return factory


def normalize_registry_host(registry_host):
    """``https://host:port/`` -> ``host:port``; None and empty stay None."""
    if not registry_host:
        return None
    host = registry_host.strip()
    host = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", host)
    host = host.rstrip("/")
    return host or None


def validate_registry_host(registry_host):
    """Reject a registry_host that is not a host[:port] (after dropping a scheme and slashes)."""
    host = normalize_registry_host(registry_host)
    if host is None:
        return None
    if not REGISTRY_HOST_RE.match(host):
        raise ECRError(
            message=(
                f"registry_host: {registry_host!r} is not a host name with an optional port; give it as HOST or "
                "HOST:PORT without a path (for example 123456789012.dkr.ecr.eu-west-1.amazonaws.com or 127.0.0.1:5000)"
            ),
            option="registry_host",
        )
    return host


def registry_host_for(registry_id, region, registry_host=None, suffix="amazonaws.com"):
    """The registry host for an account and region, or ``registry_host`` when one is given."""
    host = normalize_registry_host(registry_host)
    if host:
        return host
    return f"{registry_id}.dkr.ecr.{region}.{suffix}"


def repository_uri(uri, registry_host=None):
    """Replace the host part of an ECR repository URI with ``registry_host`` (when given).

    ``123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app`` with ``127.0.0.1:5000`` gives
    ``127.0.0.1:5000/team/app``. None and empty URIs are returned as they are.
    """
    host = normalize_registry_host(registry_host)
    if not uri or not host:
        return uri
    parts = uri.split("/", 1)
    if len(parts) == 1:
        return host
    return f"{host}/{parts[1]}"
