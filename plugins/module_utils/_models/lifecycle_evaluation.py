# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The lifecycle evaluator, pure: what a policy does to a repository's images, computed locally.

``evaluate(policy, images, now=None)`` follows ECR's documented evaluation rules: the synchronous dry
run that ECR's own (asynchronous, per repository) lifecycle policy preview would give. The citations
([properties], [evaluation], [examples]) are explained in ``lifecycle_rules``.
"""

from datetime import datetime, timedelta, timezone

from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_rules import storage_class_of
from ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_validation import (
    validate_document,
    validate_rules,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.manifests import INDEX_MANIFESTS
from ansible_collections.dockyard.ecr.plugins.module_utils._models.wildcards import tag_matches_pattern

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _utc(value):
    """A datetime (aware or naive = UTC), an ISO 8601 string or epoch seconds, as an aware UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return _utc(datetime.fromisoformat(text))


class _Image:
    """What the evaluator needs of one DescribeImages entry."""

    def __init__(self, detail):
        self.detail = detail
        self.digest = detail.get("imageDigest")
        self.tags = tuple(sorted(detail.get("imageTags") or []))
        self.pushed_at = _utc(detail.get("imagePushedAt")) or _EPOCH
        self.size = int(detail.get("imageSizeInBytes") or 0)
        self.last_pulled_at = _utc(detail.get("lastRecordedPullTime"))
        self.last_archived_at = _utc(detail.get("lastArchivedAt"))
        self.last_activated_at = _utc(detail.get("lastActivatedAt"))
        status = (detail.get("imageStatus") or "ACTIVE").upper()
        # ACTIVATING images are being restored from archive: neither standard nor archive yet.
        self.storage_class = {"ACTIVE": "standard", "ARCHIVED": "archive"}.get(status)
        self.children = tuple(detail.get("childDigests") or ())
        self.subject = detail.get("subjectManifestDigest")

    @property
    def age_reference(self):
        # [evaluation] "If an image was archived and then restored at any point in the past, the image's
        # last_activated_at is used instead of pushed_at_time."
        if self.last_activated_at and self.last_activated_at > self.pushed_at:
            return self.last_activated_at
        return self.pushed_at

    @property
    def pull_reference(self):
        # [evaluation] sinceImagePulled: last_recorded_pulltime; "If an image was never pulled, the image's
        # pushed_at_time is used instead ... If an image was archived and then restored at any point in the
        # past, but never pulled since the image was restored, the image's last_activated_at is used".
        if self.last_activated_at and (self.last_pulled_at is None or self.last_pulled_at < self.last_activated_at):
            return self.last_activated_at
        return self.last_pulled_at or self.pushed_at


def _selects(rule, image):
    """Whether a rule's selection (storage class and tagging requirements) matches an image."""
    selection = rule["selection"]
    if image.storage_class != storage_class_of(selection):
        return False
    status = selection["tagStatus"]
    if status == "any":
        return True
    if status == "untagged":
        return not image.tags
    if not image.tags:
        return False
    # [evaluation] "An image is successfully matched if all of the tags in the tagPatternList or
    # tagPrefixList value are matched against any of the image's tags." ([examples] "Filtering on
    # multiple tags in a single rule": ["alpha*", "beta*"] selects only images with both.)
    if "tagPatternList" in selection:
        return all(any(tag_matches_pattern(tag, p) for tag in image.tags) for p in selection["tagPatternList"])
    return all(any(tag.startswith(p) for tag in image.tags) for p in selection["tagPrefixList"])


def _candidates(rule, matched, now):
    """The images a rule would act on among those it selects, before shielding by higher-priority rules."""
    selection = rule["selection"]
    count_type, count = selection["countType"], selection["countNumber"]
    if count_type == "imageCountMoreThan":
        # [evaluation] "images are sorted from youngest to oldest based on pushed_at_time and then all images
        # greater than the specified count are expired". ECR does not document ties; the digest breaks them.
        youngest_first = sorted(matched, key=lambda i: (i.age_reference, i.digest), reverse=True)
        return youngest_first[count:]
    cutoff = now - timedelta(days=count)
    # "older than the specified number of days": strictly before the cutoff ([examples] "Filtering on all
    # images", Example B: an untagged image pushed 1 day ago is not expired by a 1-day rule).
    if count_type == "sinceImagePushed":
        return [i for i in matched if i.age_reference < cutoff]
    if count_type == "sinceImagePulled":
        return [i for i in matched if i.pull_reference < cutoff]
    if count_type == "sinceImageTransitioned":
        # "all archived images whose last_archived_at is older than the specified number of days"
        return [i for i in matched if i.last_archived_at is not None and i.last_archived_at < cutoff]
    return []


