# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Paginated reads with retries: amazon.aws's ``paginated_query_with_retries``, one result key out."""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def paginate(client, operation, result_key, **params):
    """Every page of ``operation`` (retried with jittered backoff as a whole), the ``result_key`` list joined."""
    result = paginated_query_with_retries(client, operation, retry_decorator=AWSRetry.jittered_backoff(), **params)
    return result.get(result_key, [])


def chunks(items, size):
    """``items`` (a list) in slices of at most ``size``: for the calls that take 100 names or IDs at a time."""
    for start in range(0, len(items), size):
        end = start + size
        yield items[start:end]
