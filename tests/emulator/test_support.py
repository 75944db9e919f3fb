"""tests/support itself: the ports it hands out and the moto environment it passes on."""

from __future__ import annotations

import socket

import pytest

boto3 = pytest.importorskip("boto3")
botocore = pytest.importorskip("botocore")

# pylint: disable=wrong-import-position
from support import Emulator, MotoServer, free_port_block, have_registry, port_free  # noqa: E402
from support.fixtures import emulator_factory  # noqa: E402,F401  pylint: disable=unused-import

AUTH = {"INITIAL_NO_AUTH_ACTION_COUNT": "0"}  # moto checks credentials from the first request on


def test_free_port_block_is_free_consecutive_and_below_the_ephemeral_ports():
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii").read().split()[0])
    base = free_port_block(4)
    assert base + 4 <= low
    assert all(port_free(port) for port in range(base, base + 4))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", base))
        taken.listen()
        assert not port_free(base)


def refused_code(url: str) -> str:
    sts = boto3.client(
        "sts", endpoint_url=url, region_name="us-east-1", aws_access_key_id="AKIAUNKNOWN", aws_secret_access_key="x"
    )
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        sts.get_caller_identity()
    return caught.value.response["Error"]["Code"]


def test_moto_server_passes_its_environment_to_moto(tmp_path):
    server = MotoServer(tmp_path, env=AUTH)
    try:
        assert refused_code(server.url) == "InvalidClientTokenId"
    finally:
        server.stop()


def test_emulator_passes_moto_env_to_moto_only(tmp_path):
    if not have_registry():
        pytest.skip("docker-registry is not installed (Debian package docker-registry)")
    with Emulator.running(tmp_path / "la", moto_env=AUTH) as stack:
        assert refused_code(stack.endpoint) == "InvalidClientTokenId"
        assert stack.healthy()


def test_emulator_factory_starts_separate_stacks(emulator_factory):
    first = emulator_factory(["123456789012"], "first")
    second = emulator_factory(["123456789012", "210987654321"], "second", region="eu-west-1")
    assert first.endpoint != second.endpoint and first.host() != second.host()
    assert first.healthy() and second.healthy()
    first.client("ecr").create_repository(repositoryName="only-in-first")
    assert second.client("ecr").describe_repositories()["repositories"] == []
    assert second.client("ecr", "210987654321").meta.region_name == "eu-west-1"


def test_moto_lists_its_modules_once_with_the_same_answer(monkeypatch):
    # localaws's moto server lists moto's package directory once instead of on every request.
    from localaws.motoserver import list_moto_modules_once  # pylint: disable=import-outside-toplevel
    from moto import backends  # pylint: disable=import-outside-toplevel

    monkeypatch.setattr(backends, "list_of_moto_modules", backends.list_of_moto_modules)
    every_time = tuple(backends.list_of_moto_modules())
    list_moto_modules_once()
    assert backends.list_of_moto_modules() == every_time and "ecr" in every_time and "sts" in every_time
    assert backends.list_of_moto_modules() is backends.list_of_moto_modules()
