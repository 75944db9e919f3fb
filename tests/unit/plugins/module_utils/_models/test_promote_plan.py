# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import base64
import json

import pytest
from ansible_collections.dockyard.ecr.plugins.module_utils._models import promote_plan as pp

DIGEST = "sha256:" + "a" * 64
OTHER = "sha256:" + "b" * 64


def source(**kwargs):
    spec = {"repository": "team/app", "tag": "build-1"}
    spec.update(kwargs)
    return pp.validate_source(spec, "us-east-1")


def destination(**kwargs):
    return pp.validate_destinations([kwargs], source())[0]


def test_source_defaults_region_and_keeps_tag():
    result = source()
    assert result["region"] == "us-east-1"
    assert result["tag"] == "build-1"
    assert result["digest"] is None
    assert result["registry_id"] is None


@pytest.mark.parametrize(
    "spec, option, fragment",
    [
        ({"tag": None}, "source", "exactly one of source.tag and source.digest"),
        ({"digest": DIGEST}, "source", "exactly one of"),
        ({"tag": None, "digest": "sha256:abc"}, "source.digest", "is not an image digest"),
        ({"registry_id": "12345"}, "source.registry_id", "is not an AWS account ID"),
        ({"region": "mars"}, "source.region", "is not an AWS region name"),
        ({"role_arn": "role/x"}, "source.role_arn", "is not an IAM role ARN"),
        ({"registry_host": "host/with/path"}, "source.registry_host", "is not a host name"),
    ],
)
def test_source_errors_name_the_option(spec, option, fragment):
    with pytest.raises(pp.PromoteError) as caught:
        source(**spec)
    assert caught.value.option == option
    assert caught.value.message.startswith(option + ":")
    assert fragment in caught.value.message


def test_source_without_region_anywhere():
    with pytest.raises(pp.PromoteError, match=r"^source.region: no region"):
        pp.validate_source({"repository": "team/app", "tag": "x"}, None)


def test_registry_host_loses_scheme_and_slash():
    assert source(registry_host="https://127.0.0.1:5000/")["registry_host"] == "127.0.0.1:5000"


def test_destination_defaults_from_source():
    result = destination()
    assert result["repository"] == "team/app"
    assert result["region"] == "us-east-1"
    assert result["tags"] == ["build-1"]
    assert result["index"] == 0


def test_destination_tags_deduplicated_in_order():
    assert destination(tags=["v1", "prod", "v1"])["tags"] == ["v1", "prod"]


def test_digest_source_needs_destination_tags():
    src = source(tag=None, digest=DIGEST)
    with pytest.raises(pp.PromoteError) as caught:
        pp.validate_destinations([{"registry_id": "111111111111"}, {}], src)
    assert caught.value.option == "destinations[0].tags"


def test_no_destinations():
    with pytest.raises(pp.PromoteError, match="^destinations: give at least one"):
        pp.validate_destinations([], source())


def test_second_destination_error_names_its_index():
    with pytest.raises(pp.PromoteError) as caught:
        pp.validate_destinations([{}, {"registry_id": "x"}], source())
    assert caught.value.option == "destinations[1].registry_id"


def state(tags=None, immutable=(), has_digest=False, repository=True):
    return {
        "repository": {"uri": "host/team/app"} if repository else None,
        "tags": tags or {},
        "immutable": set(immutable),
        "has_digest": has_digest,
    }


def test_plan_nothing_to_do():
    dest = destination(tags=["v1", "prod"])
    plan = pp.plan_destination(DIGEST, dest, state({"v1": DIGEST, "prod": DIGEST}, has_digest=True))
    assert plan["action"] == pp.NONE
    assert plan["retag"] == [] and plan["copy_tag"] is None
    assert plan["before"] == plan["after"]


