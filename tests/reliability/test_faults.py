# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Throttling, server errors and dropped connections do not change the outcome.

The same playbook runs twice at once against two fresh emulators: fault-free, and through the fault
proxy answering 20% of the requests with ECR's ThrottlingException, a 500, a 503 or a dropped
connection (before or after moto applied the request). Both runs must succeed, report the same
changes, and leave the same resources behind, compared resource by resource.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import (
    ACCESS_KEY,
    AUTH_DIRS,
    DEFAULT_ACCOUNT,
    ESTATE_ACCOUNTS,
    PLAYBOOKS,
    ROOT,
    SECRET_KEY,
    Ansible,
    Emulators,
    auth_file_state,
    client,
    configure_inventory,
    create_consumer_roles,
    differences,
    dump_state,
    put_image,
    recap,
    remember_account_secrets,
)
from faultproxy import TRANSIENT_KINDS

ACCOUNT_B = "111111111111"
PREFIX = "reliability"
SEED = 20251125
FAULT_RATE = 0.2
# The retry budget of the faulty runs (botocore's total attempts per call; see docs/reliability.md).
BUDGET = {"AWS_MAX_ATTEMPTS": "10", "AWS_RETRY_MODE": "standard"}
MANIFEST = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2, "digest": "sha256:" + "4" * 64},
    "layers": [],
}


def seed_images(endpoint: str) -> None:
    """A repository that holds two images before the playbook runs (phase 2 deletes it with force)."""
    ecr = client(endpoint, "ecr")
    ecr.create_repository(repositoryName=f"{PREFIX}/legacy")
    for index, tag in enumerate(("1.0", "1.1")):
        put_image(ecr, f"{PREFIX}/legacy", dict(MANIFEST, annotations={"index": str(index)}), tag)


def start_modules_run(ansible, endpoint: str, name: str, auth_dir: Path, env: dict | None = None):
    AUTH_DIRS.append(auth_dir)
    return ansible.start(
        PLAYBOOKS / "modules.yml",
        name,
        extra_vars={
            "aws_endpoint_url": endpoint,
            "aws_access_key": ACCESS_KEY,
            "aws_secret_key": SECRET_KEY,
            "account_b": ACCOUNT_B,
            "prefix": PREFIX,
            "auth_dir": str(auth_dir),
            "host_a": "registry-a.reliability.test:5000",
            "host_b": "registry-b.reliability.test:5000",
            "results_file": str(auth_dir.parent / f"{name}.results.json"),
        },
        env=env,
        args=("--diff",),  # diffs too must hold no secret (test_secrets.py scans this output)
    )


def auth_files(auth_dir: Path) -> dict:
    return {kind: auth_file_state(auth_dir / kind / file) for kind, file in (("docker", "config.json"), ("containers", "auth.json"))}  # fmt: skip


def fault_summary(requests: list[dict]) -> Counter:
    return Counter(r["fault"] for r in requests if r["fault"])


WRITES = [
    "CreateRepository", "DeleteRepository", "PutImageTagMutability", "PutImageScanningConfiguration",
    "TagResource", "UntagResource", "SetRepositoryPolicy", "DeleteRepositoryPolicy", "PutRegistryPolicy",
    "PutLifecyclePolicy", "DeleteLifecyclePolicy",
]  # fmt: skip


