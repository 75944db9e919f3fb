# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Faults that last, credentials that expire, and repositories that disappear mid-run (issue 19).

Each test runs ``playbooks/fault_kinds.yml`` (one ``ecr_repositories`` or ``ecr_repo`` call) through the fault
proxy against its own moto server and checks what a user would: the exit code, the message, and what the
repositories look like afterwards (read from moto directly, never through the proxy).

- an outage window: every ECR call fails (HTTP 503) for a few seconds, then the API is back; the retry budget
  rides it out. One longer than the budget fails with botocore's "reached max retries" and writes nothing; the
  rerun after the outage converges;
- timed throttling: every ECR call is throttled for a few seconds (another job spending the account's rate);
- an expired session token, mid-run: ECR answers ExpiredTokenException; nobody retries it, the task fails at once
  saying that the token expired and what to do, and the repositories after the first are not tried;
- a repository deleted by someone else between the module's read and its write: done for state=absent, a clear
  error for state=present.
"""

from __future__ import annotations

import time

import pytest
from conftest import ACCESS_KEY, PLAYBOOKS, SECRET_KEY, client

PLAYBOOK = PLAYBOOKS / "fault_kinds.yml"
BUDGET = {"AWS_MAX_ATTEMPTS": "10", "AWS_RETRY_MODE": "standard"}


def variables(proxy, **extra) -> dict:
    return dict(aws_endpoint_url=proxy.url, aws_access_key=ACCESS_KEY, aws_secret_key=SECRET_KEY, **extra)


def repositories(moto) -> dict:
    """{name: scan on push} of every repository, read from moto itself."""
    found = client(moto.url, "ecr").describe_repositories()["repositories"]
    return {r["repositoryName"]: r["imageScanningConfiguration"]["scanOnPush"] for r in found}


def answered(requests: list[dict], fault: str, operation: str | None = None) -> int:
    return sum(1 for r in requests if r["fault"] == fault and (operation is None or r["operation"] == operation))


ENTRIES = [{"name": f"window/app{index}", "scan_on_push": True, "tags": {"team": "a"}} for index in range(3)]


@pytest.mark.parametrize("fault", ["unavailable", "throttle"], ids=["outage", "throttling"])
def test_a_window_of_failures_is_ridden_out(emulators, ansible, fault):
    """Every ECR call fails for 4 seconds from the first one on (503s: an outage; ThrottlingException: timed
    throttling); with a budget of 10 attempts the run converges as if nothing had happened."""
    moto = emulators.moto()
    proxy = emulators.proxy(moto.url, window={"fault": fault, "seconds": 4})
    run = ansible.run(PLAYBOOK, f"window-{fault}", extra_vars=variables(proxy, entries=ENTRIES), env=BUDGET)
    requests = proxy.harvest()["requests"]
    assert run.rc == 0, run.tail()
    assert answered(requests, fault) >= 2, "the window injected (almost) nothing"
    assert repositories(moto) == {entry["name"]: True for entry in ENTRIES}
    assert run.seconds >= 4
    rerun = ansible.run(PLAYBOOK, f"window-{fault}-again", extra_vars=variables(proxy, entries=ENTRIES), env=BUDGET)
    assert rerun.rc == 0 and "changed=0" in rerun.recap(), rerun.tail()


def test_an_outage_longer_than_the_budget_fails_cleanly_and_the_rerun_converges(emulators, ansible):
    moto = emulators.moto()
    proxy = emulators.proxy(moto.url, window={"fault": "unavailable", "seconds": 600})
    run = ansible.run(
        PLAYBOOK, "outage-long", extra_vars=variables(proxy, entries=ENTRIES), env={"AWS_MAX_ATTEMPTS": "3"}
    )
    assert run.rc == 2, run.tail()
    assert "Failed to describe repositories window/app0, window/app1, window/app2" in run.stdout, run.tail()
    assert "reached max retries: 2" in run.stdout and "Traceback" not in run.stdout
    assert repositories(moto) == {}  # nothing written
    proxy.control.configure(window=None)  # the API is back
    rerun = ansible.run(PLAYBOOK, "outage-over", extra_vars=variables(proxy, entries=ENTRIES))
    assert rerun.rc == 0, rerun.tail()
    assert repositories(moto) == {entry["name"]: True for entry in ENTRIES}


def test_an_expired_token_fails_at_once_with_a_message_about_the_token(emulators, ansible):
    """The session token expires after the reads: the first write is answered ExpiredTokenException. It is not
    retried, the task fails saying what happened and what to do, and the other repositories are not tried."""
    moto = emulators.moto()
    ecr = client(moto.url, "ecr")
    names = [f"expiry/app{index}" for index in range(4)]
    for name in names:
        ecr.create_repository(repositoryName=name)
    proxy = emulators.proxy(moto.url)
    proxy.control.configure(
        window={"fault": "expired_token", "seconds": 600, "operations": ["PutImageScanningConfiguration"]}
    )
    entries = [{"name": name, "scan_on_push": True} for name in names]
    started = time.monotonic()
    run = ansible.run(
        PLAYBOOK, "expired-token", extra_vars=variables(proxy, entries=entries, concurrency=1), env=BUDGET
    )
    seconds = time.monotonic() - started
    requests = proxy.harvest()["requests"]
    assert run.rc == 2, run.tail()
    assert "the session token of the credentials has expired: get new credentials" in run.stdout, run.tail()
    assert "ExpiredTokenException" in run.stdout
    assert "not tried, because the credentials stopped working" in run.stdout
    assert answered(requests, "expired_token") == 1  # one call, never retried, no other repository tried
    assert repositories(moto) == {name: False for name in names}
    assert seconds < 60


def test_a_repository_deleted_before_our_delete_counts_as_done(emulators, ansible):
    """ecr_repositories reads both repositories, then someone deletes one of them just before the module counts its
    images (the not-empty guard): that entry is done, the other is deleted by us."""
    moto = emulators.moto()
    ecr = client(moto.url, "ecr")
    for name in ("gone/one", "gone/two"):
        ecr.create_repository(repositoryName=name)
    proxy = emulators.proxy(moto.url)
    proxy.control.configure(vanish=[{"operation": "DescribeImages", "repository": "gone/one"}])
    entries = [{"name": "gone/one", "state": "absent"}, {"name": "gone/two", "state": "absent"}]
    run = ansible.run(PLAYBOOK, "vanish-absent", extra_vars=variables(proxy, entries=entries))
    requests = proxy.harvest()["requests"]
    assert run.rc == 0, run.tail()
    assert answered(requests, "vanish") == 1
    assert repositories(moto) == {}
    assert "changed=1" in run.recap()  # gone/two, which this run deleted


def test_ecr_repo_absent_meets_a_delete_of_someone_else(emulators, ansible):
    """ecr_repo reads the repository, someone deletes it before the module counts its images: done, unchanged."""
    moto = emulators.moto()
    client(moto.url, "ecr").create_repository(repositoryName="gone/single")
    proxy = emulators.proxy(moto.url)
    proxy.control.configure(vanish=[{"operation": "DescribeImages", "repository": "gone/single"}])
    run = ansible.run(
        PLAYBOOK, "vanish-single", extra_vars=variables(proxy, single={"name": "gone/single", "state": "absent"})
    )
    assert run.rc == 0, run.tail()
    assert "changed=0" in run.recap() and "failed=0" in run.recap()  # someone else deleted it, not this run
    assert answered(proxy.harvest()["requests"], "vanish") == 1
    assert repositories(moto) == {}


def test_a_repository_deleted_before_our_write_is_a_clear_error(emulators, ansible):
    moto = emulators.moto()
    ecr = client(moto.url, "ecr")
    for name in ("gone/app", "kept/app"):
        ecr.create_repository(repositoryName=name)
    proxy = emulators.proxy(moto.url)
    proxy.control.configure(vanish=[{"operation": "PutImageScanningConfiguration", "repository": "gone/app"}])
    entries = [{"name": "gone/app", "scan_on_push": True}, {"name": "kept/app", "scan_on_push": True}]
    run = ansible.run(PLAYBOOK, "vanish-present", extra_vars=variables(proxy, entries=entries))
    assert run.rc == 2, run.tail()
    assert "1 of 2 repositories failed; the other 1 converged (1 changed)" in run.stdout, run.tail()
    assert "repository 'gone/app' was deleted (by someone or something else) while this task ran" in run.stdout
    assert "Traceback" not in run.stdout
    assert repositories(moto) == {"kept/app": True}
