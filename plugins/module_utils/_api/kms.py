# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""KMS keys: DescribeKey, to tell whether an alias or key ID is the key a repository is encrypted with."""

import threading

from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError, translate_errors
from ansible_collections.dockyard.ecr.plugins.module_utils._models.repository_settings import KMS_KEY_ARN_RE


class KmsKeyResolver:
    """Resolves KMS key aliases and IDs to key ARNs with ``DescribeKey``; thread-safe, cached.

    ``client_factory`` returns a KMS client (called at most once, only when a lookup is needed);
    None means no lookups are possible, and comparisons that need one fail with a clear message.
    """

    def __init__(self, client_factory=None):
        self._factory = client_factory
        self._lock = threading.Lock()
        self._cache = {}

    def key_arn(self, key):
        """The key ARN for ``key`` (ID, ARN, alias name or alias ARN). Raises ECRError when KMS says no."""
        if KMS_KEY_ARN_RE.fullmatch(key):
            return key
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        if self._factory is None:
            raise ECRError(message=f"no KMS client was given to resolve {key!r}")
        client = self._factory()
        with translate_errors(f"describe KMS key {key!r}"):
            arn = client.describe_key(KeyId=key, aws_retry=True)["KeyMetadata"]["Arn"]
        with self._lock:
            self._cache[key] = arn
        return arn