@pytest.fixture(scope="module")
def module_runs(tmp_path_factory):
    """modules.yml three times at once: fault-free, with 20% faults, and with every write's first answer lost."""
    remember_account_secrets(DEFAULT_ACCOUNT, ACCOUNT_B)
    base = tmp_path_factory.mktemp("module-runs")
    emulators = Emulators(base)
    ansible = Ansible(base / "ansible")
    try:
        servers = {name: emulators.moto() for name in ("clean", "faults", "lost")}
        proxies = {
            "clean": emulators.proxy(servers["clean"].url),  # no faults: counts the requests
            "faults": emulators.proxy(
                servers["faults"].url, rate=FAULT_RATE, seed=SEED, faults=list(TRANSIENT_KINDS), services=["ecr", "sts"]
            ),
            "lost": emulators.proxy(
                servers["lost"].url, rate=1.0, faults=["drop_after"], operations=WRITES, limit=1, services=["ecr"]
            ),
        }
        for server in servers.values():
            seed_images(server.url)
        runs = {name: start_modules_run(ansible, proxies[name].url, f"modules-{name}", base / name / "auth", BUDGET) for name in servers}  # fmt: skip
        results = {}
        for name, run in runs.items():
            run.wait()
            results_file = base / name / f"modules-{name}.results.json"
            results[name] = {
                "run": run,
                "requests": proxies[name].harvest()["requests"],
                "results": json.loads(results_file.read_text()) if results_file.exists() else None,
                "state": dump_state(servers[name].url, [DEFAULT_ACCOUNT, ACCOUNT_B]),
                "auth": auth_files(base / name / "auth"),
            }
        yield results
    finally:
        emulators.close()


def check_like_the_fault_free_run(module_runs: dict, name: str) -> None:
    reference, run = module_runs["clean"], module_runs[name]
    faults = dict(fault_summary(run["requests"]))
    assert reference["run"].rc == 0, f"the fault-free run failed:\n{reference['run'].tail()}"
    assert run["run"].rc == 0, f"the run with faults {faults} failed:\n{run['run'].tail()}"
    # The same changes were reported, and the second pass of phase 2 changed nothing.
    assert run["results"] == reference["results"]
    second = reference["results"]["phase2"]["pass2"]
    assert not any(second["repos"]) and not any(v for k, v in second.items() if k not in ("repos", "info"))
    # The same resources, resource by resource, and the same logins in the auth files.
    assert differences(reference["state"], run["state"]) == []
    assert run["auth"] == reference["auth"]
    print(f"{name}: {run['run'].seconds:.0f}s (fault-free {reference['run'].seconds:.0f}s), faults {faults}")


def test_modules_playbook_under_faults_ends_like_a_fault_free_run(module_runs):
    """20% of the ECR and STS requests: throttled, 500, 503, dropped before or after moto applied them."""
    check_like_the_fault_free_run(module_runs, "faults")
    requests = module_runs["faults"]["requests"]
    faults = fault_summary(requests)
    # The playbook makes its requests in the same order every time, so the seeded faults are the same
    # every time: some of each kind (drop_after on writes is covered for sure by the next test).
    assert set(faults) == set(TRANSIENT_KINDS), f"not every fault kind was injected: {dict(faults)}"


def test_every_write_survives_losing_its_first_answer(module_runs):
    """The first call of every write operation is applied by moto and its answer lost.

    Deterministic where the 20% run is statistical: botocore's retry meets the effect of the first
    attempt (CreateRepository: RepositoryAlreadyExistsException, DeleteRepository:
    RepositoryNotFoundException, ...), and the modules must still end in the right state.
    """
    lost = sorted({r["operation"] for r in module_runs["lost"]["requests"] if r["fault"] == "drop_after"})
    assert set(lost) == set(WRITES), f"these writes were never made: {sorted(set(WRITES) - set(lost))}"
    check_like_the_fault_free_run(module_runs, "lost")


