# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest
from ansible_collections.dockyard.ecr.plugins.module_utils._models.image_reference import (
    ReferenceError,
    parse_reference,
)

DIGEST = "sha256:" + "e" * 64


@pytest.mark.parametrize(
    "term, expected",
    [
        ("team/app:v1", ("team/app", "v1", None)),
        ("team/app", ("team/app", "latest", None)),
        (" app:1.2 ", ("app", "1.2", None)),
        (f"team/app@{DIGEST}", ("team/app", None, DIGEST)),
    ],
)
def test_parse(term, expected):
    assert parse_reference(term) == expected


@pytest.mark.parametrize(
    "term, fragment",
    [
        ("", "is not an image reference"),
        (None, "is not an image reference"),
        ("team/app:", "has an empty tag"),
        ("team/app@sha256:12", "is not an image digest"),
        ("127.0.0.1:5000/team/app:v1", "starts with a registry host (127.0.0.1:5000)"),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1", "starts with a registry host"),
    ],
)
def test_refused(term, fragment):
    with pytest.raises(ReferenceError) as caught:
        parse_reference(term)
    assert fragment in str(caught.value)
