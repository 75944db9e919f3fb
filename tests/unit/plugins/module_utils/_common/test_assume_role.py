# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

import botocore.exceptions  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._common import assume_role  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import validate_role_arn  # noqa: E402

ROLE_ACCOUNT = "210987654321"
ROLE_ARN = f"arn:aws:iam::{ROLE_ACCOUNT}:role/dockyard"


class Module:
    """What act_as_role uses of AnsibleAWSModule: params, no_log_values and client() made from the params."""

    def __init__(self, **params):
        self.params = dict(
            access_key="testing", secret_key="testing", session_token=None, profile=None, region="us-east-1", **params
        )
        self.no_log_values = set()
        self.services = []

    def client(self, service, retry_decorator=None, **extra):
        self.services.append(service)
        client = boto3.client(
            service,
            region_name=self.params["region"],
            aws_access_key_id=self.params["access_key"],
            aws_secret_access_key=self.params["secret_key"],
            aws_session_token=self.params["session_token"],
        )
        return RetryingBotoClientWrapper(client, retry_decorator) if retry_decorator else client


@pytest.fixture
def aws(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with moto.mock_aws():
        yield


def test_without_role_arn_nothing_is_called(aws):
    module = Module(role_arn="")
    assert assume_role.act_as_role(module) is False
    assert module.services == [] and module.params["access_key"] == "testing"


def test_the_clients_made_afterwards_act_in_the_roles_account(aws):
    module = Module(role_arn=ROLE_ARN, role_session_name="configure")
    own = module.client("sts").get_caller_identity()["Account"]
    assert own != ROLE_ACCOUNT
    assert assume_role.act_as_role(module) is True
    identity = module.client("sts").get_caller_identity()
    assert identity["Account"] == ROLE_ACCOUNT
    assert identity["Arn"].endswith(":assumed-role/dockyard/configure")
    module.client("ecr").create_repository(repositoryName="made-as-the-role")
    assert module.client("ecr").describe_repositories()["repositories"][0]["registryId"] == ROLE_ACCOUNT
    # The role's secrets are hidden in anything the module returns; the profile would conflict with the keys.
    assert {module.params["secret_key"], module.params["session_token"]} <= module.no_log_values
    assert module.params["profile"] is None


@pytest.mark.parametrize("value", ["arn:aws:iam::12345:role/x", "etl-runner", "arn:aws:iam::123456789012:user/x"])
def test_a_bad_role_arn_fails_before_any_call(aws, value):
    module = Module(role_arn=value)
    with pytest.raises(ECRError, match=r"^role_arn: .* is not an IAM role ARN; give arn:aws:iam::ACCOUNT:role/NAME"):
        assume_role.act_as_role(module)
    assert module.services == []


def test_validate_role_arn_partitions_and_paths():
    assert (
        validate_role_arn(" arn:aws-cn:iam::123456789012:role/path/to/r ")
        == "arn:aws-cn:iam::123456789012:role/path/to/r"
    )
    assert validate_role_arn(None) is None and validate_role_arn("  ") is None


class DeniedSTS:
    def assume_role(self, **kwargs):
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "not authorized to perform: sts:AssumeRole"}}, "AssumeRole"
        )


def test_a_role_that_cannot_be_assumed_is_named(monkeypatch):
    module = Module(role_arn=ROLE_ARN)
    monkeypatch.setattr(module, "client", lambda service, retry_decorator=None, **extra: DeniedSTS())
    with pytest.raises(ECRError) as raised:
        assume_role.act_as_role(module)
    assert raised.value.message.startswith(
        f"role_arn: the role {ROLE_ARN} cannot be assumed (nothing was changed in its account): it must exist"
    )
    assert module.params["access_key"] == "testing"
