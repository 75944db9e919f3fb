# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The deletion guard, pure: what a new lifecycle policy may expire, judged on the evaluator's answer.

- ``max_expire_percent`` not set (None, the default): a policy that would leave a repository that holds tagged
  images with no tagged image at all is refused; one that would expire more than half of the images is let
  through with a warning giving the counts.
- ``max_expire_percent`` from 0 to 99: an explicit limit on the share of images expired, and the refusal above.
- ``max_expire_percent: 100``: no check at all ("I mean it").

Only expiry counts: a transition to archive storage keeps the image. The converge layer
(``_converge.lifecycle.check_lifecycle``) computes the evaluation and applies ``judge`` before any write, so
every entry point (ecr_lifecycle, ecr_repositories, the repositories role) has the same guard.
"""

from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import LifecycleError

MAX_EXPIRE_PERCENT_OFF = 100
WARN_SHARE_PERCENT = 50  # without an explicit limit, expiring more than this share of the images warns


def validate_max_expire_percent(value, option="max_expire_percent"):
    """None (not set: the default guard), or an integer from 0 to 100; LifecycleError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_EXPIRE_PERCENT_OFF:
        raise LifecycleError(
            message=(
                f"{option}: {value!r} is not a percentage; give an integer from 0 (the policy may expire no image) "
                f"to {MAX_EXPIRE_PERCENT_OFF} (no check at all), or leave it out for the default guard (refuse a "
                "policy that expires every tagged image, warn above half of the images)"
            ),
            option=option,
        )
    return value


def guard_on(max_percent):
    """Whether the guard judges a new policy: always, except with ``max_expire_percent: 100``."""
    return max_percent is None or max_percent < MAX_EXPIRE_PERCENT_OFF


def _counts(preview):
    totals = preview["totals"]
    images, expired = totals["images"], totals["expired_images"]
    per_rule = ", ".join(
        f"rule {rule['priority']}: {rule['acted_images']}"
        for rule in preview["rules"]
        if rule["action"] == "expire" and rule["acted_images"]
    )
    share = f"{expired * 100 / images:.0f}%" if images else "0%"
    return f"{share}, {totals['expired_bytes']} bytes" + (f"; {per_rule}" if per_rule else "")


def tagged_counts(preview):
    """(tagged images now, tagged images the policy expires), from ``evaluate()``'s image entries."""
    tagged = [entry for entry in preview["images"] if entry["tags"]]
    return len(tagged), sum(1 for entry in tagged if entry["action"] == "expire")


def check_expire_share(preview, max_percent, repository, option="max_expire_percent"):
    """Raise LifecycleError when ``preview`` (``evaluate()``'s answer) expires more than ``max_percent``% of the images.

    The message gives the preview's counts, per rule too, and the value that would let the policy through.
    """
    if max_percent is None or max_percent >= MAX_EXPIRE_PERCENT_OFF:
        return
    totals = preview["totals"]
    images, expired = totals["images"], totals["expired_images"]
    if not images or expired * 100 <= max_percent * images:
        return
    needed = -(-expired * 100 // images)  # the smallest whole percentage that allows it
    raise LifecycleError(
        message=(
            f"{option}: the lifecycle policy would expire {expired} of the {images} images in repository "
            f"{repository!r} ({_counts(preview)}), more than the {max_percent}% {option} allows, so nothing was "
            f"written. Check the rules (preview=true lists every image and the rule that expires it), or set "
            f"{option} to {needed} or more"
        ),
        option=option,
    )


def check_tagged_left(preview, repository, option="max_expire_percent"):
    """Raise LifecycleError when the policy would expire every tagged image of a repository that holds some."""
    tagged, expired_tagged = tagged_counts(preview)
    if not tagged or expired_tagged < tagged:
        return
    totals = preview["totals"]
    raise LifecycleError(
        message=(
            f"{option}: the lifecycle policy would expire all {tagged} tagged images of repository {repository!r} "
            f"and leave it no tagged image ({totals['expired_images']} of the {totals['images']} images expired, "
            f"{_counts(preview)}), so nothing was written. Check the rules (preview=true lists every image and the "
            f"rule that expires it); if this is what you mean, set {option}: {MAX_EXPIRE_PERCENT_OFF}"
        ),
        option=option,
    )


def judge(preview, max_percent, repository, option="max_expire_percent"):
    """The guard on ``evaluate()``'s answer for a new policy: raises LifecycleError when it refuses, else returns
    the warnings (a list of messages; empty when there is nothing to say)."""
    if not guard_on(max_percent):
        return []
    check_tagged_left(preview, repository, option)
    if max_percent is not None:
        check_expire_share(preview, max_percent, repository, option)
        return []
    totals = preview["totals"]
    images, expired = totals["images"], totals["expired_images"]
    if images and expired * 100 > WARN_SHARE_PERCENT * images:
        return [
            f"repository {repository!r}: the new lifecycle policy would expire {expired} of the {images} images "
            f"({_counts(preview)}), more than half. Set {option} to a limit to refuse such a policy, or to "
            f"{MAX_EXPIRE_PERCENT_OFF} to say that this is meant"
        ]
    return []
