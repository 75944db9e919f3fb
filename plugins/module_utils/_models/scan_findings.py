# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Image scan findings: one shape for basic and enhanced scanning, counts, and the severity gate (pure).

``DescribeImageScanFindings`` answers in two shapes:

- **basic** scanning: ``imageScanFindings.findings`` (``name`` = the CVE, ``severity``, ``uri``,
  ``attributes`` as key/value pairs: ``package_name``, ``package_version``, ``CVSS2_SCORE``, ...);
- **enhanced** scanning (Amazon Inspector): ``imageScanFindings.enhancedFindings`` (``title``,
  ``severity``, ``status``, ``score``, ``packageVulnerabilityDetails.vulnerabilityId``,
  ``vulnerablePackages``, ``fixAvailable``, ...).

Both become ``{"name", "severity", "title", "uri", "package_name", "package_version", "score",
"fix_available"}``. Severities are ranked INFORMATIONAL < LOW < MEDIUM < HIGH < CRITICAL; UNDEFINED
(basic) and UNTRIAGED (enhanced) are counted but have no rank, so no threshold catches them.
"""

import re

DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
SEVERITIES = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
UNRANKED = ("UNDEFINED", "UNTRIAGED")
# Statuses of a scan that is still running (basic: IN_PROGRESS; enhanced: PENDING, IN_PROGRESS).
RUNNING = ("IN_PROGRESS", "PENDING")
BASIC, ENHANCED = "basic", "enhanced"


class ScanError(Exception):
    def __init__(self, message, option=None):
        super().__init__(message)
        self.message = message
        self.option = option


def validate_severity(value, option="severity_threshold"):
    """The severity in upper case, or None; ScanError naming the option and the choices otherwise."""
    if value is None or value == "":
        return None
    severity = str(value).strip().upper()
    if severity not in SEVERITIES:
        raise ScanError(
            f"{option}: {value!r} is not a severity; use one of {', '.join(SEVERITIES)} (findings at or above it count)",
            option=option,
        )
    return severity


def rank(severity):
    """The rank of a severity (0 for INFORMATIONAL ... 4 for CRITICAL), None for unranked ones."""
    severity = (severity or "").upper()
    return SEVERITIES.index(severity) if severity in SEVERITIES else None


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _basic_finding(entry):
    attributes = {a.get("key"): a.get("value") for a in entry.get("attributes") or []}
    score = attributes.get("CVSS3_SCORE") or attributes.get("CVSS2_SCORE")
    return {
        "name": entry.get("name"),
        "severity": (entry.get("severity") or "UNDEFINED").upper(),
        "title": entry.get("description") or entry.get("name"),
        "uri": entry.get("uri"),
        "package_name": attributes.get("package_name"),
        "package_version": attributes.get("package_version"),
        "score": float(score) if score not in (None, "") else None,
        "fix_available": None,
    }


def _enhanced_finding(entry):
    details = entry.get("packageVulnerabilityDetails") or {}
    packages = details.get("vulnerablePackages") or [{}]
    fix = entry.get("fixAvailable")
    return {
        "name": details.get("vulnerabilityId") or entry.get("title"),
        "severity": (entry.get("severity") or "UNTRIAGED").upper(),
        "title": entry.get("title"),
        "uri": details.get("sourceUrl"),
        "package_name": packages[0].get("name"),
        "package_version": packages[0].get("version"),
        "score": entry.get("score"),
        "fix_available": None if fix is None else fix == "YES",
    }


def scan_from_api(pages, image_id=None):
    """One scan result from the DescribeImageScanFindings pages (all findings of every page).

    ``pages``: the responses, in order (an empty list when the image has no scan).
    """
    if not pages:
        return {
            "found": False,
            "status": None,
            "description": None,
            "scan_type": None,
            "completed_at": None,
            "vulnerability_source_updated_at": None,
            "image_digest": (image_id or {}).get("imageDigest"),
            "severity_counts": {severity: 0 for severity in SEVERITIES + UNRANKED},
            "findings": [],
        }
    first = pages[0]
    status = first.get("imageScanStatus") or {}
    findings, scan_type = [], None
    counts = {}
    for page in pages:
        data = page.get("imageScanFindings") or {}
        for key, value in (data.get("findingSeverityCounts") or {}).items():
            counts[key.upper()] = value  # every page repeats the counts of the whole scan
        if data.get("enhancedFindings"):
            scan_type = ENHANCED
            findings.extend(_enhanced_finding(f) for f in data["enhancedFindings"])
        if data.get("findings"):
            scan_type = scan_type or BASIC
            findings.extend(_basic_finding(f) for f in data["findings"])
    if not counts:
        for finding in findings:
            counts[finding["severity"]] = counts.get(finding["severity"], 0) + 1
    data = first.get("imageScanFindings") or {}
    findings.sort(key=lambda f: (-(rank(f["severity"]) if rank(f["severity"]) is not None else -1), f["name"] or ""))
    return {
        "found": True,
        "status": status.get("status"),
        "description": status.get("description"),
        "scan_type": scan_type,
        "completed_at": _iso(data.get("imageScanCompletedAt")),
        "vulnerability_source_updated_at": _iso(data.get("vulnerabilitySourceUpdatedAt")),
        "image_digest": (first.get("imageId") or {}).get("imageDigest") or (image_id or {}).get("imageDigest"),
        "severity_counts": dict({severity: 0 for severity in SEVERITIES + UNRANKED}, **counts),
        "findings": findings,
    }


def at_or_above(findings, threshold):
    """The findings whose severity ranks at or above ``threshold`` (None: none)."""
    if threshold is None:
        return []
    floor = rank(threshold)
    return [f for f in findings if rank(f["severity"]) is not None and rank(f["severity"]) >= floor]


def count_at_or_above(counts, threshold):
    """How many findings the counts put at or above ``threshold`` (the counts cover every page)."""
    if threshold is None:
        return 0
    floor = rank(threshold)
    return sum(n for severity, n in counts.items() if rank(severity) is not None and rank(severity) >= floor)


def gate_message(image, scan, threshold, blocking, limit=10):
    """One line naming the findings that block ``image``: ``3 findings at or above HIGH in ...: CVE-1 (CRITICAL, pkg 1.0), ...``."""
    total = count_at_or_above(scan["severity_counts"], threshold) or len(blocking)
    named = []
    for finding in blocking[:limit]:
        package = ""
        if finding.get("package_name"):
            package = f", {finding['package_name']} {finding.get('package_version') or ''}".rstrip()
        named.append(f"{finding['name']} ({finding['severity']}{package})")
    more = f" and {total - len(named)} more" if total > len(named) else ""
    noun = "finding" if total == 1 else "findings"
    return f"{total} {noun} at or above {threshold} in {image}: {', '.join(named)}{more}"


def still_running(scan):
    """Whether a wait should go on: no scan yet, or a scan that has not finished."""
    return not scan["found"] or scan["status"] in RUNNING


def validate_request(params):
    """Check the digest, the wait numbers and the threshold of ecr_image_scan_info (before any call)."""
    digest = params.get("image_digest")
    if digest is not None and not DIGEST_RE.match(digest):
        raise ScanError(
            f"image_digest: {digest!r} is not an image digest; give sha256: and 64 hex digits", option="image_digest"
        )
    for option, low in (("wait_timeout", 0), ("wait_delay", 1)):
        value = params.get(option)
        if value is not None and value < low:
            raise ScanError(f"{option}: {value} is too small; give {low} or more seconds", option=option)
    validate_severity(params.get("severity_threshold"))


def summarize(scan, repository, image_id, threshold):
    """The scan as the module returns it: plus findings_at_or_above and a one-line summary."""
    threshold = validate_severity(threshold)
    image = (
        f"{repository}@{scan['image_digest']}"
        if scan.get("image_digest")
        else f"{repository}:{image_id.get('imageTag')}"
    )
    blocking = at_or_above(scan["findings"], threshold)
    total = max(count_at_or_above(scan["severity_counts"], threshold), len(blocking))
    if not scan["found"]:
        summary = f"no scan of {image}"
    elif threshold is None:
        counted = ", ".join(f"{n} {s}" for s, n in scan["severity_counts"].items() if n)
        summary = f"scan of {image}: {scan['status']}; {counted or 'no findings'}"
    elif total:
        summary = gate_message(image, scan, threshold, blocking)
    else:
        summary = f"no findings at or above {threshold} in {image} (scan {scan['status']})"
    return dict(scan, findings_at_or_above=blocking, count_at_or_above=total, summary=summary)