def test_the_retry_budget_is_botocores_and_configurable(emulators, ansible, tmp_path):
    """Throttled without end, a call is tried as often as botocore's budget says, then fails naming the error.

    The default (standard mode, 3 attempts), AWS_MAX_ATTEMPTS in the environment, and the amazon.aws
    option aws_config (botocore's Config: retries.total_max_attempts) all set it.
    """
    server = emulators.moto()
    proxy = emulators.proxy(server.url, rate=1.0, faults=["throttle"], services=["ecr"])
    run = ansible.run(
        PLAYBOOKS / "budget.yml",
        "budget",
        extra_vars={
            "aws_endpoint_url": proxy.url,
            "aws_access_key": ACCESS_KEY,
            "aws_secret_key": SECRET_KEY,
            "mark_url": f"{proxy.url}/__faultproxy__/mark?name=",
            "results_file": str(tmp_path / "results.json"),
        },
    )
    assert run.rc == 0, run.tail()
    results = json.loads((tmp_path / "results.json").read_text())
    requests = proxy.harvest()["requests"]
    attempts = {mark: len([r for r in requests if r["mark"] == mark]) for mark in results}
    assert attempts == {"default": 3, "environment": 5, "aws_config": 2}
    for mark, result in results.items():
        assert result["failed"] is True
        assert "ThrottlingException" in result["msg"] and "Rate exceeded" in result["msg"], result["msg"]
    assert results["default"]["msg"].startswith("Failed to list the repositories")
    assert results["aws_config"]["msg"].startswith("Failed to describe repository 'budget/app'")
    assert client(server.url, "ecr").describe_repositories()["repositories"] == []


CONFIGURE = ROOT / "playbooks" / "configure.yml"


@pytest.mark.skipif(
    not all(path.exists() for path in (CONFIGURE, ROOT / "roles" / "repositories", ROOT / "roles" / "remote_access")),
    reason="playbooks/configure.yml or the repositories and remote_access roles are not in the collection yet",
)
def test_configure_under_faults_ends_like_a_fault_free_run(emulators, ansible, tmp_path):
    """configure.yml on three accounts (registry, two consumers) with 20% faults in ECR, STS and IAM."""
    remember_account_secrets(*ESTATE_ACCOUNTS)
    clean, faulty = emulators.moto(), emulators.moto()
    counting = emulators.proxy(clean.url)
    proxy = emulators.proxy(
        faulty.url, rate=FAULT_RATE, seed=SEED + 1, faults=list(TRANSIENT_KINDS), services=["ecr", "sts", "iam"]
    )
    for server in (clean, faulty):
        create_consumer_roles(server.url)
    reference = ansible.start(
        CONFIGURE, "configure-fault-free", inventory=str(configure_inventory(tmp_path / "clean.json", counting.url)),
        env=BUDGET,
    )  # fmt: skip
    run = ansible.start(
        CONFIGURE, "configure-faults", inventory=str(configure_inventory(tmp_path / "faulty.json", proxy.url)),
        env=BUDGET,
    )  # fmt: skip
    reference.wait()
    run.wait()
    requests = proxy.harvest()["requests"]
    counting.harvest()
    faults = fault_summary(requests)
    assert reference.rc == 0, f"the fault-free run failed:\n{reference.tail()}"
    assert run.rc == 0, f"the run with {FAULT_RATE:.0%} faults failed ({dict(faults)}):\n{run.tail()}"
    # Forks interleave the accounts' requests differently each time, so which request gets which fault varies.
    assert faults, "no fault was injected"
    assert {host: c["changed"] for host, c in recap(run).items()} == {
        host: c["changed"] for host, c in recap(reference).items()
    }
    assert differences(dump_state(clean.url, ESTATE_ACCOUNTS), dump_state(faulty.url, ESTATE_ACCOUNTS)) == []
    print(f"configure: fault-free {reference.seconds:.0f}s, faulty {run.seconds:.0f}s; faults: {dict(faults)}")


PUBLISH = ROOT / "playbooks" / "publish.yml"
PUBLISH_ACCOUNTS = [DEFAULT_ACCOUNT, ACCOUNT_B]


def publish_inventory(path: Path, stack, endpoint: str) -> Path:
    hosts = {}
    for name, account in (("registry-a", DEFAULT_ACCOUNT), ("registry-b", ACCOUNT_B)):
        hosts[name] = {"aws_account_id": account, "aws_region": "us-east-1", "ecr_registry_host": stack.host(account)}
        if account != DEFAULT_ACCOUNT:
            hosts[name]["aws_role_arn"] = f"arn:aws:iam::{account}:role/dockyard-ecr-publish"
    inventory = {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
                "aws_endpoint_url": endpoint,
                "aws_access_key": ACCESS_KEY,
                "aws_secret_key": SECRET_KEY,
            },
            "children": {"registries": {"hosts": hosts}},
        }
    }
    path.write_text(json.dumps(inventory, indent=1))
    return path


