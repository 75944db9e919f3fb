# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/configure.yml under AWX job slicing, and at fleet scale, through ansible-runner.

AWX job slicing runs a job as N jobs: slice k of N holds the hosts ``hosts[k-1::N]`` (sorted by name)
and only the inventory-level variables plus the variables of its own hosts. The estate
(``ecr_registries``) is inventory-level data, so every slice sees all of it, and no host reads another
host's variables: whatever the slicing, the run must end in exactly the AWS state of one unsliced run.
Each scenario converges its own set of accounts (moto keeps accounts apart), from empty, on one
emulator, and the states are compared through boto3 with the account IDs replaced by their roles.

The fleet test converges 100 repositories granted to 10 consumer accounts, then runs again and
counts, with bench/countproxy.py between the job and moto, that the second run writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

boto3 = pytest.importorskip("boto3")

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REGION = "eu-west-1"
ROLE = "arn:aws:iam::{account}:role/dockyard-ecr-automation"
WRITE = re.compile(
    r"^(ecr:(?!Describe|Get|List|BatchGet|BatchCheck)|iam:(Put|Create|Delete|Attach|Detach|Update|Tag|Untag))"
)
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
JOB_TIMEOUT = 600

# pylint: disable=wrong-import-position
from support import Emulator, age_images  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support.runner import runner_command  # noqa: E402


def accounts(scenario: int) -> dict:
    """The accounts of one scenario: {"reg-a": id, "reg-b": id, "cons-1": id, ...}, distinct per scenario."""
    names = ["reg-a", "reg-b", "cons-1", "cons-2", "cons-3"]
    return {name: f"{scenario + 1}{index + 1:011d}" for index, name in enumerate(names)}


def estate(ids: dict) -> dict:
    """The inventory of one scenario: two registry accounts, three consumers; grants to accounts and to one role."""
    registries = [
        {
            "name": "a",
            "account_id": ids["reg-a"],
            "region": REGION,
            "repository_defaults": {"image_tag_mutability": "immutable", "pull": [ids["cons-1"], ids["cons-2"]]},
            "repositories": [
                {"name": "team/api", "push": [ids["cons-3"]]},
                {"name": "team/worker"},
                {"name": "etl/job", "pull": [f"arn:aws:iam::{ids['cons-2']}:role/etl-runner"]},
            ],
        },
        {
            "name": "b",
            "account_id": ids["reg-b"],
            "region": REGION,
            "repositories": [
                {"name": "base/debian", "pull": [ids["cons-1"], ids["cons-2"], ids["cons-3"]], "scan_on_push": True},
                {"name": "base/tools", "push": [ids["cons-3"]], "pull": [ids["cons-1"]]},
            ],
        },
    ]
    roles = {
        "cons-1": [{"name": "ecsTaskExecutionRole"}],
        "cons-2": [{"name": "ecsTaskExecutionRole"}, {"name": "etl-runner"}],
        "cons-3": [{"name": "codebuild-ci", "access": "push"}, {"name": "ci-tests", "repositories": ["base/debian"]}],
    }
    hostvars = {}
    for host, account in ids.items():
        hostvars[host] = {"aws_account_id": account, "aws_region": REGION, "aws_role_arn": ROLE.format(account=account)}
        if host in roles:
            hostvars[host]["remote_access_roles"] = roles[host]
    hostvars["cons-1"]["configure_registries"] = ["a", "b"]
    return {
        "vars": {
            "ansible_connection": "local",
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            "ecr_registries": registries,
        },
        "groups": {"registries": ["reg-a", "reg-b"], "consumers": ["cons-1", "cons-2", "cons-3"]},
        "hostvars": hostvars,
        "roles": roles,
    }


def slice_inventory(data: dict, k: int, n: int) -> dict:
    """What AWX's inventory script prints for slice k of n: hosts[k-1::n] (sorted by name), inventory-level
    variables and those hosts' own variables only."""
    hosts = sorted(data["hostvars"])[k - 1 :: n]
    groups = {group: [h for h in members if h in hosts] for group, members in data["groups"].items()}
    return {
        "all": {"children": list(groups) + ["ungrouped"], "vars": data["vars"]},
        **{group: {"hosts": members} for group, members in groups.items()},
        "ungrouped": {"hosts": []},
        "_meta": {"hostvars": {h: data["hostvars"][h] for h in hosts}},
    }


