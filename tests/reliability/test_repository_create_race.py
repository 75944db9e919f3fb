# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Creating a repository that meets a lost answer or another creator (``_converge.repository.converge``).

Tested in process against a moto server (the suite's ``moto_url``) behind the fault proxy.

- A write whose answer is lost, and retried: botocore retries a call whose connection dropped, also a
  write that moto (or ECR) had already applied. CreateRepository then meets
  RepositoryAlreadyExistsException; converge_repository.converge must converge the repository that now exists
  instead of failing.
"""

from __future__ import annotations

import pytest

boto3 = pytest.importorskip("boto3")

# pylint: disable=wrong-import-position
from ansible_collections.amazon.aws.plugins.module_utils.retries import (  # noqa: E402
    AWSRetry,
    RetryingBotoClientWrapper,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import repository as converge_repository
from ansible_collections.dockyard.ecr.plugins.module_utils._models import (
    repository_request as models_repository_request,
)
from faultproxy import FaultProxy  # noqa: E402


@pytest.fixture
def proxy(moto_url):
    running = FaultProxy(moto_url).start()
    yield running
    running.stop()


def ecr(url: str):
    raw = boto3.client(
        "ecr", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    return RetryingBotoClientWrapper(raw, AWSRetry.jittered_backoff())


def desired(name: str, **settings) -> dict:
    """A validated ecr_repo request (options left out count as not set)."""
    return models_repository_request.validate_params(dict(settings, name=name))


def test_create_whose_answer_was_lost_converges(moto_url, proxy):
    proxy.state.configure(rate=1.0, faults=["drop_after"], operations=["CreateRepository"], limit=1)
    wanted = desired("retried/create", image_tag_mutability="immutable", scan_on_push=True, tags={"team": "a"})
    changed, before, after = converge_repository.converge(ecr(proxy.url), wanted)
    creates = [r for r in proxy.state.snapshot()["requests"] if r["operation"] == "CreateRepository"]
    assert [r["fault"] for r in creates] == ["drop_after", None]  # applied, answer lost, retried
    assert (changed, before) == (True, {})
    assert after["image_tag_mutability"] == "immutable" and after["scan_on_push"] is True
    assert after["tags"] == {"team": "a"}
    assert after["arn"].endswith(":repository/retried/create")
    # A second run finds nothing to do.
    assert converge_repository.converge(ecr(moto_url), wanted)[0] is False


def test_create_that_meets_another_creator_converges_its_settings(moto_url):
    """Someone else created the repository between our read and our create: ours converges it."""
    client = ecr(moto_url)
    real_create = client.client.create_repository

    def create_after_someone_else(**kwargs):
        real_create(repositoryName=kwargs["repositoryName"], tags=[{"Key": "owner", "Value": "other"}])
        return real_create(**kwargs)

    client.client.create_repository = create_after_someone_else
    client.__dict__.pop("create_repository", None)
    wanted = desired("retried/race", scan_on_push=True, tags={"team": "b"})
    changed, before, after = converge_repository.converge(client, wanted)
    assert (changed, before) == (True, {})
    read = converge_repository.read_repository(ecr(moto_url), "retried/race")
    assert read["scan_on_push"] is True
    assert read["tags"] == {"team": "b"}  # purge_tags: the other creator's tag is gone
    assert after["tags"] == read["tags"]


def test_other_create_errors_still_fail(moto_url, proxy):
    proxy.state.configure(
        deny=[{"service": "ecr", "operation": "CreateRepository", "code": "LimitExceededException", "status": 400,
               "message": "repositories per registry"}]
    )  # fmt: skip
    with pytest.raises(ECRError) as raised:
        converge_repository.converge(ecr(proxy.url), desired("retried/limit"))
    assert "Failed to create repository 'retried/limit'" in str(raised.value.message)
