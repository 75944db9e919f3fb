# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A broken account does not stop the others, and fixing it touches nothing else.

playbooks/configure.yml on three accounts (a registry and two consumers), each reached through a role.
The staging account's role cannot be assumed (moto lets anyone assume any role, so the proxy answers
that AssumeRole with STS's AccessDenied, as AWS does for a role whose trust policy does not name the
caller). The registry and prod converge; staging fails with a message naming its account and role.
After the fix (the denial lifted) a rerun converges staging and makes no write in the other two.
"""

from __future__ import annotations

import pytest
from conftest import (
    PROD_ACCOUNT,
    REGISTRY_ACCOUNT,
    ROOT,
    STAGING_ACCOUNT,
    configure_inventory,
    create_consumer_roles,
    failures,
    recap,
    remember_account_secrets,
    role_arn,
)

CONFIGURE = ROOT / "playbooks" / "configure.yml"
HOSTS = {"registry-us-east-1": REGISTRY_ACCOUNT, "prod-us-east-1": PROD_ACCOUNT, "staging-us-east-1": STAGING_ACCOUNT}

pytestmark = pytest.mark.skipif(
    not all(path.exists() for path in (CONFIGURE, ROOT / "roles" / "repositories", ROOT / "roles" / "remote_access")),
    reason="playbooks/configure.yml or the repositories and remote_access roles are not in the collection yet",
)


def denial(account: str) -> dict:
    arn = role_arn(account)
    return {
        "service": "sts",
        "operation": "AssumeRole",
        "match": arn,
        "status": 403,
        "code": "AccessDenied",
        "message": f"User: arn:aws:iam::{REGISTRY_ACCOUNT}:user/deployer is not authorized to perform: sts:AssumeRole"
        f" on resource: {arn}",
    }


def test_a_role_that_cannot_be_assumed_fails_only_its_account(emulators, ansible, tmp_path):
    remember_account_secrets(*HOSTS.values())
    moto = emulators.moto()
    proxy = emulators.proxy(moto.url)
    create_consumer_roles(moto.url)
    proxy.control.configure(deny=[denial(STAGING_ACCOUNT)])
    inventory = configure_inventory(tmp_path / "inventory.json", proxy.url)

    first = ansible.run(CONFIGURE, "partial-first", inventory=str(inventory))
    counts = recap(first)
    assert set(counts) == set(HOSTS), first.tail()
    assert counts["registry-us-east-1"]["failed"] == 0 and counts["prod-us-east-1"]["failed"] == 0, first.tail()
    assert counts["staging-us-east-1"]["failed"] == 1, first.tail()
    assert counts["registry-us-east-1"]["changed"] > 0 and counts["prod-us-east-1"]["changed"] > 0
    messages = failures(first, "staging-us-east-1")
    assert messages, first.tail()
    assert STAGING_ACCOUNT in messages[-1] and role_arn(STAGING_ACCOUNT) in messages[-1], messages[-1]
    first_requests = proxy.control.requests()
    assert not [r for r in first_requests if r["account"] == STAGING_ACCOUNT], "a request acted in the broken account"

    # The fix: the role's trust policy now names the caller.
    proxy.control.configure(deny=[])
    proxy.control.reset()
    second = ansible.run(CONFIGURE, "partial-rerun", inventory=str(inventory))
    counts = recap(second)
    assert second.rc == 0, second.tail()
    assert counts["registry-us-east-1"]["changed"] == 0, second.recap()
    assert counts["prod-us-east-1"]["changed"] == 0, second.recap()
    assert counts["staging-us-east-1"]["changed"] > 0, second.recap()
    writes = [(r["account"], r["operation"]) for r in proxy.harvest()["requests"] if r["write"]]
    assert writes and {write[0] for write in writes} == {STAGING_ACCOUNT}, writes
