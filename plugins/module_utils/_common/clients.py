# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS clients made the amazon.aws way: ``module.client(..., retry_decorator=AWSRetry.jittered_backoff())``,
so every call passes ``aws_retry=True`` and throttling is retried.
"""

import threading

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

_SHARED_LOADERS = {}
_SHARED_LOADERS_LOCK = threading.Lock()


def share_botocore_data():
    """One botocore data loader per data path (``AWS_DATA_PATH``) for the whole process; True when installed.

    amazon.aws's ``module.client`` makes a new boto3 and botocore session for every client, and each session has its
    own ``botocore.loaders.Loader``, which parses botocore's data files again: ``endpoints.json`` (1.2 MB), the
    partitions, the service model and the endpoint rule set. A module that assumes a role makes at least two clients
    (STS, then ECR or IAM): that parsing was about half of a no-op ``ecr_repositories`` run's CPU once the module ran
    in the worker process (docs/performance.md). botocore already shares one loader between all the clients of one
    session (boto3's documented pattern: several clients from one session); this shares it between the sessions
    of one process, keyed by the data path, so a session with another ``AWS_DATA_PATH`` gets its own. Sessions keep
    their own credentials, configuration and event handlers: only the parsed data files are shared.

    It replaces ``botocore.session.create_loader`` (the factory a botocore session calls for its loader) with a
    caching one, once per process; on a botocore without that factory it does nothing. boto3 adds its own data
    directory to a session's loader each time it makes a session: the shared loader drops the copies, so its
    search paths do not grow with the sessions.
    """
    try:
        from botocore import session as botocore_session  # pylint: disable=import-outside-toplevel
    except ImportError:
        return False
    create = getattr(botocore_session, "create_loader", None)
    if create is None:
        return False
    if getattr(create, "dockyard_shared", False):
        return True

    def create_loader(search_path_string=None):
        with _SHARED_LOADERS_LOCK:
            loader = _SHARED_LOADERS.get(search_path_string)
            if loader is None:
                loader = _SHARED_LOADERS[search_path_string] = create(search_path_string)
            paths = getattr(loader, "search_paths", None)
            if isinstance(paths, list):
                # boto3 appends its data directory for every session it makes: drop the copies.
                paths[:] = list(dict.fromkeys(paths))
            return loader

    create_loader.dockyard_shared = True
    botocore_session.create_loader = create_loader
    return True


def warm_botocore_data(services=("ecr", "sts", "iam"), region="us-east-1"):
    """Parse the data files the modules' clients need into the shared loader (share_botocore_data) without any AWS
    call or credential lookup (explicit placeholder credentials; a client makes no request when it is made).

    The parent ``ansible-playbook`` process does this once (plugins/plugin_utils/in_process.py) so that the workers it
    forks inherit the parsed data. Best effort: whatever fails here is simply parsed later, where it is needed.
    """
    if not share_botocore_data():
        return False
    try:
        from botocore import session as botocore_session  # pylint: disable=import-outside-toplevel

        session = botocore_session.get_session()
        for service in services:
            session.create_client(
                service, region_name=region, aws_access_key_id="warm", aws_secret_access_key="warm"
            ).close()
    except Exception:  # pylint: disable=broad-except  # best effort: the data is parsed again where needed
        return False
    return True


def ecr_client(module, service="ecr", **params):
    """A client whose calls retry throttling with ``aws_retry=True`` (amazon.aws convention).

    ``params`` go to ``module.client`` (``region=...`` for another region, ``config=...`` for a larger
    connection pool). botocore's data files are parsed once per process (share_botocore_data).
    """
    share_botocore_data()
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
