# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fault proxy itself: the faults look like AWS's, botocore treats them as AWS's, runs repeat."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

boto3 = pytest.importorskip("boto3")
botocore = pytest.importorskip("botocore")

# pylint: disable=wrong-import-position
from botocore.config import Config  # noqa: E402
from conftest import HERE  # noqa: E402
from faultproxy import FAULT_KINDS, FaultProxy, ProxyControl, is_write  # noqa: E402
from support import free_port_block, wait_http  # noqa: E402

ECR_TARGET = "AmazonEC2ContainerRegistry_V20150921"


@pytest.fixture
def proxy(moto_url):
    running = FaultProxy(moto_url).start()
    yield running
    running.stop()


def client(url: str, service: str = "ecr", attempts: int = 1, **keys):
    keys = keys or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    config = Config(retries={"total_max_attempts": attempts, "mode": "standard"})
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", config=config, **keys)


def raw_post(url: str, operation: str) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(
        url,
        data=b"{}",
        headers={"X-Amz-Target": f"{ECR_TARGET}.{operation}", "Content-Type": "application/x-amz-json-1.1"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_throttling_is_ecrs_error_on_the_wire(proxy):
    proxy.state.configure(rate=1.0, faults=["throttle"])
    status, headers, body = raw_post(proxy.url, "DescribeRepositories")
    assert status == 400
    assert headers["Content-Type"] == "application/x-amz-json-1.1"
    assert json.loads(body) == {"__type": "ThrottlingException", "message": "Rate exceeded"}


@pytest.mark.parametrize(
    "fault, error",
    [
        ("throttle", "ThrottlingException"),
        ("server_error", "ServerException"),
        ("unavailable", "503"),
        ("drop", botocore.exceptions.ConnectionClosedError),
        ("drop_after", botocore.exceptions.ConnectionClosedError),
    ],
)
def test_botocore_retries_every_fault_within_its_budget(proxy, fault, error):
    proxy.state.configure(rate=1.0, faults=[fault])
    with pytest.raises((botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)) as raised:
        client(proxy.url, attempts=3).describe_repositories()
    if isinstance(error, str):
        assert raised.value.response["Error"]["Code"] == error
        assert raised.value.response["ResponseMetadata"]["MaxAttemptsReached"] is True
    else:
        assert isinstance(raised.value, error)
    assert len(proxy.state.snapshot()["requests"]) == 3  # retried: the fault counts as transient


def test_drop_after_applies_the_request_and_loses_the_answer(proxy, moto_url):
    proxy.state.configure(rate=1.0, faults=["drop_after"], operations=["CreateRepository"], limit=1)
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        client(proxy.url).create_repository(repositoryName="proxy/applied")
    names = [r["repositoryName"] for r in client(moto_url).describe_repositories()["repositories"]]
    assert "proxy/applied" in names
    # The limit is per operation: the next call goes through.
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client(proxy.url).create_repository(repositoryName="proxy/applied")
    assert raised.value.response["Error"]["Code"] == "RepositoryAlreadyExistsException"


def test_the_same_seed_gives_the_same_faults(proxy):
    sequences = []
    for _attempt in range(2):
        proxy.state.configure(rate=0.5, seed=7, faults=list(FAULT_KINDS))
        proxy.state.reset()
        for _request in range(30):
            proxy.state.decide("ecr", "DescribeRepositories", b"{}")
        sequences.append([proxy.state.decide("ecr", "ListImages", b"{}")[0] for _request in range(20)])
    assert sequences[0] == sequences[1]
    assert len({kind for kind in sequences[0] if kind}) >= 3


def test_only_the_chosen_services_and_operations_get_faults(proxy):
    proxy.state.configure(rate=1.0, faults=["throttle"], services=["ecr"], operations=["CreateRepository"])
    client(proxy.url, "sts").get_caller_identity()
    client(proxy.url).describe_repositories()
    with pytest.raises(botocore.exceptions.ClientError):
        client(proxy.url).create_repository(repositoryName="proxy/throttled")


def test_query_protocol_services_get_their_xml_errors(proxy):
    proxy.state.configure(rate=1.0, faults=["throttle"], services=["sts"])
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client(proxy.url, "sts").get_caller_identity()
    assert raised.value.response["Error"]["Code"] == "Throttling"


def test_writes_accounts_and_secrets_are_recorded(proxy):
    sts = client(proxy.url, "sts")
    credentials = sts.assume_role(RoleArn="arn:aws:iam::210987654321:role/x", RoleSessionName="proxy-test")[
        "Credentials"
    ]
    other = client(
        proxy.url,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    other.create_repository(repositoryName="proxy/other")
    other.get_authorization_token()
    state = proxy.state.snapshot()
    calls = [(r["operation"], r["account"], r["write"]) for r in state["requests"]]
    assert calls == [
        ("AssumeRole", "123456789012", False),
        ("CreateRepository", "210987654321", True),
        ("GetAuthorizationToken", "210987654321", False),
    ]
    assert {credentials["SecretAccessKey"], credentials["SessionToken"], "210987654321-auth-token"} <= set(
        state["secrets"]
    )


def test_deny_rules_answer_without_forwarding(proxy):
    proxy.state.configure(
        deny=[{"service": "sts", "operation": "AssumeRole", "match": "role/locked", "code": "AccessDenied",
               "message": "not authorized to perform: sts:AssumeRole"}]
    )  # fmt: skip
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client(proxy.url, "sts").assume_role(RoleArn="arn:aws:iam::210987654321:role/locked", RoleSessionName="x1")
    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    client(proxy.url, "sts").assume_role(RoleArn="arn:aws:iam::210987654321:role/open", RoleSessionName="x1")
    assert [r["fault"] for r in proxy.state.snapshot()["requests"]] == ["deny", None]


@pytest.mark.parametrize(
    "operation, write",
    [
        ("CreateRepository", True),
        ("BatchDeleteImage", True),
        ("PutLifecyclePolicy", True),
        ("SetRepositoryPolicy", True),
        ("TagResource", True),
        ("PutRolePolicy", True),
        ("DescribeRepositories", False),
        ("BatchGetImage", False),
        ("GetAuthorizationToken", False),
        ("ListTagsForResource", False),
        ("AssumeRole", False),
        ("GetCallerIdentity", False),
    ],
)
def test_write_classification(operation, write):
    assert is_write(operation) is write


def test_the_command_line_starts_a_proxy_with_a_control_api(moto_url, tmp_path):
    port = free_port_block(1)
    argv = [sys.executable, str(HERE / "faultproxy.py"), "--port", str(port), "--upstream", moto_url, "--rate", "1"]
    with open(tmp_path / "proxy.log", "wb") as log:
        process = subprocess.Popen(argv + ["--faults", "server_error"], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{port}/__faultproxy__/state")
        control = ProxyControl(f"http://127.0.0.1:{port}")
        assert control.state()["rate"] == 1.0
        with pytest.raises(botocore.exceptions.ClientError):
            client(f"http://127.0.0.1:{port}").describe_repositories()
        control.configure(rate=0.0)
        control.mark("after")
        client(f"http://127.0.0.1:{port}").describe_repositories()
        assert [(r["fault"], r["mark"]) for r in control.requests()] == [("server_error", None), (None, "after")]
    finally:
        process.terminate()
        process.wait(timeout=10)
