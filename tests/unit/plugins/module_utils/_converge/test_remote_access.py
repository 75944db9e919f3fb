# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""_converge/remote_access.py: the IAM side of one consumer account against in-process moto."""

import json

import pytest

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

from ansible_collections.amazon.aws.plugins.module_utils.retries import (  # noqa: E402
    AWSRetry,
    RetryingBotoClientWrapper,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import remote_access  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._models import estate  # noqa: E402

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's own: the consumer here
REGISTRY = "999999999999"
TRUST = json.dumps(
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
)
WRITES = {
    "PutRolePolicy",
    "DeleteRolePolicy",
    "CreatePolicy",
    "CreatePolicyVersion",
    "DeletePolicyVersion",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "DeletePolicy",
}


class Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, model, **kwargs):
        self.calls.append(model.name)

    @property
    def writes(self):
        return [c for c in self.calls if c in WRITES]


@pytest.fixture
def aws(monkeypatch):
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IAM"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with moto.mock_aws():
        yield


@pytest.fixture
def raw(aws):
    client = boto3.client("iam", region_name=REGION)
    for name in ("ecsTask", "ci", "old"):
        client.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    return client


@pytest.fixture
def recorder(raw):
    recorder = Recorder()
    raw.meta.events.register("before-call.iam.*", recorder)
    return recorder


@pytest.fixture
def client(raw, recorder):
    return RetryingBotoClientWrapper(raw, AWSRetry.jittered_backoff())


def registries(n=3, prefix="team/app", grant=None):
    repositories = [{"name": f"{prefix}-{i:03d}", "pull": [ACCOUNT]} for i in range(n)]
    repositories.append({"name": "team/ci-tool", "push": [grant or f"arn:aws:iam::{ACCOUNT}:role/ci"]})
    return [
        {
            "name": "main",
            "account_id": REGISTRY,
            "region": REGION,
            "repositories": repositories,
        }
    ]


ROLES = [{"name": "ecsTask"}, {"name": "ci", "access": "push"}]


def run(client, roles=None, regs=None, check_mode=False, policy_type="inline", purge=False):
    regs = registries() if regs is None else regs
    plan = estate.account_plan(
        ACCOUNT,
        ROLES if roles is None else roles,
        regs,
        region=REGION,
        policy_type=policy_type,
    )
    return remote_access.converge(
        client,
        plan,
        ACCOUNT,
        REGION,
        check_mode=check_mode,
        policy_type=policy_type,
        purge=purge,
        universe=estate.declared_names(regs),
    )


def inline(raw, role):
    try:
        return raw.get_role_policy(RoleName=role, PolicyName="dockyard-ecr")["PolicyDocument"]
    except raw.exceptions.NoSuchEntityException:
        return None


def test_inline_check_real_check_real(raw, client, recorder):
    result = run(client, check_mode=True)
    assert result["changed"] and recorder.writes == []
    assert inline(raw, "ecsTask") is None
    result = run(client)
    assert result["changed"]
    roles = {r["name"]: r for r in result["roles"]}
    assert roles["ci"]["push"] == [f"arn:aws:ecr:{REGION}:{REGISTRY}:repository/team/ci-tool"]
    # The account grant reaches both roles; the role grant only ci.
    assert len(roles["ecsTask"]["pull"]) == 3 and roles["ecsTask"]["push"] == []
    statements = {s["Sid"]: s for s in inline(raw, "ci")["Statement"]}
    assert set(statements) == {"EcrAuthorizationToken", "EcrPull", "EcrPush"}
    del recorder.calls[:]
    assert run(client, check_mode=True)["changed"] is False
    assert run(client)["changed"] is False
    assert recorder.writes == []


