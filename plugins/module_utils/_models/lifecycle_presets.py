# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Lifecycle presets, pure: the common policies in three options (keep_last, expire_untagged_after_days,
keep_tag_prefixes), as snake_case rules. The citations are explained in ``lifecycle_rules``."""

from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import LifecycleError

# A count no repository reaches (ECR's default quota is 100,000 images per repository): a rule with
# it selects images without ever expiring one, which shields them from the rules after it.
PROTECT_COUNT = 999999
PRESET_OPTIONS = ("keep_last", "expire_untagged_after_days", "keep_tag_prefixes")


def _preset_count(value, option, what):
    """A positive integer from an int or a string of digits; LifecycleError naming ``option`` otherwise."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise LifecycleError(message=f"{option}: give {what} as a positive integer, not {value!r}", option=option)
    if value < 1:
        raise LifecycleError(message=f"{option}: must be 1 or more, got {value} ({what})", option=option)
    return value


def presets_to_rules(keep_last=None, expire_untagged_after_days=None, keep_tag_prefixes=None):
    """The snake_case rules (for ``validate_rules``) that three presets stand for; [] when none is given.

    - ``expire_untagged_after_days: N``: priority 1, untagged images pushed more than N days ago expire.
    - ``keep_tag_prefixes: [P, ...]``: one rule per prefix (priorities 2, 3, ...; one rule per prefix
      because the prefixes of a single rule must *all* match, [evaluation]), selecting the images with
      a tag starting with P and expiring only beyond ``PROTECT_COUNT`` images, that is never. An image
      a rule selects cannot be expired by a rule with a higher priority number ([evaluation]), so
      those images are shielded from ``keep_last``.
    - ``keep_last: N``: last, tag status ``any``: images beyond the N most recently pushed expire. ECR
      counts every image for it, shielded ones and untagged ones within their N days too, but expires
      only the ones no earlier rule selected.
    Shielding only matters for ``keep_last`` (untagged images have no tags to match a prefix), so
    ``keep_tag_prefixes`` without ``keep_last`` is refused. Raises LifecycleError naming the preset.
    """
    rules = []
    if expire_untagged_after_days is not None:
        days = _preset_count(expire_untagged_after_days, "expire_untagged_after_days", "a number of days")
        rules.append(
            {
                "priority": 1,
                "description": f"Expire untagged images {days} days after they were pushed",
                "tag_status": "untagged",
                "count_type": "since_image_pushed",
                "count_unit": "days",
                "count": days,
                "action": "expire",
            }
        )
    if keep_tag_prefixes is not None:
        if isinstance(keep_tag_prefixes, str) or not isinstance(keep_tag_prefixes, (list, tuple)):
            raise LifecycleError(
                message="keep_tag_prefixes: give a list of tag prefixes, for example ['v', 'release-']",
                option="keep_tag_prefixes",
            )
        prefixes = []
        for index, prefix in enumerate(keep_tag_prefixes):
            prefix = "" if prefix is None else str(prefix)
            if not prefix.strip():
                raise LifecycleError(
                    message=f"keep_tag_prefixes[{index}]: empty; give the start of the tags to keep, for example 'v'",
                    option="keep_tag_prefixes",
                )
            if "*" in prefix:
                raise LifecycleError(
                    message=(
                        f"keep_tag_prefixes[{index}]: {prefix!r} contains '*', which a prefix matches literally and "
                        "no image tag contains; give the start of the tags (for example 'release-' for release-*)"
                    ),
                    option="keep_tag_prefixes",
                )
            if prefix not in prefixes:
                prefixes.append(prefix)
        if prefixes and keep_last is None:
            raise LifecycleError(
                message=(
                    "keep_tag_prefixes: protects images from keep_last, and keep_last is not given, so it would do "
                    "nothing; add keep_last (the number of images to keep besides the protected ones), or leave "
                    "keep_tag_prefixes out"
                ),
                option="keep_tag_prefixes",
            )
        for offset, prefix in enumerate(prefixes):
            rules.append(
                {
                    "priority": 2 + offset,
                    "description": f"Keep images with a tag starting with {prefix}",
                    "tag_status": "tagged",
                    "tag_prefixes": [prefix],
                    "count_type": "image_count_more_than",
                    "count": PROTECT_COUNT,
                    "action": "expire",
                }
            )
    if keep_last is not None:
        count = _preset_count(keep_last, "keep_last", "the number of images to keep")
        rules.append(
            {
                "priority": rules[-1]["priority"] + 1 if rules else 1,
                "description": f"Keep the {count} most recently pushed images",
                "tag_status": "any",
                "count_type": "image_count_more_than",
                "count": count,
                "action": "expire",
            }
        )
    return rules