def _iso(value):
    return value.isoformat() if value else None


def _rules_of(policy):
    """The policy's rules (validated), lowest priority number first; [] for no policy."""
    if policy is None:
        return []
    doc = validate_rules(policy) if isinstance(policy, (list, tuple)) else validate_document(policy)
    return sorted(doc["rules"], key=lambda r: r["rulePriority"])


def _views(images):
    views, seen = [], set()
    for detail in images or []:
        view = _Image(detail)
        if view.digest in seen:
            continue
        seen.add(view.digest)
        views.append(view)
    return views


def _apply_rules(rules, views, now):
    """(decided, selected_by, matched_count): the rule acting on each digest, the first rule selecting it, and
    how many images each rule's selection matches."""
    decided = {}  # digest -> the rule that acts on it
    selected_by = {}  # digest -> priority of the first rule whose selection matches it (it shields the image)
    matched_count = {}
    for rule in rules:
        priority = rule["rulePriority"]
        matched = [v for v in views if _selects(rule, v)]
        matched_count[priority] = len(matched)
        for view in _candidates(rule, matched, now):
            if view.digest in selected_by:
                continue  # acted on, or shielded, by a rule with a lower priority number
            decided[view.digest] = rule
        for view in matched:
            selected_by.setdefault(view.digest, priority)
    return decided, selected_by, matched_count


def _keep_referenced(views, decided, reasons):
    # [evaluation] "If an image is referenced by a manifest list, it cannot be expired or archived without the
    # manifest list being deleted or archived first." A manifest list that stays protects what it references
    # (repeated for lists of lists).
    changed = True
    while changed:
        changed = False
        for view in views:
            if not view.children or view.digest in decided:
                continue
            for child in view.children:
                if child in decided:
                    del decided[child]
                    reasons[child] = f"referenced by manifest list {view.digest}, which stays"
                    changed = True


def _follow_subjects(views, decided, reasons):
    # [evaluation] "When reference artifacts are present in a repository, Amazon ECR lifecycle policies
    # automatically expire or archive those artifacts within 24 hours of the deletion or archival of the
    # subject image." An artifact goes with its subject whatever its own rules say: expired when the subject is
    # expired (even if a rule would archive or shield the artifact), archived when the subject is archived and
    # no rule expires the artifact itself. Repeated for artifacts of artifacts (a signature of an SBOM).
    by_digest = {view.digest: view for view in views}
    changed = True
    while changed:
        changed = False
        for view in views:
            subject = decided.get(view.subject) if view.subject in by_digest else None
            if subject is None:
                continue
            own = decided.get(view.digest)
            if own is subject or (own is not None and own["action"]["type"] == "expire"):
                continue
            if own is not None and subject["action"]["type"] != "expire":
                continue  # acted on by its own rule already, and the subject is only archived
            decided[view.digest] = subject
            reasons[view.digest] = f"follows its subject {view.subject}"
            changed = True


def _image_entry(view, rule, selected_by, reason):
    action = rule["action"]["type"] if rule else "keep"
    if view.storage_class is None and not rule:
        reason = reason or "being restored from archive (ACTIVATING); no rule selects it"
    return {
        "digest": view.digest,
        "tags": list(view.tags),
        "pushed_at": _iso(view.pushed_at),
        "size_bytes": view.size,
        "storage_class": view.storage_class,
        "action": action,
        "target_storage_class": rule["action"].get("targetStorageClass") if rule else None,
        "rule_priority": rule["rulePriority"] if rule else None,
        "selected_by": selected_by.get(view.digest),
        "reason": reason,
    }