def private_storage(base: Path) -> dict:
    """podman's image store for one run, away from the machine's (and the other run's)."""
    conf = base / "storage.conf"
    base.mkdir(parents=True, exist_ok=True)
    conf.write_text(f'[storage]\ndriver = "vfs"\ngraphroot = "{base / "root"}"\nrunroot = "{base / "runroot"}"\n')
    return {"CONTAINERS_STORAGE_CONF": str(conf), "BUILDAH_ISOLATION": "chroot"}


@pytest.mark.skipif(
    not (PUBLISH.exists() and (ROOT / "roles" / "publish" / "tasks" / "main.yml").exists()),
    reason="playbooks/publish.yml or the publish role is not in the collection yet",
)
@pytest.mark.skipif(not shutil.which("podman"), reason="podman is not installed (the publish role builds with it)")
def test_publish_under_faults_ends_like_a_fault_free_run(emulators, localaws, ansible, tmp_path):
    """publish.yml to two accounts' registries with 20% faults in the ECR and STS APIs."""
    remember_account_secrets(*PUBLISH_ACCOUNTS)
    context = tmp_path / "context"
    context.mkdir()
    (context / "hello.txt").write_text("published under faults\n")
    (context / "Containerfile").write_text("FROM scratch\nCOPY hello.txt /hello.txt\n")
    runs = {}
    stacks = {}
    for name, faults in (("clean", None), ("faulty", FAULT_RATE)):
        stack = stacks[name] = localaws(PUBLISH_ACCOUNTS, name)
        AUTH_DIRS.append(tmp_path / name / "auth")
        if faults:
            proxy = emulators.proxy(stack.moto_url, rate=faults, seed=SEED + 2, faults=list(TRANSIENT_KINDS), services=["ecr", "sts"])  # fmt: skip
        else:
            proxy = emulators.proxy(stack.moto_url)
        runs[name] = (
            proxy,
            ansible.start(
                PUBLISH,
                f"publish-{name}",
                inventory=str(publish_inventory(tmp_path / f"{name}.json", stack, proxy.url)),
                extra_vars={
                    "publish_repository": "reliability/app",
                    "publish_context": str(context),
                    "publish_version": "1.0.0",
                    "publish_extra_tags": ["v1"],
                    "publish_source_date_epoch": 0,
                    "publish_podman_auth_file": str(tmp_path / name / "auth" / "auth.json"),
                },
                env={**BUDGET, **private_storage(tmp_path / name / "storage")},
            ),
        )
    for proxy, run in runs.values():
        run.wait()
    requests = runs["faulty"][0].harvest()["requests"]
    runs["clean"][0].harvest()
    faults = fault_summary(requests)
    reference, run = runs["clean"][1], runs["faulty"][1]
    assert reference.rc == 0, f"the fault-free run failed:\n{reference.tail()}"
    assert run.rc == 0, f"the run with {FAULT_RATE:.0%} faults failed ({dict(faults)}):\n{run.tail()}"
    assert faults, "no fault was injected"
    assert {h: c["changed"] for h, c in recap(run).items()} == {h: c["changed"] for h, c in recap(reference).items()}
    expected = dump_state(stacks["clean"].moto_url, PUBLISH_ACCOUNTS)
    actual = dump_state(stacks["faulty"].moto_url, PUBLISH_ACCOUNTS)
    assert differences(expected, actual) == []
    images = {key: value["images"] for key, value in actual.items() if " ecr repository " in key}
    assert all(len(tags) == 1 and sorted(tags[0][1]) == ["1.0.0", "latest", "v1"] for tags in images.values()), images
    print(f"publish: fault-free {reference.seconds:.0f}s, faulty {run.seconds:.0f}s; faults: {dict(faults)}")
