# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The registry policy against the account's REGISTRY_POLICY_SCOPE: in-process moto with the emulator's ECR
extensions (tools/localaws: GetAccountSetting, PutAccountSetting, the registry policy check that follows the
scope), as the integration tests run them."""

import sys
from pathlib import Path

import pytest

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

TOOLS = Path(__file__).resolve().parents[5] / "tools"
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))
ecr_extensions = pytest.importorskip("localaws.ecr_extensions")

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._api import account_settings as api_account_settings
from ansible_collections.dockyard.ecr.plugins.module_utils._api import registry_policy as api_registry_policy
from ansible_collections.dockyard.ecr.plugins.module_utils._common import errors as common_errors
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import policy as converge_policy
from ansible_collections.dockyard.ecr.plugins.module_utils._models import policy_document as models_policy_document
from ansible_collections.dockyard.ecr.plugins.module_utils._models import policy_request as models_policy_request

REGION = "eu-west-1"
ACCOUNT = "123456789012"
A1 = "111111111111"
WRITES = {"PutRegistryPolicy", "DeleteRegistryPolicy", "PutAccountSetting"}
PULL_DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "RegistryPull",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{A1}:root"},
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Resource": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/*",
        }
    ],
}


@pytest.fixture
def raw(monkeypatch):
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    ecr_extensions.install()
    with moto.mock_aws():
        client = boto3.client("ecr", region_name=REGION)
        calls = []
        client.meta.events.register("before-call.ecr.*", lambda model, **kwargs: calls.append(model.name))
        client.calls = calls
        yield client


@pytest.fixture
def client(raw):
    return RetryingBotoClientWrapper(raw, AWSRetry.jittered_backoff())


def request(**params):
    return models_policy_request.validate_params(dict({"scope": "registry"}, **params))


def test_get_account_setting(client, raw):
    assert api_account_settings.get_account_setting(client, "REGISTRY_POLICY_SCOPE") == "V2"  # ECR's default
    raw.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V1")
    assert api_account_settings.get_account_setting(client, "REGISTRY_POLICY_SCOPE") == "V1"
    # A name ECR does not know there: None, the caller applies ECR's default.
    assert api_account_settings.get_account_setting(client, "NO_SUCH_SETTING") is None


def test_v2_registry_wide_pull_grant(client, raw):
    wanted = request(pull=[A1])
    changed, before, after, registry_id = converge_policy.converge(
        client, wanted, check_mode=True, caller_account=lambda: ACCOUNT
    )
    assert changed and before is None
    assert after["Statement"] == [
        {
            "Sid": "DockyardPull",
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::{A1}:root"]},
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Resource": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/*",
        }
    ]
    assert not WRITES & set(raw.calls)
    changed, before, after, registry_id = converge_policy.converge(client, wanted, caller_account=lambda: ACCOUNT)
    assert changed and before is None and registry_id is None
    assert api_registry_policy.read_registry_policy(client)[1]["Statement"] == after["Statement"]
    del raw.calls[:]
    assert not converge_policy.converge(client, wanted, caller_account=lambda: ACCOUNT)[0]
    assert not WRITES & set(raw.calls)


def test_v1_refuses_registry_wide_grants_and_v2_documents_before_any_write(client, raw):
    raw.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V1")
    del raw.calls[:]
    with pytest.raises(common_errors.PolicyError) as exc:
        converge_policy.converge(client, request(push=[A1]), caller_account=lambda: ACCOUNT)
    assert exc.value.option == "push"
    assert "REGISTRY_POLICY_SCOPE is V1" in exc.value.message
    document = models_policy_document.validate_document(PULL_DOCUMENT, scope="registry")
    with pytest.raises(common_errors.PolicyError) as exc:
        converge_policy.converge_registry_policy(client, document)
    assert "'ecr:BatchGetImage' cannot be granted by this registry policy" in exc.value.message
    assert raw.calls and not WRITES & set(raw.calls)
    assert api_registry_policy.read_registry_policy(client) == (None, None)


def test_v1_documents_do_not_read_the_setting(client, raw):
    replication = dict(PULL_DOCUMENT, Statement=[dict(PULL_DOCUMENT["Statement"][0], Action=["ecr:ReplicateImage"])])
    document = models_policy_document.validate_document(replication, scope="registry")
    assert converge_policy.converge_registry_policy(client, document)[0]
    assert "GetAccountSetting" not in raw.calls


def test_v2_document_accepted(client, raw):
    document = models_policy_document.validate_document(PULL_DOCUMENT, scope="registry")
    changed, before, after = converge_policy.converge_registry_policy(client, document)
    assert changed and before is None and after["Statement"] == PULL_DOCUMENT["Statement"]
    assert "GetAccountSetting" in raw.calls
    assert not converge_policy.converge_registry_policy(client, document)[0]
