# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Deletion safety: a lifecycle policy may not expire more than max_expire_percent of the images, and a
repository that holds images is only deleted with force, in the modules and in the repositories role.

The module side of max_expire_percent (check mode, real, check mode again, real again) is in the
ecr_lifecycle integration target; here are its rules in process, and the role.
"""

from __future__ import annotations

import json

import pytest

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

# pylint: disable=wrong-import-position
from ansible_collections.amazon.aws.plugins.module_utils.retries import (  # noqa: E402
    AWSRetry,
    RetryingBotoClientWrapper,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import (  # noqa: E402
    LifecycleError,
    RepositoryNotFoundError,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import lifecycle as conv_lc  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._models import (  # noqa: E402
    lifecycle_guard,
    lifecycle_validation,
)
from conftest import (  # noqa: E402
    ACCESS_KEY,
    DEFAULT_ACCOUNT,
    PLAYBOOKS,
    ROOT,
    SECRET_KEY,
    client,
    put_image,
    remember_account_secrets,
)

KEEP_ONE = [{"priority": 1, "tag_status": "any", "count_type": "image_count_more_than", "count": 1}]
MANIFEST = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2, "digest": "sha256:" + "6" * 64},
    "layers": [],
}


def preview(images: int, expired: int, transitioned: int = 0) -> dict:
    return {
        "totals": {
            "images": images,
            "bytes": images * 10,
            "expired_images": expired,
            "expired_bytes": expired * 10,
            "transitioned_images": transitioned,
            "transitioned_bytes": transitioned * 10,
            "kept_images": images - expired - transitioned,
            "kept_bytes": (images - expired - transitioned) * 10,
        },
        "rules": [
            {"priority": 1, "action": "expire", "acted_images": expired},
            {"priority": 2, "action": "transition", "acted_images": transitioned},
        ],
    }


@pytest.mark.parametrize("value", [0, 1, 50, 100])
def test_percentages_are_accepted(value):
    assert lifecycle_guard.validate_max_expire_percent(value) == value


def test_not_set_is_the_default_guard():
    assert lifecycle_guard.validate_max_expire_percent(None) is None


@pytest.mark.parametrize("value", [-1, 101, True, "50", 12.5])
def test_other_values_are_refused(value):
    with pytest.raises(LifecycleError) as raised:
        lifecycle_guard.validate_max_expire_percent(value)
    assert raised.value.option == "max_expire_percent"
    assert "is not a percentage" in raised.value.message


@pytest.mark.parametrize(
    "images, expired, limit",
    [(2, 1, 50), (10, 0, 0), (0, 0, 0), (3, 3, 100), (1000, 1, 1), (10, 1, 10)],
)
def test_within_the_limit(images, expired, limit):
    lifecycle_guard.check_expire_share(preview(images, expired), limit, "team/app")


def test_over_the_limit_names_the_counts_and_the_way_out():
    with pytest.raises(LifecycleError) as raised:
        lifecycle_guard.check_expire_share(preview(3, 2), 50, "team/app")
    assert raised.value.message == (
        "max_expire_percent: the lifecycle policy would expire 2 of the 3 images in repository 'team/app' (67%, "
        "20 bytes; rule 1: 2), more than the 50% max_expire_percent allows, so nothing was written. Check the rules "
        "(preview=true lists every image and the rule that expires it), or set max_expire_percent to 67 or more"
    )


def test_transitions_do_not_count():
    lifecycle_guard.check_expire_share(preview(10, 0, transitioned=10), 0, "team/app")
    with pytest.raises(LifecycleError):
        lifecycle_guard.check_expire_share(preview(10, 1, transitioned=9), 0, "team/app")


@pytest.fixture
def ecr():
    with moto.mock_aws():
        raw = boto3.client("ecr", region_name="us-east-1")
        raw.create_repository(repositoryName="team/app")
        for index in range(3):
            put_image(raw, "team/app", dict(MANIFEST, annotations={"index": str(index)}), f"1.{index}")
        calls = []
        raw.meta.events.register("before-call.ecr", lambda model, **kwargs: calls.append(model.name))
        yield RetryingBotoClientWrapper(raw, AWSRetry.jittered_backoff()), calls


def guard(client_, desired, limit, repository="team/app"):
    """The guarded path's answer: (evaluation, current), as ecr_lifecycle and ecr_repositories see it."""
    checked = conv_lc.check_lifecycle(client_, repository, None, desired, max_expire_percent=limit)
    return checked["evaluation"], checked["current"]