def test_managed_split_idempotent_and_switch_back(raw, client, recorder):
    regs = registries(n=120, prefix="app")
    result = run(client, regs=regs, policy_type="managed")
    roles = {r["name"]: r for r in result["roles"]}
    assert roles["ecsTask"]["policies"] == [
        "dockyard-ecr-ecsTask",
        "dockyard-ecr-ecsTask-2",
    ]
    attached = raw.list_attached_role_policies(RoleName="ecsTask")["AttachedPolicies"]
    assert sorted(p["PolicyName"] for p in attached) == [
        "dockyard-ecr-ecsTask",
        "dockyard-ecr-ecsTask-2",
    ]
    del recorder.calls[:]
    assert run(client, regs=regs, policy_type="managed")["changed"] is False
    assert recorder.writes == []
    # Fewer repositories: the second policy goes, the first is rewritten.
    result = run(client, regs=registries(n=3, prefix="app"), policy_type="managed")
    assert result["changed"]
    names = [p["PolicyName"] for p in raw.list_policies(Scope="Local")["Policies"]]
    assert "dockyard-ecr-ecsTask-2" not in names
    # Back to inline: the managed policies go.
    run(client, regs=registries(n=3, prefix="app"))
    assert [p for p in raw.list_policies(Scope="Local")["Policies"] if p["PolicyName"].startswith("dockyard-ecr")] == []
    assert inline(raw, "ecsTask") is not None


def test_unlisted_role_warned_then_purged(raw, client):
    run(client, roles=ROLES + [{"name": "old"}])
    result = run(client)
    assert result["unlisted"] == ["old"] and result["purged"] is False
    assert inline(raw, "old") is not None
    result = run(client, purge=True, check_mode=True)
    assert result["purged"] and inline(raw, "old") is not None
    result = run(client, purge=True)
    assert inline(raw, "old") is None
    assert run(client, purge=True)["unlisted"] == []


def test_missing_role_fails_before_any_write(raw, client, recorder):
    with pytest.raises(ECRError, match="ghost does not exist"):
        run(client, roles=ROLES + [{"name": "ghost"}])
    assert recorder.writes == []


def test_other_inline_policies_count_against_the_budget(raw, client, recorder):
    big = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": ["arn:aws:s3:::" + "x" * 60 + str(i) for i in range(120)],
            }
        ],
    }
    raw.put_role_policy(RoleName="ecsTask", PolicyName="other", PolicyDocument=json.dumps(big))
    del recorder.calls[:]
    regs = registries(n=60, prefix="app")  # ~5,000 characters: fits alone, not with 'other'
    with pytest.raises(estate.EstateError, match="inline policy of role ecsTask"):
        run(client, regs=regs)
    assert recorder.writes == []


def test_invisible_registries_touch_nothing(raw, client, recorder):
    result = run(client, regs=[])
    assert result["changed"] is False and recorder.calls == []
    assert "not visible" in result["notes"][0]


def test_managed_policies_of_a_role_named_like_another_roles_second_policy(raw, client, recorder):
    """dockyard-ecr-app-2 is role app-2's policy, not the second policy of role app."""
    for name in ("app", "app-2"):
        raw.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    roles = [{"name": "app"}, {"name": "app-2"}]
    run(client, roles=roles, policy_type="managed")
    del recorder.calls[:]
    result = run(client, roles=roles, policy_type="managed")
    assert result["changed"] is False and recorder.writes == []
    names = sorted(p["PolicyName"] for p in raw.list_policies(Scope="Local")["Policies"])
    assert names == ["dockyard-ecr-app", "dockyard-ecr-app-2"]


@pytest.mark.parametrize("listed", [False, True])
def test_a_split_policy_named_like_another_roles_policy_is_refused_before_any_write(raw, client, recorder, listed):
    """Role ecsTask needs two managed policies (dockyard-ecr-ecsTask, dockyard-ecr-ecsTask-2); the second would be
    role ecsTask-2's own policy, listed or not: refused with both roles named, nothing written."""
    raw.create_role(RoleName="ecsTask-2", AssumeRolePolicyDocument=TRUST)
    roles = ROLES + ([{"name": "ecsTask-2"}] if listed else [])
    with pytest.raises(ECRError) as info:
        run(client, roles=roles, regs=registries(n=120, prefix="app"), policy_type="managed")
    message = info.value.message
    assert "role ecsTask needs 2 managed policies" in message
    assert "dockyard-ecr-ecsTask-2 would have the name of role ecsTask-2's own policy" in message
    assert message.endswith("Nothing was written") and info.value.option == "roles"
    assert recorder.writes == []
    assert raw.list_policies(Scope="Local")["Policies"] == []
    # Fewer repositories, one policy each: no clash, both roles get theirs.
    result = run(client, roles=roles, regs=registries(n=3, prefix="app"), policy_type="managed")
    assert result["changed"] and not result.get("failed")
