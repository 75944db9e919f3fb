# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Temporary AWS credentials as AWX injects them reach dockyard.ecr's modules.

AWX's "Amazon Web Services" credential type injects AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and,
for temporary credentials, AWS_SECURITY_TOKEN (awx/main/models/credential/injectors.py); amazon.aws 10
and later read only AWS_SESSION_TOKEN. The jobs here run through ansible-runner (transmit | worker |
process, as AWX hands a job to an execution node) against a moto server that checks every request's
signature and session token (INITIAL_NO_AUTH_ACTION_COUNT=0): the credentials are an assumed role's,
made through moto's IAM and STS, so a request without the token is refused as AWS would refuse it.
"""

from __future__ import annotations

import json
import os
import stat
import urllib.request
from pathlib import Path

import pytest
import yaml
from support import MotoServer
from support.runner import run_awx_job

boto3 = pytest.importorskip("boto3")

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account
JOB_TIMEOUT = 300

PLAYBOOK = """
- name: A job with the AWS credential of the job template
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Create a repository with the injected credentials
      dockyard.ecr.ecr_repo:
        name: awx/credentials
        region: eu-west-1
    - name: Read it back
      dockyard.ecr.ecr_repo_info:
        names: [awx/credentials]
        region: eu-west-1
      register: found
    - name: Assert the repository is there
      ansible.builtin.assert:
        that: found.repositories | map(attribute='name') | list == ['awx/credentials']
    # amazon.aws 10+ modules read only AWS_SESSION_TOKEN; the playbooks hand them the token through the lookup.
    - name: Ask who we are with an amazon.aws module, as configure.yml's sts_assume_role is given the token
      amazon.aws.aws_caller_info:
        region: eu-west-1
        session_token: "{{ lookup('dockyard.ecr.session_token') or omit }}"
      register: caller
    - name: Assert the amazon.aws module authenticated with the injected token
      ansible.builtin.assert:
        that: caller.account == '123456789012'
"""


@pytest.fixture(scope="module")
def moto_checking_tokens(tmp_path_factory):
    """A moto server that authenticates every request (after the few that make the first IAM user)."""
    server = MotoServer(tmp_path_factory.mktemp("moto"), env={"INITIAL_NO_AUTH_ACTION_COUNT": "0"})
    yield server.url
    server.stop()


def allow_unauthenticated(endpoint: str, count: int) -> None:
    """moto's switch: the next `count` requests go unchecked, every one after them is checked."""
    request = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth",
        data=str(count).encode(),
        method="POST",
        headers={"Content-Type": "text/plain"},  # moto reads the raw body, which a form type would hide
    )
    urllib.request.urlopen(request, timeout=5)  # noqa: S310 (loopback)


@pytest.fixture(scope="module")
def temporary_credentials(moto_checking_tokens) -> dict:
    """An IAM user (made in moto's few unchecked requests), and a role's session it assumes: what an AWX
    credential of temporary credentials holds."""
    endpoint = moto_checking_tokens
    bootstrap = {"aws_access_key_id": "bootstrap", "aws_secret_access_key": "bootstrap"}
    iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION, **bootstrap)
    allow_all = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    )
    allow_unauthenticated(endpoint, 4)
    iam.create_user(UserName="awx")
    iam.put_user_policy(UserName="awx", PolicyName="all", PolicyDocument=allow_all)
    key = iam.create_access_key(UserName="awx")["AccessKey"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/awx"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.create_role(RoleName="awx-job", AssumeRolePolicyDocument=json.dumps(trust))
    # From here on every request is checked: the user's own keys make the rest.
    user = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
    iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION, **user)
    iam.put_role_policy(RoleName="awx-job", PolicyName="all", PolicyDocument=allow_all)
    with pytest.raises(iam.exceptions.ClientError, match="InvalidClientTokenId"):
        boto3.client("iam", endpoint_url=endpoint, region_name=REGION, **bootstrap).list_users()
    sts = boto3.client("sts", endpoint_url=endpoint, region_name=REGION, **user)
    session = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/awx-job", RoleSessionName="awx")["Credentials"]
    return {
        "access_key": session["AccessKeyId"],
        "secret_key": session["SecretAccessKey"],
        "token": session["SessionToken"],
    }


