# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ECR tag wildcard matching, pure: tag patterns of lifecycle rules and tag mutability exclusion filters.

Both use ECR's one wildcard, ``*`` (any run of characters, even none); everything else is literal.
"""

import re

_PATTERN_CACHE = {}


def _pattern(pattern):
    """A wildcard pattern as a compiled regular expression: '*' matches any characters, even none."""
    compiled = _PATTERN_CACHE.get(pattern)
    if compiled is None:
        compiled = re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)
        _PATTERN_CACHE[pattern] = compiled
    return compiled


def tag_matches_pattern(tag, pattern):
    """Whether an image tag matches a wildcard pattern ([evaluation]: prod* matches prod, prod1, ...)."""
    return _pattern(pattern).fullmatch(tag) is not None
