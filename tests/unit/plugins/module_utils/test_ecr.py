# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""module_utils/ecr.py: registry hosts, repository URIs and error translation."""

import pytest
from ansible_collections.dockyard.ecr.plugins.module_utils._common import errors as common_errors
from ansible_collections.dockyard.ecr.plugins.module_utils._common import partitions as common_partitions
from ansible_collections.dockyard.ecr.plugins.module_utils._common import registry as common_registry
from ansible_collections.dockyard.ecr.plugins.module_utils._common import validators as common_validators

botocore = pytest.importorskip("botocore")


URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app"


@pytest.mark.parametrize(
    "host, expected",
    [
        (None, URI),
        ("", URI),
        ("127.0.0.1:45443", "127.0.0.1:45443/team/app"),
        ("https://registry.example.com/", "registry.example.com/team/app"),
        ("vpce-1.dkr.ecr.us-east-1.vpce.amazonaws.com", "vpce-1.dkr.ecr.us-east-1.vpce.amazonaws.com/team/app"),
    ],
)
def test_repository_uri(host, expected):
    assert common_registry.repository_uri(URI, host) == expected


def test_repository_uri_edge_cases():
    assert common_registry.repository_uri(None, "h:1") is None
    assert common_registry.repository_uri("123456789012.dkr.ecr.us-east-1.amazonaws.com", "h:1") == "h:1"


@pytest.mark.parametrize(
    "registry_id, region, host, expected",
    [
        ("123456789012", "eu-west-1", None, "123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
        ("123456789012", "eu-west-1", "127.0.0.1:5000", "127.0.0.1:5000"),
    ],
)
def test_registry_host_for(registry_id, region, host, expected):
    assert common_registry.registry_host_for(registry_id, region, host) == expected


@pytest.mark.parametrize("host", ["127.0.0.1:45443", "localhost", "[::1]:5000", "http://r.example:80/"])
def test_valid_registry_hosts(host):
    assert common_validators.validate_registry_host(host)


@pytest.mark.parametrize("host", ["r.example/path", "r.example:port", "two words"])
def test_invalid_registry_hosts(host):
    with pytest.raises(common_errors.ECRError) as caught:
        common_validators.validate_registry_host(host)
    assert caught.value.option == "registry_host"
    assert "give it as HOST or HOST:PORT" in caught.value.message


def test_ecr_registry_host_pattern():
    match = common_partitions.registry_host_re().match("123456789012.dkr.ecr.eu-west-1.amazonaws.com")
    assert match.group("account") == "123456789012" and match.group("region") == "eu-west-1"
    assert common_partitions.registry_host_re().match("127.0.0.1:5000") is None


def test_translate_errors():
    error = botocore.exceptions.ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "X")
    with pytest.raises(common_errors.ECRError) as caught:
        with common_errors.translate_errors("do x to 'y'"):
            raise error
    assert caught.value.message == "Failed to do x to 'y'"
    assert caught.value.exception is error
    assert common_errors.error_code(caught.value) == "AccessDeniedException"
    assert common_errors.error_code(ValueError()) is None


def test_translate_errors_leaves_other_errors_alone():
    with pytest.raises(KeyError):
        with common_errors.translate_errors("do x"):
            raise KeyError("k")
