"""_common/clients.py: botocore's data files parsed once per process (share_botocore_data, warm_botocore_data)."""

from __future__ import annotations

import pytest

boto3 = pytest.importorskip("boto3")
botocore_session = pytest.importorskip("botocore.session")

# pylint: disable=wrong-import-position
from ansible_collections.dockyard.ecr.plugins.module_utils._common import clients  # noqa: E402


@pytest.fixture
def shared(monkeypatch):
    """share_botocore_data installed for the test only (botocore's own factory and an empty cache afterwards)."""
    monkeypatch.setattr(botocore_session, "create_loader", botocore_session.create_loader)
    monkeypatch.setattr(clients, "_SHARED_LOADERS", {})
    monkeypatch.delenv("AWS_DATA_PATH", raising=False)
    assert clients.share_botocore_data()
    return botocore_session


def loader_of(session):
    return session._session.get_component("data_loader")  # pylint: disable=protected-access


def test_sessions_share_one_loader_and_its_parsed_data(shared):
    first, second = boto3.session.Session(), boto3.session.Session()
    assert loader_of(first) is loader_of(second)
    assert loader_of(first).load_data("endpoints") is loader_of(second).load_data("endpoints")
    # boto3 adds its data directory for every session it makes: the shared loader's paths do not grow with them.
    made = [boto3.session.Session() for index in range(20)]
    assert len(made) == 20
    paths = loader_of(boto3.session.Session()).search_paths
    assert len(paths) <= len(set(paths)) + 1


def test_without_sharing_each_session_parses_again(monkeypatch):
    monkeypatch.setattr(botocore_session, "create_loader", botocore_session.create_loader)
    if getattr(botocore_session.create_loader, "dockyard_shared", False):
        pytest.skip("another test of this process installed the shared loader for good")
    assert loader_of(boto3.session.Session()) is not loader_of(boto3.session.Session())


def test_another_data_path_gets_its_own_loader(shared, monkeypatch, tmp_path):
    default = loader_of(boto3.session.Session())
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    other = loader_of(boto3.session.Session())
    assert other is not default and str(tmp_path) in other.search_paths


def test_installing_twice_keeps_one_cache(shared):
    factory = shared.create_loader
    assert clients.share_botocore_data() and shared.create_loader is factory


def test_clients_of_shared_sessions_keep_their_own_credentials_and_regions(shared):
    east = boto3.session.Session(aws_access_key_id="AKIAEAST", aws_secret_access_key="e").client(
        "ecr", region_name="us-east-1"
    )
    west = boto3.session.Session(aws_access_key_id="AKIAWEST", aws_secret_access_key="w").client(
        "ecr", region_name="us-west-2"
    )
    assert east.meta.region_name == "us-east-1" and west.meta.region_name == "us-west-2"
    assert east._request_signer._credentials.access_key == "AKIAEAST"  # pylint: disable=protected-access
    assert west._request_signer._credentials.access_key == "AKIAWEST"  # pylint: disable=protected-access
    assert "us-west-2" in west.meta.endpoint_url


def test_warming_parses_the_models_the_modules_use_without_a_call(shared):
    assert clients.warm_botocore_data(services=("ecr", "sts"))
    loader = loader_of(boto3.session.Session())
    cached = {key[0] for key in loader._cache}  # pylint: disable=protected-access
    assert "load_service_model" in cached and "load_data_with_path" in cached


def test_without_botocore_factory_nothing_is_installed(monkeypatch):
    monkeypatch.delattr(botocore_session, "create_loader")
    assert clients.share_botocore_data() is False
