# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS clients made the amazon.aws way: ``module.client(..., retry_decorator=AWSRetry.jittered_backoff())``,
so every call passes ``aws_retry=True`` and throttling is retried.
"""

import threading

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def ecr_client(module, service="ecr", **params):
    """A client whose calls retry throttling with ``aws_retry=True`` (amazon.aws convention).

    ``params`` go to ``module.client`` (``region=...`` for another region, ``config=...`` for a larger
    connection pool).
    """
    return module.client(service, retry_decorator=AWSRetry.jittered_backoff(), **params)


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
