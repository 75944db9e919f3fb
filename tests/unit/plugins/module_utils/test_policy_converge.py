# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""module_utils/policy.py: reading and converging repository and registry policies against in-process moto."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._api import registry_policy as api_registry_policy
from ansible_collections.dockyard.ecr.plugins.module_utils._api import repository_policy as api_repository_policy
from ansible_collections.dockyard.ecr.plugins.module_utils._common import errors as common_errors
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import policy as converge_policy
from ansible_collections.dockyard.ecr.plugins.module_utils._models import policy_document as models_policy_document
from ansible_collections.dockyard.ecr.plugins.module_utils._models import policy_grants as models_policy_grants
from ansible_collections.dockyard.ecr.plugins.module_utils._models import policy_request as models_policy_request

REGION = "us-east-1"
ACCOUNT = "123456789012"
A1 = "111111111111"
A2 = "222222222222"
READS = {"GetRepositoryPolicy", "GetRegistryPolicy", "DescribeRepositories"}
FOREIGN = {
    "Sid": "TeamB",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{A2}:root"},
    "Action": "ecr:BatchGetImage",
}
REPLICATION = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Replication",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{A1}:root"},
            "Action": ["ecr:CreateRepository", "ecr:ReplicateImage"],
            "Resource": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/*",
        }
    ],
}


class Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, model, **kwargs):
        self.calls.append(model.name)

    @property
    def writes(self):
        return [c for c in self.calls if c not in READS]


@pytest.fixture
def aws(monkeypatch):
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with moto.mock_aws():
        yield


@pytest.fixture
def raw(aws):
    return boto3.client("ecr", region_name=REGION)


@pytest.fixture
def recorder(raw):
    recorder = Recorder()
    raw.meta.events.register("before-call.ecr.*", recorder)
    return recorder


@pytest.fixture
def client(raw, recorder):
    return RetryingBotoClientWrapper(raw, AWSRetry.jittered_backoff())


@pytest.fixture
def repo(raw, recorder):
    raw.create_repository(repositoryName="team/app")
    del recorder.calls[:]
    return "team/app"


def stored(raw, name="team/app"):
    try:
        return json.loads(raw.get_repository_policy(repositoryName=name)["policyText"])
    except raw.exceptions.RepositoryPolicyNotFoundException:
        return None


def grants(**kwargs):
    return models_policy_grants.validate_grants(kwargs)


def test_read_missing_policy_and_repository(client, repo):
    assert api_repository_policy.read_repository_policy(client, repo) == (None, None)
    assert api_repository_policy.read_repository_policy(client, repo, ACCOUNT) == (ACCOUNT, None)
    with pytest.raises(common_errors.PolicyError) as exc:
        api_repository_policy.read_repository_policy(client, "team/nope")
    assert exc.value.option == "repository"
    assert "'team/nope' does not exist" in exc.value.message


def test_create_then_no_change(client, raw, repo, recorder):
    desired = grants(pull=[A1, A2], services=["codebuild.amazonaws.com"])
    changed, before, after = converge_policy.converge_repository_policy(client, repo, desired=desired)
    assert changed and before is None
    assert after == stored(raw) == models_policy_grants.grants_to_document(desired)
    assert recorder.writes == ["SetRepositoryPolicy"]
    del recorder.calls[:]
    changed, before, after = converge_policy.converge_repository_policy(client, repo, desired=desired)
    assert not changed and before == after == stored(raw)
    assert recorder.writes == []


def test_check_mode_writes_nothing(client, raw, repo, recorder):
    desired = grants(push=[A1])
    changed, before, after = converge_policy.converge_repository_policy(client, repo, desired=desired, check_mode=True)
    assert changed and before is None and after == models_policy_grants.grants_to_document(desired)
    assert stored(raw) is None
    assert recorder.writes == []


def test_aws_rewritten_document_is_no_change(client, raw, repo, recorder):
    # As ECR stores it: account root ARNs, another order, single values, the old Version.
    rewritten = {
        "Version": "2008-10-17",
        "Statement": [
            {
                "Sid": "DockyardPull",
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{A2}:root", f"arn:aws:iam::{A1}:root"]},
                "Action": ["ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability"],
            }
        ],
    }
    raw.set_repository_policy(repositoryName=repo, policyText=json.dumps(rewritten, indent=4))
    changed, before, after = converge_policy.converge_repository_policy(client, repo, desired=grants(pull=[A2, A1]))
    assert not changed and before == after == rewritten
    assert recorder.writes == ["SetRepositoryPolicy"]  # only the setup call above


def test_adding_and_removing_an_account(client, raw, repo):
    converge_policy.converge_repository_policy(client, repo, desired=grants(pull=[A1]))
    changed, before, after = converge_policy.converge_repository_policy(client, repo, desired=grants(pull=[A1, A2]))
    assert changed
    assert models_policy_document.normalize(after)["Statement"][0]["Principal"]["AWS"] == [
        f"arn:aws:iam::{A1}:root",
        f"arn:aws:iam::{A2}:root",
    ]
    changed, before, after = converge_policy.converge_repository_policy(client, repo, desired=grants(pull=[A2]))
    assert changed
    assert stored(raw)["Statement"][0]["Principal"]["AWS"] == [f"arn:aws:iam::{A2}:root"]


def test_purge_statements_false_keeps_foreign_statements(client, raw, repo):
    raw.set_repository_policy(
        repositoryName=repo, policyText=json.dumps({"Version": "2012-10-17", "Statement": [FOREIGN]})
    )
    changed, before, after = converge_policy.converge_repository_policy(
        client, repo, desired=grants(pull=[A1]), purge_statements=False
    )
    assert changed
    assert [s.get("Sid") for s in stored(raw)["Statement"]] == ["TeamB", "DockyardPull"]
    changed = converge_policy.converge_repository_policy(
        client, repo, desired=grants(pull=[A1]), purge_statements=False
    )[0]
    assert not changed
    # state=absent without purge removes only the grants' statements
    changed, before, after = converge_policy.converge_repository_policy(
        client, repo, purge_statements=False, state="absent"
    )
    assert changed and stored(raw) == after == {"Version": "2012-10-17", "Statement": [FOREIGN]}
    # with purge, the foreign statement goes too
    changed, before, after = converge_policy.converge_repository_policy(client, repo, desired=grants(pull=[A1]))
    assert changed and [s["Sid"] for s in stored(raw)["Statement"]] == ["DockyardPull"]


def test_absent(client, raw, repo, recorder):
    converge_policy.converge_repository_policy(client, repo, desired=grants(pull=[A1]))
    changed, before, after = converge_policy.converge_repository_policy(client, repo, state="absent", check_mode=True)
    assert changed and before and after is None and stored(raw)
    changed, before, after = converge_policy.converge_repository_policy(client, repo, state="absent")
    assert changed and after is None and stored(raw) is None
    del recorder.calls[:]
    assert converge_policy.converge_repository_policy(client, repo, state="absent") == (False, None, None)
    assert recorder.writes == []
    # a missing repository has no policy
    assert converge_policy.converge_repository_policy(client, "team/nope", state="absent") == (False, None, None)


def test_missing_repository_fails_before_writing(client, recorder):
    for check_mode in (True, False):
        with pytest.raises(common_errors.PolicyError) as exc:
            converge_policy.converge_repository_policy(
                client, "team/nope", desired=grants(pull=[A1]), check_mode=check_mode
            )
        assert exc.value.option == "repository"
    assert recorder.writes == []


def test_whole_document(client, raw, repo):
    document = models_policy_document.validate_document(
        {
            "Statement": {
                "Sid": "CodeBuild",
                "Effect": "Allow",
                "Principal": {"Service": "codebuild.amazonaws.com"},
                "Action": "ecr:BatchGetImage",
            }
        }
    )
    changed, before, after = converge_policy.converge_repository_policy(client, repo, desired=document)
    assert changed and after["Version"] == "2012-10-17"
    changed = converge_policy.converge_repository_policy(client, repo, desired=json.dumps(document))[0]
    assert not changed


def test_aws_refusal_is_an_ecr_error(client, repo, monkeypatch):
    def refuse(**kwargs):
        raise client.client.exceptions.InvalidParameterException(
            {
                "Error": {
                    "Code": "InvalidParameterException",
                    "Message": "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Principal not found'",
                }
            },
            "SetRepositoryPolicy",
        )

    monkeypatch.setattr(client.client, "set_repository_policy", refuse)
    with pytest.raises(ECRError) as exc:
        converge_policy.converge_repository_policy(client, repo, desired=grants(pull=[A1]))
    assert exc.value.message == "Failed to set the policy of repository 'team/app'"
    assert "Principal not found" in str(exc.value.exception)


def test_policies_of_many_repositories_in_threads(client, raw):
    names = [f"team/app-{i}" for i in range(12)]
    for name in names:
        raw.create_repository(repositoryName=name)
    desired = grants(pull=[A1], push=[A2])

    def one(name):
        return converge_policy.converge_repository_policy(client, name, desired=desired)[0]

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(one, names))
        assert not any(pool.map(one, names))


def test_registry_policy(client, raw, recorder):
    assert api_registry_policy.read_registry_policy(client) == (None, None)
    document = models_policy_document.validate_document(REPLICATION, scope="registry")
    changed, before, after = converge_policy.converge_registry_policy(client, document, check_mode=True)
    assert changed and before is None and after == REPLICATION
    assert recorder.writes == []
    changed, before, after = converge_policy.converge_registry_policy(client, document)
    assert changed and after == REPLICATION
    assert api_registry_policy.read_registry_policy(client) == (ACCOUNT, REPLICATION)
    changed = converge_policy.converge_registry_policy(client, document)[0]
    assert not changed
    changed, before, after = converge_policy.converge_registry_policy(client, None, state="absent")
    assert changed and after is None and api_registry_policy.read_registry_policy(client) == (None, None)
    assert converge_policy.converge_registry_policy(client, None, state="absent") == (False, None, None)


def test_converge_request(client, raw, repo):
    request = models_policy_request.validate_params(
        {
            "scope": "repository",
            "state": "present",
            "repository": repo,
            "registry_id": None,
            "policy": None,
            "pull": [A1],
            "push": None,
            "services": None,
            "organizations": ["o-a1b2c3d4e5"],  # every principal of the organisation
            "purge_statements": True,
            "allow_public": False,
        }
    )
    changed, before, after, registry_id = converge_policy.converge(client, request)
    assert changed and before is None and registry_id is None
    assert [s["Sid"] for s in after["Statement"]] == ["DockyardPull", "DockyardOrgPull"]
    changed, before, after, registry_id = converge_policy.converge(client, request)
    assert not changed and registry_id == ACCOUNT
    request["repository"] = "team/nope"
    with pytest.raises(common_errors.PolicyError):
        converge_policy.converge(client, request)
    request.update(state="absent", desired=None)
    assert converge_policy.converge(client, request) == (False, None, None, None)
