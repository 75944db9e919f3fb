# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/configure.yml and playbooks/publish.yml run through ansible-runner the way AWX runs a job.

AWX hands a job to an execution node as a private data directory: the project checkout under
`project/`, the inventory under `inventory/` (a script printing JSON, as AWX writes it), the survey
answers and extra variables in `env/extravars`, and the credentials in `env/envvars`, where an
"Amazon Web Services" credential injects AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, when it has
one, AWS_SECURITY_TOKEN. The controller streams that directory with `ansible-runner transmit`, the
execution node runs it with `ansible-runner worker` and the controller turns the stream into job
events and artifacts with `ansible-runner process`. This test runs the same three commands against
the local emulator (tools/localaws: moto, one TLS registry per account, the push bridge), with an
inventory of three accounts: two registry accounts (the second reached by assuming a role in it)
and one consumer account, and checks the job's status, its events, what landed in ECR and IAM, and
that no secret appears in any event or in the job's output.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import sys
import time
from pathlib import Path

import pytest
import yaml

boto3 = pytest.importorskip("boto3")

# pylint: disable=wrong-import-position
from support import Emulator  # noqa: E402
from support.runner import run_awx_job  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
REGISTRY = "123456789012"  # moto's default account: the credentials' own
SECOND_REGISTRY = "210987654321"  # reached through aws_role_arn
CONSUMER = "111111111111"  # pulls; gets IAM permissions
CONSUMER_ROLE = "ecsTaskExecutionRole"
REPOSITORY = "dockyard/runner-app"
# What an AWX "Amazon Web Services" credential would hold. moto accepts any keys (an unknown access
# key acts in its default account), so the secret can be distinctive enough to search for.
ACCESS_KEY = "AKIADOCKYARDRUNNER01"
SECRET_KEY = "dockyardRunnerTest/Secret+Key/9f3a61c07e2b4d58"
SECURITY_TOKEN = "dockyardRunnerTestSecurityToken7c1e0b9a24f6"
JOB_TIMEOUT = 600
# Every repository to a second region of the main registry; the runner-app repository to the consumer account.
SECOND_REGION = "us-west-2"
REPLICATION = [
    {"destinations": [{"region": SECOND_REGION}]},
    {"destinations": [{"region": REGION, "registry_id": CONSUMER}], "repository_filters": [{"prefix": REPOSITORY}]},
]


@pytest.fixture(scope="module")
def emulator(module_emulator_factory):
    stack = module_emulator_factory([REGISTRY, SECOND_REGISTRY], region=REGION)
    # The consumer account's ECS task execution role exists before the platform team grants it access.
    stack.client("iam", CONSUMER).create_role(
        RoleName=CONSUMER_ROLE,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    return stack


# ------------------------------------------------------------------------------------ the AWX job


def inventory(emulator: Emulator) -> dict:
    """What AWX's inventory script prints for an inventory of accounts (hosts with their variables)."""
    role = "arn:aws:iam::{account}:role/dockyard-ecr-automation"
    return {
        "all": {
            "children": ["registries", "consumers", "ungrouped"],
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                # The estate, where every host of every slice sees it: both registry accounts hold the same
                # repositories.
                "ecr_registries": [
                    {
                        "name": name,
                        "account_id": account,
                        "region": REGION,
                        "repository_defaults": {
                            "image_tag_mutability": "immutable",
                            "scan_on_push": True,
                            "lifecycle": {"expire_untagged_after_days": 7, "keep_last": 30},
                        },
                        "repositories": [
                            {"name": REPOSITORY, "pull": [CONSUMER], "tags": {"team": "platform"}},
                            {"name": "dockyard/runner-base", "pull": [CONSUMER], "image_tag_mutability": "mutable"},
                        ],
                        # The main registry replicates (configure.yml: ecr_replication here, the statement that
                        # allows it in the consumer's registry policy); the emulator performs the copies.
                        **({"replication": REPLICATION} if account == REGISTRY else {}),
                    }
                    for name, account in (("main", REGISTRY), ("second", SECOND_REGISTRY))
                ],
            },
        },
        "registries": {"hosts": ["registry-eu-west-1", "registry-b-eu-west-1"]},
        "consumers": {"hosts": ["prod-eu-west-1"]},
        "ungrouped": {"hosts": []},
        "_meta": {
            "hostvars": {
                "registry-eu-west-1": {
                    "aws_account_id": REGISTRY,
                    "aws_region": REGION,
                    "ecr_registry_host": emulator.host(REGISTRY),
                },
                "registry-b-eu-west-1": {
                    "aws_account_id": SECOND_REGISTRY,
                    "aws_region": REGION,
                    "aws_role_arn": role.format(account=SECOND_REGISTRY),
                    "ecr_registry_host": emulator.host(SECOND_REGISTRY),
                },
                "prod-eu-west-1": {
                    "aws_account_id": CONSUMER,
                    "aws_region": REGION,
                    "aws_role_arn": role.format(account=CONSUMER),
                    "remote_access_roles": [{"name": CONSUMER_ROLE}],
                },
            }
        },
    }


