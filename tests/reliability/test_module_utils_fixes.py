# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The module_utils fixes this suite led to, tested in process.

- A write whose answer is lost, and retried: botocore retries a call whose connection dropped, also a
  write that moto (or ECR) had already applied. CreateRepository then meets
  RepositoryAlreadyExistsException; repository.converge must converge the repository that now exists
  instead of failing.
- Bad tags and KMS keys fail before any call: ECR refuses them, but only after the UntagResource that
  comes first (or the CreateRepository) went through, which is half a change.
"""

from __future__ import annotations

import pytest

boto3 = pytest.importorskip("boto3")

# pylint: disable=wrong-import-position
from ansible_collections.amazon.aws.plugins.module_utils.retries import (  # noqa: E402
    AWSRetry,
    RetryingBotoClientWrapper,
)
from ansible_collections.dockyard.ecr.plugins.module_utils import repository  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils.ecr import ECRError  # noqa: E402
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
    params = {
        "name": name,
        "state": "present",
        "registry_id": None,
        "image_tag_mutability": None,
        "image_tag_mutability_exclusion_filters": None,
        "scan_on_push": None,
        "encryption": None,
        "tags": None,
        "purge_tags": True,
        "force": False,
    }
    params.update(settings)
    return repository.validate_params(params)


def test_create_whose_answer_was_lost_converges(moto_url, proxy):
    proxy.state.configure(rate=1.0, faults=["drop_after"], operations=["CreateRepository"], limit=1)
    wanted = desired("retried/create", image_tag_mutability="immutable", scan_on_push=True, tags={"team": "a"})
    changed, before, after = repository.converge(ecr(proxy.url), wanted)
    creates = [r for r in proxy.state.snapshot()["requests"] if r["operation"] == "CreateRepository"]
    assert [r["fault"] for r in creates] == ["drop_after", None]  # applied, answer lost, retried
    assert (changed, before) == (True, {})
    assert after["image_tag_mutability"] == "immutable" and after["scan_on_push"] is True
    assert after["tags"] == {"team": "a"}
    assert after["arn"].endswith(":repository/retried/create")
    # A second run finds nothing to do.
    assert repository.converge(ecr(moto_url), wanted)[0] is False


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
    changed, before, after = repository.converge(client, wanted)
    assert (changed, before) == (True, {})
    read = repository.read_repository(ecr(moto_url), "retried/race")
    assert read["scan_on_push"] is True
    assert read["tags"] == {"team": "b"}  # purge_tags: the other creator's tag is gone
    assert after["tags"] == read["tags"]


def test_other_create_errors_still_fail(moto_url, proxy):
    proxy.state.configure(
        deny=[{"service": "ecr", "operation": "CreateRepository", "code": "LimitExceededException", "status": 400,
               "message": "repositories per registry"}]
    )  # fmt: skip
    with pytest.raises(ECRError) as raised:
        repository.converge(ecr(proxy.url), desired("retried/limit"))
    assert "Failed to create repository 'retried/limit'" in str(raised.value.message)


@pytest.mark.parametrize(
    "tags, fragment",
    [
        ({"aws:owner": "x"}, "tags: tag key 'aws:owner' starts with 'aws:', which AWS reserves"),
        ({"AWS:Owner": "x"}, "starts with 'aws:'"),
        ({"k" * 129: "x"}, "has 129 characters; give 1 to 128"),
        ({"": "x"}, "tags: tag key '' has 0 characters"),
        ({"team": "v" * 257}, "tags: the value of tag 'team' has 257 characters; ECR allows at most 256"),
        ({f"k{i}": "v" for i in range(51)}, "tags: 51 tags; a repository can have at most 50"),
    ],
)
def test_bad_tags_fail_before_any_call(tags, fragment):
    with pytest.raises(ECRError) as raised:
        desired("team/app", tags=tags)
    assert fragment in raised.value.message
    assert raised.value.option == "tags"


def test_good_tags_pass():
    tags = {"k" * 128: "v" * 256, "team": "", "cost-center": "42", "Ünïcode key": "välue"}
    assert desired("team/app", tags=tags)["tags"] == tags


@pytest.mark.parametrize(
    "kms_key",
    [
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "mrk-1234abcd12ab34cd56ef1234567890ab",
        "alias/ecr",
        "alias/aws/ecr",
        "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws-cn:kms:cn-north-1:123456789012:alias/team/ecr",
    ],
)
def test_kms_key_forms_are_accepted(kms_key):
    assert desired("team/app", encryption={"type": "KMS", "kms_key": kms_key})["encryption"]["kms_key"] == kms_key


@pytest.mark.parametrize(
    "kms_key",
    [
        "arn:aws:kms:us-east-1:123:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:us-east-1:123456789012:key/not-a-key-id",
        "my-key",
        "alias/",
        "arn:aws:iam::123456789012:role/ecr",
    ],
)
def test_bad_kms_keys_fail_before_any_call(kms_key):
    with pytest.raises(ECRError) as raised:
        desired("team/app", encryption={"type": "KMS", "kms_key": kms_key})
    assert f"encryption.kms_key: {kms_key!r} is not a KMS key ID, key ARN, alias name or alias ARN" in (
        raised.value.message
    )