def _report(views, rules, decided, selected_by, matched_count, reasons):
    """(entries, rule summary, totals) of the evaluation."""
    entries = []
    totals = {
        "images": 0,
        "bytes": 0,
        "expired_images": 0,
        "expired_bytes": 0,
        "transitioned_images": 0,
        "transitioned_bytes": 0,
        "kept_images": 0,
        "kept_bytes": 0,
    }
    acted = {r["rulePriority"]: [0, 0] for r in rules}
    for view in sorted(views, key=lambda v: (v.pushed_at, v.digest or "")):
        rule = decided.get(view.digest)
        entry = _image_entry(view, rule, selected_by, reasons.get(view.digest))
        entries.append(entry)
        key = {"expire": "expired", "transition": "transitioned"}.get(entry["action"], "kept")
        totals["images"] += 1
        totals["bytes"] += view.size
        totals[f"{key}_images"] += 1
        totals[f"{key}_bytes"] += view.size
        if rule:
            acted[rule["rulePriority"]][0] += 1
            acted[rule["rulePriority"]][1] += view.size
    rule_summary = [
        {
            "priority": r["rulePriority"],
            "description": r.get("description"),
            "action": r["action"]["type"],
            "matched_images": matched_count.get(r["rulePriority"], 0),
            "acted_images": acted[r["rulePriority"]][0],
            "acted_bytes": acted[r["rulePriority"]][1],
        }
        for r in rules
    ]
    return entries, rule_summary, totals


def evaluate(policy, images, now=None):
    """What ``policy`` does to ``images``: ECR's lifecycle policy preview, computed locally.

    ``policy``: snake_case rules (a list), an ECR document (dict or JSON text), or None (no policy).
    ``images``: DescribeImages ``imageDetails`` entries; a manifest list's ``childDigests`` (the digests it
    references, from BatchGetImage) where ``manifest_lists_to_read`` said they matter; a list without them is
    taken to reference nothing. ``now``: the reference time for the age count types (default: the
    current time).

    ECR's documented evaluation ([evaluation]):
    - rules are applied in priority order, lowest number first;
    - each rule identifies the images its selection matches, all of them, including images that rules
      with a lower priority number matched or acted on ("Rules can never mark images that are marked by
      higher priority rules, but can still identify them as if they haven't been expired"); that is what
      imageCountMoreThan counts;
    - an image is acted on by at most one rule ("An image is expired or archived by exactly one or zero
      rules"), and an image that matches the tagging requirements of a rule cannot be acted on by a rule
      with a lower priority, even when that rule leaves it alone: it is shielded;
    - an image referenced by a manifest list is not expired or archived while the list stays;
    - reference artifacts (signatures, SBOMs: images with a subject) follow their subject image.

    Returns ``{"evaluated_at", "images", "rules", "totals"}``; ``images`` has one entry per image
    (sorted by push time, then digest) with ``action`` expire, transition or keep, ``rule_priority`` (the
    rule that acts on it), ``selected_by`` (the first rule whose selection matches it) and ``reason``.
    """
    rules = _rules_of(policy)
    now = _utc(now) or datetime.now(timezone.utc)
    views = _views(images)
    decided, selected_by, matched_count = _apply_rules(rules, views, now)
    reasons = {}
    _keep_referenced(views, decided, reasons)
    _follow_subjects(views, decided, reasons)
    entries, rule_summary, totals = _report(views, rules, decided, selected_by, matched_count, reasons)
    return {"evaluated_at": _iso(now), "images": entries, "rules": rule_summary, "totals": totals}


def manifest_lists_to_read(preview, images):
    """The digests of the manifest lists (image indexes) whose children's fate depends on them: those ``preview``
    (``evaluate()``'s answer) keeps while it acts on some image, and whose ``childDigests`` are not known yet.

    [evaluation] "If an image is referenced by a manifest list, it cannot be expired or archived without the
    manifest list being deleted or archived first": only a list that stays can change what happens to other
    images (the images it references stay too). A list that is expired or archived leaves its children to their
    own rules, and when the policy acts on no image nothing can change. So nothing is read for a policy that acts
    on nothing, nor for lists that go; a list read this way may reveal that an image it references, itself a
    list, stays too: the caller reads, evaluates again and asks again until this is empty.
    """
    if not any(entry["action"] != "keep" for entry in preview["images"]):
        return []
    kept = {entry["digest"] for entry in preview["images"] if entry["action"] == "keep"}
    wanted = []
    for detail in images or []:
        digest = detail.get("imageDigest")
        if detail.get("imageManifestMediaType") not in INDEX_MANIFESTS or "childDigests" in detail:
            continue
        if digest in kept and digest not in wanted:
            wanted.append(digest)
    return wanted
