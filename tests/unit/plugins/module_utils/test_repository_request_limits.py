# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Bad tags and KMS keys fail before any call (``_models.repository_request.validate_params``).

ECR refuses them, but only after the UntagResource that comes first (or the CreateRepository) went
through, which is half a change.
"""

from __future__ import annotations

import pytest
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._models import (
    repository_request as models_repository_request,
)


def desired(name: str, **settings) -> dict:
    """A validated ecr_repo request (options left out count as not set)."""
    return models_repository_request.validate_params(dict(settings, name=name))


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
