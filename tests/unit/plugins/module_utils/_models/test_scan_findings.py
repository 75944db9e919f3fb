# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest
from ansible_collections.dockyard.ecr.plugins.module_utils._models import scan_findings as sf

DIGEST = "sha256:" + "d" * 64

BASIC_PAGE = {
    "imageId": {"imageDigest": DIGEST, "imageTag": "v1"},
    "imageScanStatus": {"status": "COMPLETE", "description": "The scan was completed successfully."},
    "imageScanFindings": {
        "findingSeverityCounts": {"HIGH": 1, "LOW": 1, "UNDEFINED": 1},
        "findings": [
            {"name": "CVE-2", "severity": "LOW", "uri": "https://x/2", "attributes": []},
            {
                "name": "CVE-1",
                "severity": "HIGH",
                "uri": "https://x/1",
                "attributes": [
                    {"key": "package_name", "value": "openssl"},
                    {"key": "package_version", "value": "3.0.2"},
                    {"key": "CVSS2_SCORE", "value": "7.5"},
                ],
            },
            {"name": "CVE-3", "severity": "UNDEFINED", "attributes": []},
        ],
    },
}

ENHANCED_PAGE = {
    "imageId": {"imageDigest": DIGEST},
    "imageScanStatus": {"status": "ACTIVE", "description": "Continuous scan is selected."},
    "imageScanFindings": {
        "findingSeverityCounts": {"CRITICAL": 1, "UNTRIAGED": 1},
        "enhancedFindings": [
            {
                "title": "CVE-9 - zlib",
                "severity": "CRITICAL",
                "score": 9.8,
                "fixAvailable": "YES",
                "packageVulnerabilityDetails": {
                    "vulnerabilityId": "CVE-9",
                    "sourceUrl": "https://nvd/9",
                    "vulnerablePackages": [{"name": "zlib", "version": "1.2.11"}],
                },
            },
            {"title": "odd", "severity": "UNTRIAGED", "fixAvailable": "NO"},
        ],
    },
}


def test_basic_shape():
    scan = sf.scan_from_api([BASIC_PAGE])
    assert scan["found"] and scan["status"] == "COMPLETE" and scan["scan_type"] == sf.BASIC
    assert [f["name"] for f in scan["findings"]] == ["CVE-1", "CVE-2", "CVE-3"]
    first = scan["findings"][0]
    assert (first["package_name"], first["package_version"], first["score"]) == ("openssl", "3.0.2", 7.5)
    assert scan["severity_counts"]["HIGH"] == 1 and scan["severity_counts"]["CRITICAL"] == 0
    assert scan["image_digest"] == DIGEST


def test_enhanced_shape():
    scan = sf.scan_from_api([ENHANCED_PAGE])
    assert scan["scan_type"] == sf.ENHANCED
    first = scan["findings"][0]
    assert first == {
        "name": "CVE-9",
        "severity": "CRITICAL",
        "title": "CVE-9 - zlib",
        "uri": "https://nvd/9",
        "package_name": "zlib",
        "package_version": "1.2.11",
        "score": 9.8,
        "fix_available": True,
    }
    assert scan["findings"][1]["fix_available"] is False


def test_pages_are_joined():
    second = {"imageScanFindings": {"findings": [{"name": "CVE-4", "severity": "MEDIUM"}]}}
    scan = sf.scan_from_api([BASIC_PAGE, second])
    assert len(scan["findings"]) == 4


def test_no_scan():
    scan = sf.scan_from_api([], {"imageTag": "v1"})
    assert not scan["found"] and scan["status"] is None and scan["findings"] == []
    assert sf.still_running(scan)


@pytest.mark.parametrize(
    "status, running", [("IN_PROGRESS", True), ("PENDING", True), ("COMPLETE", False), ("FAILED", False)]
)
def test_still_running(status, running):
    page = dict(BASIC_PAGE, imageScanStatus={"status": status})
    assert sf.still_running(sf.scan_from_api([page])) is running


@pytest.mark.parametrize(
    "threshold, names",
    [
        (None, []),
        ("CRITICAL", []),
        ("HIGH", ["CVE-1"]),
        ("LOW", ["CVE-1", "CVE-2"]),
        ("INFORMATIONAL", ["CVE-1", "CVE-2"]),
    ],
)
def test_at_or_above_never_counts_undefined(threshold, names):
    scan = sf.scan_from_api([BASIC_PAGE])
    assert [f["name"] for f in sf.at_or_above(scan["findings"], threshold)] == names


@pytest.mark.parametrize("value, expected", [("critical", "CRITICAL"), (" High ", "HIGH"), (None, None), ("", None)])
def test_validate_severity(value, expected):
    assert sf.validate_severity(value) == expected


def test_validate_severity_names_the_option():
    with pytest.raises(sf.ScanError) as caught:
        sf.validate_severity("SEVERE", option="publish_fail_on_severity")
    assert caught.value.message.startswith("publish_fail_on_severity: 'SEVERE' is not a severity; use one of")


@pytest.mark.parametrize(
    "params, option",
    [
        ({"image_digest": "sha256:xyz"}, "image_digest"),
        ({"wait_timeout": -1}, "wait_timeout"),
        ({"wait_delay": 0}, "wait_delay"),
        ({"severity_threshold": "BAD"}, "severity_threshold"),
    ],
)
def test_validate_request(params, option):
    with pytest.raises(sf.ScanError) as caught:
        sf.validate_request(params)
    assert caught.value.option == option


def test_summary_names_the_blocking_findings():
    scan = sf.summarize(sf.scan_from_api([BASIC_PAGE]), "team/app", {"imageTag": "v1"}, "HIGH")
    assert scan["count_at_or_above"] == 1
    assert scan["summary"] == f"1 finding at or above HIGH in team/app@{DIGEST}: CVE-1 (HIGH, openssl 3.0.2)"


def test_summary_counts_findings_beyond_the_list():
    page = dict(BASIC_PAGE, imageScanFindings=dict(BASIC_PAGE["imageScanFindings"], findingSeverityCounts={"HIGH": 12}))
    scan = sf.summarize(sf.scan_from_api([page]), "team/app", {}, "HIGH")
    assert scan["count_at_or_above"] == 12
    assert scan["summary"].endswith("CVE-1 (HIGH, openssl 3.0.2) and 11 more")


def test_summary_clean_and_missing():
    clean = sf.summarize(sf.scan_from_api([BASIC_PAGE]), "team/app", {}, "CRITICAL")
    assert clean["count_at_or_above"] == 0
    assert clean["summary"].startswith("no findings at or above CRITICAL in team/app@")
    missing = sf.summarize(sf.scan_from_api([]), "team/app", {"imageTag": "v1"}, "HIGH")
    assert missing["summary"] == "no scan of team/app:v1"