def run_job(base: Path, inventory: dict, ident: str, endpoint: str, cmdline: str = "") -> dict:
    """One AWX job (`ansible-runner run`) of playbooks/configure.yml; its status, rc and PLAY RECAP stats."""
    pdd = base / ident
    (pdd / "project").mkdir(parents=True)
    shutil.copytree(ROOT / "playbooks", pdd / "project" / "playbooks")
    (pdd / "inventory").mkdir()
    script = pdd / "inventory" / "hosts"
    script.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        f"INVENTORY = json.loads({json.dumps(json.dumps(inventory))})\n"
        "print(json.dumps(INVENTORY if '--list' in sys.argv else {}))\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    (pdd / "env").mkdir()
    envvars = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": endpoint,
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".build" / "collections"),
        "ANSIBLE_FORCE_COLOR": "False",
    }
    (pdd / "env" / "envvars").write_text(yaml.safe_dump(envvars))
    (pdd / "env" / "settings").write_text(yaml.safe_dump({"job_timeout": JOB_TIMEOUT, "idle_timeout": 300}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(
        [runner_command(), "run", str(pdd), "-p", "playbooks/configure.yml", "--ident", ident, "--forks", "10"]
        + (["--cmdline", cmdline] if cmdline else []),
        env=env,
        capture_output=True,
        text=True,
        timeout=JOB_TIMEOUT + 60,
        check=False,
    )
    artifacts = pdd / "artifacts" / ident
    events = [json.loads(p.read_text()) for p in (artifacts / "job_events").glob("*.json")]
    stats = [e["event_data"] for e in events if e["event"] == "playbook_on_stats"]
    return {
        "status": (artifacts / "status").read_text().strip() if (artifacts / "status").exists() else "missing",
        "stats": stats[-1] if stats else {},
        "output": result.stdout[-8000:] + result.stderr[-2000:],
    }


# ------------------------------------------------------------------------------------ state


def normalise(text: str, ids: dict) -> str:
    for name, account in ids.items():
        text = text.replace(account, f"<{name}>")
    return text


def state(emulator: Emulator, data: dict, ids: dict) -> dict:
    """What a platform team would check: repositories with settings and policies, IAM policies of the roles."""
    found = {}
    for host in data["groups"]["registries"]:
        ecr = emulator.client("ecr", ids[host])
        for repo in ecr.describe_repositories()["repositories"]:
            name = repo["repositoryName"]
            try:
                policy = json.loads(ecr.get_repository_policy(repositoryName=name)["policyText"])
                policy["Statement"] = sorted(policy["Statement"], key=lambda s: s.get("Sid", ""))
            except ecr.exceptions.RepositoryPolicyNotFoundException:
                policy = None
            found[f"{host} {name}"] = {
                "mutability": repo["imageTagMutability"],
                "scan": repo["imageScanningConfiguration"]["scanOnPush"],
                "policy": policy,
            }
    for host, roles in data["roles"].items():
        iam = emulator.client("iam", ids[host])
        for role in roles:
            names = iam.list_role_policies(RoleName=role["name"])["PolicyNames"]
            found[f"{host} {role['name']}"] = {
                name: iam.get_role_policy(RoleName=role["name"], PolicyName=name)["PolicyDocument"] for name in names
            } | {
                "attached": sorted(
                    p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=role["name"])["AttachedPolicies"]
                )
            }
    return json.loads(normalise(json.dumps(found, sort_keys=True), ids))


def make_roles(emulator: Emulator, data: dict, ids: dict) -> None:
    for host, roles in data["roles"].items():
        iam = emulator.client("iam", ids[host])
        for role in roles:
            iam.create_role(RoleName=role["name"], AssumeRolePolicyDocument=TRUST)


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def emulator(module_emulator_factory):
    return module_emulator_factory(["123456789012"], region=REGION)


@pytest.fixture(scope="module")
def proxy(emulator, tmp_path_factory):
    """bench/countproxy.py between the jobs and moto: counts every API call by operation."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(  # pylint: disable=consider-using-with
        [
            sys.executable,
            str(ROOT / "bench" / "countproxy.py"),
            "--listen",
            f"127.0.0.1:{port}",
            "--upstream",
            emulator.endpoint,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _attempt in range(100):
        try:
            urllib.request.urlopen(f"{url}/__bench__/health", timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


def counts(proxy: str, reset: bool = False) -> dict:
    if reset:
        urllib.request.urlopen(urllib.request.Request(f"{proxy}/__bench__/reset", data=b"", method="POST"), timeout=10)
        return {}
    with urllib.request.urlopen(f"{proxy}/__bench__/counts", timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def unsliced(emulator, tmp_path_factory):
    ids = accounts(0)
    data = estate(ids)
    make_roles(emulator, data, ids)
    inventory = slice_inventory(data, 1, 1)
    job = run_job(tmp_path_factory.mktemp("unsliced"), inventory, "unsliced", emulator.endpoint)
    assert job["status"] == "successful", job["output"]
    return state(emulator, data, ids)


# ------------------------------------------------------------------------------------ tests


def test_unsliced_run_grants_both_sides(unsliced):
    """The reference is not empty: both registries' policies and the IAM policies hold the grants."""
    api = unsliced["reg-a team/api"]["policy"]
    assert {s["Sid"] for s in api["Statement"]} == {"DockyardPull", "DockyardPush"}
    etl = json.dumps(unsliced["cons-2 etl-runner"])
    assert "repository/etl/job" in etl and "repository/team/api" in etl
    # The role-ARN grant reaches etl-runner only, not the account's other role.
    assert "repository/etl/job" not in json.dumps(unsliced["cons-2 ecsTaskExecutionRole"])
    assert "EcrPush" in json.dumps(unsliced["cons-3 codebuild-ci"])
    assert json.dumps(unsliced["cons-3 ci-tests"]).count("repository/") == 1


@pytest.mark.parametrize("n", [2, 3, 5])
def test_sliced_run_ends_in_the_unsliced_state(n, emulator, unsliced, tmp_path):
    ids = accounts(n)
    data = estate(ids)
    make_roles(emulator, data, ids)
    # AWX starts the slices of a job together.
    with ThreadPoolExecutor(max_workers=n) as pool:
        jobs = list(
            pool.map(
                lambda k: run_job(tmp_path, slice_inventory(data, k, n), f"slice-{k}-of-{n}", emulator.endpoint),
                range(1, n + 1),
            )
        )
    for job in jobs:
        assert job["status"] == "successful", job["output"]
    assert state(emulator, data, ids) == unsliced


def test_slice_without_registry_data_leaves_grants_alone(emulator, unsliced, tmp_path):
    """A slice whose consumer cannot see ecr_registries (here: the variable is missing) removes nothing."""
    ids = accounts(0)
    data = estate(ids)
    inventory = slice_inventory(data, 1, 1)
    inventory["all"]["vars"] = {k: v for k, v in inventory["all"]["vars"].items() if k != "ecr_registries"}
    inventory["registries"]["hosts"] = []
    job = run_job(tmp_path, inventory, "invisible", emulator.endpoint)
    assert job["status"] == "successful", job["output"]
    assert "not visible" in job["output"]
    assert state(emulator, data, ids) == unsliced


def test_unknown_configure_registry_fails_before_any_write(emulator, proxy, tmp_path):
    ids = accounts(0)
    data = estate(ids)
    data["hostvars"]["cons-1"]["configure_registries"] = ["a", "typo"]
    inventory = slice_inventory(data, 1, 1)
    counts(proxy, reset=True)
    job = run_job(tmp_path, inventory, "typo", proxy)
    assert job["status"] == "failed"
    assert "typo is not the name of a registry" in job["output"]
    assert job["stats"]["failures"] == {"cons-1": 1}


def test_fleet_100_repositories_10_consumers_second_run_writes_nothing(emulator, proxy, tmp_path):
    consumers = {f"consumer-{i:02d}": f"9{i:011d}" for i in range(1, 11)}
    registry = "900000000000"
    repositories = [{"name": f"fleet/app-{i:03d}"} for i in range(100)]
    data = {
        "vars": {
            "ansible_connection": "local",
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            "ecr_registries": [
                {
                    "name": "fleet",
                    "account_id": registry,
                    "region": REGION,
                    "repository_defaults": {"pull": sorted(consumers.values()), "image_tag_mutability": "immutable"},
                    "repositories": repositories,
                }
            ],
        },
        "groups": {"registries": ["registry"], "consumers": sorted(consumers)},
        "hostvars": {
            "registry": {
                "aws_account_id": registry,
                "aws_region": REGION,
                "aws_role_arn": ROLE.format(account=registry),
            }
        },
        "roles": {host: [{"name": "ecsTaskExecutionRole"}] for host in consumers},
    }
    for host, account in consumers.items():
        data["hostvars"][host] = {
            "aws_account_id": account,
            "aws_region": REGION,
            "aws_role_arn": ROLE.format(account=account),
            "remote_access_roles": [{"name": "ecsTaskExecutionRole"}],
        }
    ids = {"registry": registry, **consumers}
    make_roles(emulator, data, ids)
    inventory = slice_inventory(data, 1, 1)
    first = run_job(tmp_path, inventory, "fleet-1", proxy)
    assert first["status"] == "successful", first["output"]
    assert set(first["stats"]["changed"]) == set(ids)
    converged = state(emulator, data, ids)
    assert len([k for k in converged if k.startswith("registry ")]) == 100
    document = json.dumps(converged["consumer-01 ecsTaskExecutionRole"])
    assert "repository/fleet/*" in document or document.count("repository/fleet/app-") == 100
    counts(proxy, reset=True)
    second = run_job(tmp_path, inventory, "fleet-2", proxy)
    assert second["status"] == "successful", second["output"]
    assert not second["stats"]["changed"], second["stats"]
    calls = counts(proxy)
    writes = {op: n for op, n in calls.items() if WRITE.match(op)}
    assert writes == {}, writes
    check = run_job(tmp_path, inventory, "fleet-check", proxy, cmdline="--check --diff")
    assert check["status"] == "successful" and not check["stats"]["changed"], check["output"]


def test_check_mode_plan_shows_what_the_lifecycles_would_expire(emulator, tmp_path):
    """configure.yml --check ends with a plan per account that says how many images and bytes the lifecycle
    policies would expire, per repository (issue 13); a policy that would leave a repository no tagged image is
    refused by default (issue 19) and needs max_expire_percent: 100. Nothing is written."""
    registry = "970000000000"
    week = [{"priority": 1, "tag_status": "any", "count_type": "since_image_pushed", "count": 7}]
    data = {
        "vars": {
            "ansible_connection": "local",
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            "ecr_registries": [
                {
                    "name": "plan",
                    "account_id": registry,
                    "region": REGION,
                    "repositories": [
                        {"name": "team/old", "lifecycle": {"rules": week, "max_expire_percent": 100}},
                        {"name": "team/untagged", "lifecycle": {"expire_untagged_after_days": 1}},
                    ],
                }
            ],
        },
        "groups": {"registries": ["registry"], "consumers": []},
        "hostvars": {
            "registry": {
                "aws_account_id": registry,
                "aws_region": REGION,
                "aws_role_arn": ROLE.format(account=registry),
            }
        },
    }
    ecr = emulator.client("ecr", registry)
    for repository, tags in (("team/old", ["v1", "v2", None]), ("team/untagged", ["v1", None])):
        ecr.create_repository(repositoryName=repository)
        for index, tag in enumerate(tags):
            manifest = json.dumps(
                {
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {
                        "mediaType": "application/vnd.oci.image.config.v1+json",
                        "digest": f"sha256:{index:064d}",
                        "size": 1000 * (index + 1),
                    },
                    "layers": [],
                }
            )
            digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
            ecr.put_image(
                repositoryName=repository,
                imageManifest=manifest,
                imageDigest=digest,
                **({"imageTag": tag} if tag else {}),
            )
        assert age_images(ecr, repository, days=30)[0] == 200
    job = run_job(tmp_path, slice_inventory(data, 1, 1), "lifecycle-plan", emulator.endpoint, cmdline="--check --diff")
    assert job["status"] == "successful", job["output"]
    assert (
        "lifecycle policies would expire 4 images (8.0 kB): team/old 3 (6.0 kB), team/untagged 1 (2.0 kB)"
        in job["output"]
    ), job["output"]
    for repository in ("team/old", "team/untagged"):
        with pytest.raises(ecr.exceptions.LifecyclePolicyNotFoundException):
            ecr.get_lifecycle_policy(repositoryName=repository)
    # Without max_expire_percent: 100, the policy that empties team/old of tagged images is refused.
    data["vars"]["ecr_registries"][0]["repositories"][0]["lifecycle"].pop("max_expire_percent")
    job = run_job(
        tmp_path, slice_inventory(data, 1, 1), "lifecycle-refused", emulator.endpoint, cmdline="--check --diff"
    )
    assert job["status"] == "failed"
    assert "would expire all 2 tagged images of repository 'team/old'" in job["output"], job["output"]
