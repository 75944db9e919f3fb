# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The deletion guard, pure: a limit on the share of images a new lifecycle policy may expire.

The converge layer (``_converge.lifecycle``) computes the preview and applies this check before any
write, so every entry point has it.
"""

from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import LifecycleError

MAX_EXPIRE_PERCENT_OFF = 100


def validate_max_expire_percent(value, option="max_expire_percent"):
    """An integer from 0 to 100 (100, the default, turns the check off); LifecycleError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_EXPIRE_PERCENT_OFF:
        raise LifecycleError(
            message=(
                f"{option}: {value!r} is not a percentage; give an integer from 0 (the policy may expire no image) "
                f"to {MAX_EXPIRE_PERCENT_OFF} (no limit, the default)"
            ),
            option=option,
        )
    return value


def check_expire_share(preview, max_percent, repository, option="max_expire_percent"):
    """Raise LifecycleError when ``preview`` (``evaluate()``'s answer) expires more than ``max_percent``% of the images.

    Only expiry counts: a transition to archive storage keeps the image. The message gives the preview's
    counts, per rule too, and the value that would let the policy through.
    """
    if max_percent >= MAX_EXPIRE_PERCENT_OFF:
        return
    totals = preview["totals"]
    images, expired = totals["images"], totals["expired_images"]
    if not images or expired * 100 <= max_percent * images:
        return
    needed = -(-expired * 100 // images)  # the smallest whole percentage that allows it
    per_rule = ", ".join(
        f"rule {rule['priority']}: {rule['acted_images']}"
        for rule in preview["rules"]
        if rule["action"] == "expire" and rule["acted_images"]
    )
    raise LifecycleError(
        message=(
            f"{option}: the lifecycle policy would expire {expired} of the {images} images in repository "
            f"{repository!r} ({expired * 100 / images:.0f}%, {totals['expired_bytes']} bytes; {per_rule}), more "
            f"than the {max_percent}% {option} allows, so nothing was written. Check the rules (preview=true "
            f"lists every image and the rule that expires it), or set {option} to {needed} or more"
        ),
        option=option,
    )