def test_plan_retag_when_the_digest_is_there():
    dest = destination(tags=["v1", "prod"])
    plan = pp.plan_destination(DIGEST, dest, state({"v1": DIGEST, "prod": None}, has_digest=True))
    assert plan["action"] == pp.RETAG
    assert plan["retag"] == ["prod"]
    assert plan["unchanged"] == ["v1"]
    assert plan["before"] == {"v1": DIGEST, "prod": None}


def test_plan_copy_first_tag_then_retag():
    dest = destination(tags=["v1", "prod"])
    plan = pp.plan_destination(DIGEST, dest, state({"v1": None, "prod": None}))
    assert plan["action"] == pp.COPY
    assert plan["copy_tag"] == "v1"
    assert plan["retag"] == ["prod"]


def test_plan_moves_a_mutable_tag():
    dest = destination(tags=["prod"])
    plan = pp.plan_destination(DIGEST, dest, state({"prod": OTHER}, has_digest=True))
    assert plan["action"] == pp.RETAG
    assert plan["moved"] == ["prod"]
    assert plan["after"] == {"prod": DIGEST}


def test_plan_refuses_an_immutable_tag_naming_both_digests():
    dest = destination(tags=["v1", "prod"])
    with pytest.raises(pp.PromoteError) as caught:
        pp.plan_destination(DIGEST, dest, state({"v1": OTHER, "prod": None}, immutable={"v1", "prod"}))
    assert caught.value.option == "destinations[0].tags"
    assert "tag 'v1' is immutable and points at " + OTHER in caught.value.message
    assert DIGEST in caught.value.message
    assert "prod" not in caught.value.message


def test_plan_immutable_tag_already_right_is_fine():
    dest = destination(tags=["v1"])
    plan = pp.plan_destination(DIGEST, dest, state({"v1": DIGEST}, immutable={"v1"}, has_digest=True))
    assert plan["action"] == pp.NONE


def test_plan_missing_repository():
    with pytest.raises(pp.PromoteError) as caught:
        pp.plan_destination(DIGEST, destination(registry_id="111111111111"), state(repository=False))
    assert caught.value.option == "destinations[0].repository"
    assert "team/app in 111111111111 us-east-1 does not exist" in caught.value.message


@pytest.mark.parametrize(
    "dest, same",
    [
        ({}, True),
        ({"repository": "team/other"}, False),
        ({"region": "eu-west-1"}, False),
        ({"registry_id": "111111111111"}, False),
    ],
)
def test_same_repository(dest, same):
    assert pp.same_repository(source(), destination(**dest)) is same


def test_references():
    assert pp.image_reference("h:5", "team/app", digest=DIGEST) == f"docker://h:5/team/app@{DIGEST}"
    assert pp.image_reference("h:5", "team/app", tag="v1") == "docker://h:5/team/app:v1"


def test_skopeo_argv_copies_everything_and_holds_no_secret():
    argv = pp.skopeo_argv("skopeo", "/tmp/x/auth.json", "docker://a/r@d", "docker://b/r:v1", "/tmp/x/digest")
    assert argv[:4] == ["skopeo", "copy", "--all", "--preserve-digests"]
    assert argv[argv.index("--authfile") + 1] == "/tmp/x/auth.json"
    assert argv[-2:] == ["docker://a/r@d", "docker://b/r:v1"]


def test_auth_file_document():
    document = json.loads(pp.auth_file_document({"b:1": ("AWS", "pw-b"), "a:1": ("AWS", "pw-a")}))
    assert list(document["auths"]) == ["a:1", "b:1"]
    assert base64.b64decode(document["auths"]["b:1"]["auth"]).decode() == "AWS:pw-b"


def test_diff_keys_by_registry_region_repository():
    entries = [
        {
            "registry_id": "111111111111",
            "region": "eu-west-1",
            "repository": "team/app",
            "plan": {"before": {"v1": None}, "after": {"v1": DIGEST}},
        }
    ]
    assert pp.diff(entries) == {
        "before": {"111111111111/eu-west-1/team/app": {"v1": None}},
        "after": {"111111111111/eu-west-1/team/app": {"v1": DIGEST}},
    }