def private_data_dir(base: Path, emulator: Emulator, extravars: dict) -> Path:
    """A private data directory as AWX lays it out for a job."""
    pdd = base / "job"
    project = pdd / "project"
    # The project: this repository's checkout (its playbooks and the example application).
    for folder in ("playbooks", "examples"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, project / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (pdd / "inventory").mkdir(parents=True)
    script = pdd / "inventory" / "hosts"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"INVENTORY = json.loads({json.dumps(json.dumps(inventory(emulator)))})\n"
        "print(json.dumps(INVENTORY if '--list' in sys.argv else {}))\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    (pdd / "env").mkdir()
    (pdd / "env" / "extravars").write_text(yaml.safe_dump(extravars))
    # The execution environment has dockyard.ecr installed; here it resolves to this checkout.
    collections = base / "collections"
    (collections / "ansible_collections" / "dockyard").mkdir(parents=True)
    (collections / "ansible_collections" / "dockyard" / "ecr").symlink_to(ROOT, target_is_directory=True)
    envvars = {
        # the "Amazon Web Services" credential type
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_SECURITY_TOKEN": SECURITY_TOKEN,
        # the emulator instead of AWS (a custom credential type or the job template's environment)
        "AWS_ENDPOINT_URL": emulator.endpoint,
        # the execution environment
        "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join([str(collections), str(ROOT / ".build" / "collections")]),
        "REGISTRY_AUTH_FILE": str(base / "auth" / "auth.json"),
        "DOCKER_CONFIG": str(base / "docker"),
        "ANSIBLE_FORCE_COLOR": "False",
    }
    (pdd / "env" / "envvars").write_text(yaml.safe_dump(envvars))
    (pdd / "env" / "settings").write_text(yaml.safe_dump({"job_timeout": JOB_TIMEOUT, "idle_timeout": 300}))
    return pdd


class Job:
    """A finished job: the artifacts `ansible-runner process` wrote, as AWX keeps them."""

    def __init__(self, pdd: Path, ident: str, output: str):
        self.dir = pdd / "artifacts" / ident
        self.output = output
        self.status = (self.dir / "status").read_text().strip() if (self.dir / "status").exists() else "missing"
        self.rc = (self.dir / "rc").read_text().strip() if (self.dir / "rc").exists() else "missing"
        files = sorted((self.dir / "job_events").glob("*.json"), key=lambda p: int(p.name.split("-", 1)[0]))
        self.event_files = files
        self.events = [json.loads(path.read_text()) for path in files]

    @property
    def stats(self) -> dict:
        found = [event["event_data"] for event in self.events if event["event"] == "playbook_on_stats"]
        assert found, "no playbook_on_stats event"
        return found[-1]

    def ok_results(self, action: str) -> list:
        return [
            event["event_data"]
            for event in self.events
            if event["event"] == "runner_on_ok" and event["event_data"].get("resolved_action") == action
        ]

    def describe(self) -> str:
        failed = [
            json.dumps(event["event_data"].get("res", {}), indent=1)[:2000]
            for event in self.events
            if event["event"] in ("runner_on_failed", "runner_on_unreachable")
        ]
        return f"status={self.status} rc={self.rc}\n" + "\n".join(failed) + "\n" + self.output[-6000:]


def run_job(tmp_path: Path, emulator: Emulator, playbook: str, extravars: dict, ident: str) -> Job:
    """transmit | worker | process: the controller, the execution node, the controller again."""
    pdd = tmp_path / ident
    pdd.mkdir()
    pdd = private_data_dir(pdd, emulator, extravars)
    result = run_awx_job(pdd, playbook, ident, JOB_TIMEOUT + 60)
    return Job(pdd, ident, result.stdout + result.stderr)


def secrets() -> dict:
    found = {"the AWS secret key": SECRET_KEY, "the AWS security token": SECURITY_TOKEN}
    for account in (REGISTRY, SECOND_REGISTRY, CONSUMER):
        password = f"{account}-auth-token"
        found[f"registry password of {account}"] = password
        found[f"registry token of {account}"] = base64.b64encode(f"AWS:{password}".encode()).decode()
    return found


def assert_no_secret(job: Job) -> None:
    """No secret in any job event nor in the job's output (what AWX shows and stores).

    ansible-runner's `command` artifact records the job's whole environment, credentials included, by
    design; it is not an event and AWX does not show it, so it is left out here.
    """
    texts = {path.name: path.read_text() for path in job.event_files}
    texts["stdout"] = (job.dir / "stdout").read_text() if (job.dir / "stdout").exists() else ""
    texts["pipeline output"] = job.output
    leaks = [
        f"{what} in {name}" for name, text in texts.items() for what, secret in secrets().items() if secret in text
    ]
    assert not leaks, "\n".join(leaks)


def require(playbook: str) -> None:
    if not (ROOT / "playbooks" / playbook).is_file():
        pytest.skip(f"playbooks/{playbook} does not exist yet")


# ------------------------------------------------------------------------------------ the tests


@pytest.fixture(scope="module")
def configure_job(emulator, tmp_path_factory) -> Job:
    require("configure.yml")
    return run_job(tmp_path_factory.mktemp("awx"), emulator, "playbooks/configure.yml", {}, "configure-1")


def test_configure_job_is_successful(configure_job):
    assert configure_job.status == "successful", configure_job.describe()
    assert configure_job.rc == "0"
    stats = configure_job.stats
    assert not stats["failures"] and not stats["dark"], configure_job.describe()
    assert set(stats["ok"]) == {"registry-eu-west-1", "registry-b-eu-west-1", "prod-eu-west-1"}
    assert {"registry-eu-west-1", "registry-b-eu-west-1", "prod-eu-west-1"} <= set(stats["changed"])


def test_configure_job_configured_both_sides(configure_job, emulator):
    assert configure_job.status == "successful", configure_job.describe()
    converged = configure_job.ok_results("dockyard.ecr.ecr_repositories")
    assert {event["host"] for event in converged} == {"registry-eu-west-1", "registry-b-eu-west-1"}
    for account in (REGISTRY, SECOND_REGISTRY):
        ecr = emulator.client("ecr", account)
        repository = ecr.describe_repositories(repositoryNames=[REPOSITORY])["repositories"][0]
        assert repository["imageTagMutability"] == "IMMUTABLE"
        assert repository["registryId"] == account
        policy = json.loads(ecr.get_repository_policy(repositoryName=REPOSITORY)["policyText"])
        assert CONSUMER in json.dumps(policy)
        assert ecr.get_lifecycle_policy(repositoryName=REPOSITORY)["lifecyclePolicyText"]
    iam = emulator.client("iam", CONSUMER)
    names = iam.list_role_policies(RoleName=CONSUMER_ROLE)["PolicyNames"]
    assert names, f"no inline policy on {CONSUMER_ROLE} in {CONSUMER}"
    document = json.dumps(iam.get_role_policy(RoleName=CONSUMER_ROLE, PolicyName=names[0])["PolicyDocument"])
    for account in (REGISTRY, SECOND_REGISTRY):
        assert f"arn:aws:ecr:{REGION}:{account}:repository/{REPOSITORY}" in document


def test_configure_job_configured_replication_on_both_sides(configure_job, emulator):
    assert configure_job.status == "successful", configure_job.describe()
    rules = emulator.client("ecr", REGISTRY).describe_registry()["replicationConfiguration"]["rules"]
    assert [rule["destinations"] for rule in rules] == [
        [{"region": SECOND_REGION, "registryId": REGISTRY}],
        [{"region": REGION, "registryId": CONSUMER}],
    ]
    assert emulator.client("ecr", SECOND_REGISTRY).describe_registry()["replicationConfiguration"]["rules"] == []
    policy = json.loads(emulator.client("ecr", CONSUMER).get_registry_policy()["policyText"])
    assert policy["Statement"] == [
        {
            "Sid": f"DockyardReplicationFrom{REGISTRY}EuWest1",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{REGISTRY}:root"},
            "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
            "Resource": [f"arn:aws:ecr:{REGION}:{CONSUMER}:repository/{REPOSITORY}*"],
        }
    ]


def test_configure_job_leaks_no_secret(configure_job):
    assert configure_job.events, configure_job.describe()
    # the credentials did reach the job (ansible-runner records the job's environment in `command`)
    assert SECRET_KEY in (configure_job.dir / "command").read_text()
    assert_no_secret(configure_job)


def test_configure_job_again_changes_nothing(configure_job, emulator, tmp_path):
    assert configure_job.status == "successful", configure_job.describe()
    again = run_job(tmp_path, emulator, "playbooks/configure.yml", {}, "configure-2")
    assert again.status == "successful", again.describe()
    assert not again.stats["changed"], f"a second configure job changed {again.stats['changed']}"
    assert_no_secret(again)


@pytest.fixture(scope="module")
def publish_job(emulator, configure_job, tmp_path_factory) -> Job:
    require("publish.yml")
    if not shutil.which("podman") and not shutil.which("buildah"):
        pytest.skip("neither podman nor buildah is installed")
    # The survey's answers (text: strings) and the job template's extra variables (YAML: the list of release
    # tags; a survey answer would be one string, which the publish role does not take as a list).
    extravars = {
        "publish_repository": REPOSITORY,
        "publish_context": "examples/hello",
        "publish_version": "1.0.0",  # the project copy is not a git checkout
        "publish_extra_tags": ["stable", "release-1.0"],
    }
    return run_job(tmp_path_factory.mktemp("awx"), emulator, "playbooks/publish.yml", extravars, "publish-1")


def test_publish_job_is_successful(publish_job):
    assert publish_job.status == "successful", publish_job.describe()
    assert publish_job.rc == "0"
    stats = publish_job.stats
    assert not stats["failures"] and not stats["dark"], publish_job.describe()
    assert {"registry-eu-west-1", "registry-b-eu-west-1"} <= set(stats["changed"])


def test_publish_job_pushed_one_image_to_every_registry(publish_job, emulator):
    assert publish_job.status == "successful", publish_job.describe()
    digests = {}
    for account in (REGISTRY, SECOND_REGISTRY):
        details = emulator.client("ecr", account).describe_images(repositoryName=REPOSITORY)["imageDetails"]
        tagged = {tag: detail["imageDigest"] for detail in details for tag in detail.get("imageTags", [])}
        assert {"1.0.0", "latest", "stable", "release-1.0"} <= set(tagged), f"{account}: {tagged}"
        assert len({tagged[tag] for tag in ("1.0.0", "latest", "stable", "release-1.0")}) == 1
        digests[account] = tagged["1.0.0"]
    assert digests[REGISTRY] == digests[SECOND_REGISTRY], "the same build must land in every registry"
    assert digests[REGISTRY] in publish_job.output, "the job output should report the digest"


def test_publish_job_image_reached_the_replicas(publish_job, emulator):
    assert publish_job.status == "successful", publish_job.describe()
    source = emulator.client("ecr", REGISTRY).describe_images(
        repositoryName=REPOSITORY, imageIds=[{"imageTag": "1.0.0"}]
    )
    digest = source["imageDetails"][0]["imageDigest"]
    replicas = {
        "second region": boto3.client(
            "ecr", endpoint_url=emulator.endpoint, region_name=SECOND_REGION, **emulator.credentials(REGISTRY)
        ),
        "consumer account": emulator.client("ecr", CONSUMER),
    }
    for where, client in replicas.items():
        found = {}
        for _attempt in range(50):  # replication is asynchronous, in ECR as in the emulator
            try:
                details = client.describe_images(repositoryName=REPOSITORY)["imageDetails"]
            except client.exceptions.RepositoryNotFoundException:
                details = []
            found = {tag: d["imageDigest"] for d in details for tag in d.get("imageTags", [])}
            if found.get("1.0.0") == digest:
                break
            time.sleep(0.2)
        assert found.get("1.0.0") == digest, f"{where}: {found}"
        assert found.get("stable") == digest, f"{where}: {found}"


def test_publish_job_leaks_no_secret(publish_job):
    assert publish_job.events, publish_job.describe()
    assert_no_secret(publish_job)


def test_survey_answers_reach_the_play_as_extra_vars(publish_job):
    assert publish_job.status == "successful", publish_job.describe()
    starts = [event for event in publish_job.events if event["event"] == "playbook_on_start"]
    assert starts
    command = json.loads((publish_job.dir / "command").read_text())["command"]
    assert "-e" in command and any(part.endswith("env/extravars") for part in command)
    extravars = yaml.safe_load((publish_job.dir.parents[1] / "env" / "extravars").read_text())
    assert extravars["publish_version"] == "1.0.0"


def test_emulator_stays_up_through_the_jobs(emulator):
    assert emulator.cli("status").returncode == 0