def run_job(tmp_path: Path, endpoint: str, credential_env: dict) -> tuple[str, list, str]:
    """An AWX job: the private data directory, transmit | worker | process; returns (status, events, output)."""
    pdd = tmp_path / "job"
    (pdd / "project").mkdir(parents=True)
    (pdd / "project" / "job.yml").write_text(PLAYBOOK)
    (pdd / "inventory").mkdir()
    (pdd / "inventory" / "hosts").write_text("localhost\n")
    collections = tmp_path / "collections" / "ansible_collections" / "dockyard"
    collections.mkdir(parents=True)
    (collections / "ecr").symlink_to(ROOT, target_is_directory=True)
    envvars = {
        **credential_env,
        "AWS_ENDPOINT_URL": endpoint,
        "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join(
            [str(tmp_path / "collections"), str(ROOT / ".build" / "collections")]
        ),
        "ANSIBLE_FORCE_COLOR": "False",
    }
    (pdd / "env").mkdir()
    (pdd / "env" / "envvars").write_text(yaml.safe_dump(envvars))
    (pdd / "env" / "settings").write_text(yaml.safe_dump({"job_timeout": JOB_TIMEOUT, "idle_timeout": 200}))
    (pdd / "env" / "envvars").chmod(stat.S_IRUSR | stat.S_IWUSR)
    result = run_awx_job(pdd, "job.yml", "job", JOB_TIMEOUT + 60)
    artifacts = pdd / "artifacts" / "job"
    status = (artifacts / "status").read_text().strip() if (artifacts / "status").exists() else "missing"
    events = [json.loads(p.read_text()) for p in sorted((artifacts / "job_events").glob("*.json"))]
    return status, events, result.stdout + result.stderr


def failures(events: list) -> list:
    return [
        json.dumps(event["event_data"].get("res", {}))
        for event in events
        if event["event"] in ("runner_on_failed", "runner_on_unreachable")
    ]


def test_a_dropped_session_token_is_refused(tmp_path, moto_checking_tokens, temporary_credentials):
    """The check that makes the next test mean something: temporary keys without their token fail."""
    credential = {
        "AWS_ACCESS_KEY_ID": temporary_credentials["access_key"],
        "AWS_SECRET_ACCESS_KEY": temporary_credentials["secret_key"],
    }
    status, events, output = run_job(tmp_path, moto_checking_tokens, credential)
    assert status == "failed", output[-3000:]
    assert any(
        "InvalidClientTokenId" in failure or "security token" in failure for failure in failures(events)
    ), output[-3000:]


def test_the_token_awx_injects_as_aws_security_token_is_used(tmp_path, moto_checking_tokens, temporary_credentials):
    """What AWX's credential type injects: AWS_SECURITY_TOKEN, no AWS_SESSION_TOKEN."""
    credential = {
        "AWS_ACCESS_KEY_ID": temporary_credentials["access_key"],
        "AWS_SECRET_ACCESS_KEY": temporary_credentials["secret_key"],
        "AWS_SECURITY_TOKEN": temporary_credentials["token"],
    }
    status, events, output = run_job(tmp_path, moto_checking_tokens, credential)
    assert status == "successful", "\n".join(failures(events)) + output[-3000:]
    # and the token is nowhere in what AWX shows
    assert not [event for event in events if temporary_credentials["token"] in json.dumps(event)]
    assert temporary_credentials["token"] not in output


def test_the_session_token_works_as_ever(tmp_path, moto_checking_tokens, temporary_credentials):
    """A custom credential type (or a shell) that sets AWS_SESSION_TOKEN."""
    credential = {
        "AWS_ACCESS_KEY_ID": temporary_credentials["access_key"],
        "AWS_SECRET_ACCESS_KEY": temporary_credentials["secret_key"],
        "AWS_SESSION_TOKEN": temporary_credentials["token"],
    }
    status, events, output = run_job(tmp_path, moto_checking_tokens, credential)
    assert status == "successful", "\n".join(failures(events)) + output[-3000:]