def test_guard_refuses_a_new_policy_over_the_limit(ecr):
    client_, calls = ecr
    desired = lifecycle_validation.validate_rules(KEEP_ONE)
    with pytest.raises(LifecycleError) as raised:
        guard(client_, desired, 50)
    assert "would expire 2 of the 3 images" in raised.value.message
    assert calls == ["GetLifecyclePolicy", "DescribeImages"]


def test_guard_lets_a_policy_in_place_and_a_raised_limit_through(ecr):
    client_, calls = ecr
    desired = lifecycle_validation.validate_rules(KEEP_ONE)
    found, current = guard(client_, desired, 67)
    assert found["totals"]["expired_images"] == 2 and current is None
    conv_lc.converge_lifecycle(client_, "team/app", None, desired, current=current)
    calls.clear()
    assert guard(client_, desired, 0)[0] is None
    assert calls == ["GetLifecyclePolicy"]  # in place: not checked again, no image read


def test_guard_off_reads_no_image(ecr):
    client_, calls = ecr
    desired = lifecycle_validation.validate_rules(KEEP_ONE)
    assert guard(client_, desired, 100)[0] is None
    assert guard(client_, None, 0)[0] is None
    assert "DescribeImages" not in calls and "BatchGetImage" not in calls


def test_guard_on_a_missing_repository(ecr):
    client_ = ecr[0]
    with pytest.raises(RepositoryNotFoundError):
        guard(client_, lifecycle_validation.validate_rules(KEEP_ONE), 10, repository="team/missing")


@pytest.mark.skipif(
    not (ROOT / "roles" / "repositories" / "tasks" / "main.yml").exists(),
    reason="the repositories role (roles/repositories) is not in the collection yet",
)
def test_the_repositories_role_deletes_a_repository_with_images_only_with_force(emulators, ansible, tmp_path):
    remember_account_secrets(DEFAULT_ACCOUNT)
    server = emulators.moto()
    proxy = emulators.proxy(server.url)
    ecr = client(server.url, "ecr")
    for name in ("safe/full", "safe/empty"):
        ecr.create_repository(repositoryName=name)
    for index in range(2):
        put_image(ecr, "safe/full", dict(MANIFEST, annotations={"index": str(index)}), f"1.{index}")
    run = ansible.run(
        PLAYBOOKS / "role_absent.yml",
        "role-absent",
        extra_vars={
            "aws_endpoint_url": proxy.url,
            "aws_access_key": ACCESS_KEY,
            "aws_secret_key": SECRET_KEY,
            "results_file": str(tmp_path / "results.json"),
        },
    )
    assert run.rc == 0, run.tail()
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["without_force"]["failed"] is True
    assert "force" in results["without_force"]["msg"] and "safe/full" in results["without_force"]["msg"]
    assert "2 images" in results["without_force"]["msg"]
    assert results["check_with_force"]["changed"] is True
    assert results["with_force"]["changed"] is True
    assert results["again"]["changed"] is False
    deletes = [r["operation"] for r in proxy.harvest()["requests"] if r["write"]]
    # Without force the empty repository goes and the one with images stays; with force it goes too.
    assert deletes == ["DeleteRepository", "DeleteRepository"], deletes
    assert ecr.describe_repositories()["repositories"] == []
