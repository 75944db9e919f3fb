# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The guarded lifecycle path: the default guard, what a dry run reads, artifacts, and botocore features.

The pure rules run on ``evaluate()``'s answers; the AWS side runs against in-process moto, with a botocore
``before-call`` hook recording every operation, so the tests pin which calls a dry run makes (``BatchGetImage``
counts as a pull on ECR). Old images are made by moving moto's push time back, as time passes on ECR.
"""

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

# pylint: disable=wrong-import-position
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import BulkError, LifecycleError  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import bulk as converge_bulk  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import lifecycle as conv_lifecycle  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._models import bulk_request  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._models import estate  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._models import lifecycle_evaluation  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._models import lifecycle_guard  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._models import lifecycle_request  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._models import lifecycle_rules  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._models import lifecycle_validation  # noqa: E402

NOW = datetime(2025, 6, 30, 12, 0, tzinfo=timezone.utc)
ACCOUNT = "123456789012"
REGION = "us-east-1"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"

# The policy of issue 19: every image older than a week, on a repository whose images are 30 days old.
EVERYTHING_AFTER_A_WEEK = [{"priority": 1, "tag_status": "any", "count_type": "since_image_pushed", "count": 7}]
UNTAGGED_AFTER_A_DAY = [{"priority": 1, "tag_status": "untagged", "count_type": "since_image_pushed", "count": 1}]
KEEP_ONE = [{"priority": 1, "tag_status": "any", "count_type": "image_count_more_than", "count": 1}]


def digest(name):
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


def image(name, tags, days_ago, size=100, **extra):
    detail = {
        "imageDigest": digest(name),
        "imageTags": list(tags),
        "imagePushedAt": NOW - timedelta(days=days_ago),
        "imageSizeInBytes": size,
    }
    detail.update(extra)
    return detail


def evaluate(rules, images):
    return lifecycle_evaluation.evaluate(rules, images, now=NOW)


def refusal(func, *args, **kwargs):
    with pytest.raises(LifecycleError) as info:
        func(*args, **kwargs)
    return info.value


# ---------------------------------------------------------------------------------------------
# The guard's rules (pure)
# ---------------------------------------------------------------------------------------------


def thirty_days_old(tagged=3, untagged=1):
    return [image(f"T{i}", [f"v{i}"], 30, size=10) for i in range(tagged)] + [
        image(f"U{i}", [], 30, size=5) for i in range(untagged)
    ]


def test_by_default_a_policy_that_leaves_no_tagged_image_is_refused():
    error = refusal(lifecycle_guard.judge, evaluate(EVERYTHING_AFTER_A_WEEK, thirty_days_old()), None, "team/app")
    assert error.option == "max_expire_percent"
    assert error.message == (
        "max_expire_percent: the lifecycle policy would expire all 3 tagged images of repository 'team/app' and "
        "leave it no tagged image (4 of the 4 images expired, 100%, 35 bytes; rule 1: 4), so nothing was written. "
        "Check the rules (preview=true lists every image and the rule that expires it); if this is what you mean, "
        "set max_expire_percent: 100"
    )


def test_max_expire_percent_100_means_it():
    assert lifecycle_guard.judge(evaluate(EVERYTHING_AFTER_A_WEEK, thirty_days_old()), 100, "team/app") == []


def test_an_explicit_limit_keeps_the_refusal_of_no_tagged_image():
    preview = evaluate(EVERYTHING_AFTER_A_WEEK, thirty_days_old())
    assert "leave it no tagged image" in refusal(lifecycle_guard.judge, preview, 99, "team/app").message


def test_an_explicit_limit_is_a_limit():
    images = thirty_days_old(tagged=1, untagged=3)
    preview = evaluate(UNTAGGED_AFTER_A_DAY, images)  # 3 of 4 images, the tagged one stays
    assert "more than the 50% max_expire_percent allows" in refusal(lifecycle_guard.judge, preview, 50, "r").message
    assert lifecycle_guard.judge(preview, 75, "r") == []  # explicit: no warning either


def test_by_default_more_than_half_warns_with_counts():
    preview = evaluate(UNTAGGED_AFTER_A_DAY, thirty_days_old(tagged=1, untagged=3))
    assert lifecycle_guard.judge(preview, None, "team/app") == [
        "repository 'team/app': the new lifecycle policy would expire 3 of the 4 images (75%, 15 bytes; rule 1: 3), "
        "more than half. Set max_expire_percent to a limit to refuse such a policy, or to 100 to say that this is "
        "meant"
    ]


def test_by_default_half_or_less_says_nothing():
    preview = evaluate(UNTAGGED_AFTER_A_DAY, thirty_days_old(tagged=2, untagged=2))
    assert lifecycle_guard.judge(preview, None, "team/app") == []


def test_a_repository_of_untagged_images_has_no_tagged_image_to_lose():
    preview = evaluate(EVERYTHING_AFTER_A_WEEK, thirty_days_old(tagged=0, untagged=2))
    assert len(lifecycle_guard.judge(preview, None, "team/app")) == 1  # a warning, not a refusal


def test_archiving_every_tagged_image_is_not_expiring_it():
    rules = [dict(EVERYTHING_AFTER_A_WEEK[0], action="transition")]
    assert lifecycle_guard.judge(evaluate(rules, thirty_days_old()), None, "team/app") == []


@pytest.mark.parametrize("value", [None, 0, 100])
def test_max_expire_percent_values(value):
    assert lifecycle_guard.validate_max_expire_percent(value) == value


# ---------------------------------------------------------------------------------------------
# Artifacts follow their subject (pure)
# ---------------------------------------------------------------------------------------------


def by_digest(result):
    return {entry["digest"]: entry for entry in result["images"]}


def test_an_artifact_a_rule_would_archive_is_expired_with_its_subject():
    images = [
        image("A", ["old-1"], 40, size=50),
        image("SIG", ["sig"], 40, size=2, subjectManifestDigest=digest("A"), artifactMediaType="application/x-sig"),
    ]
    rules = [
        {"priority": 1, "tag_prefixes": ["old"], "count_type": "since_image_pushed", "count": 30},
        {"priority": 2, "tag_status": "any", "count_type": "since_image_pushed", "count": 30, "action": "transition"},
    ]
    result = evaluate(rules, images)
    assert by_digest(result)[digest("SIG")]["action"] == "expire"
    assert by_digest(result)[digest("SIG")]["reason"] == f"follows its subject {digest('A')}"
    assert result["totals"]["expired_images"] == 2 and result["totals"]["expired_bytes"] == 52


def test_an_artifact_shielded_by_a_rule_is_expired_with_its_subject():
    images = [
        image("A", ["old-1"], 40),
        image("SBOM", ["sbom-1"], 40, subjectManifestDigest=digest("A")),
    ]
    rules = [
        {"priority": 1, "tag_prefixes": ["sbom"], "count_type": "image_count_more_than", "count": 100},
        {"priority": 2, "tag_prefixes": ["old"], "count_type": "since_image_pushed", "count": 30},
    ]
    assert by_digest(evaluate(rules, images))[digest("SBOM")]["action"] == "expire"


def test_an_artifact_is_archived_with_its_subject_unless_it_is_expired_itself():
    images = [
        image("A", ["v1"], 40),
        image("SIG", [], 40, subjectManifestDigest=digest("A")),
        image("SIG2", [], 1, subjectManifestDigest=digest("A")),
    ]
    rules = [
        {"priority": 1, "tag_status": "untagged", "count_type": "since_image_pushed", "count": 30},
        {"priority": 2, "tag_status": "any", "count_type": "since_image_pushed", "count": 30, "action": "transition"},
    ]
    entries = by_digest(evaluate(rules, images))
    assert entries[digest("A")]["action"] == "transition"
    assert entries[digest("SIG")]["action"] == "expire"  # its own rule expires it
    assert entries[digest("SIG2")]["action"] == "transition"  # too young for its own rule: archived with A


def test_the_guard_counts_artifacts_with_their_subject():
    images = [image("A", ["v1"], 40), image("SIG", ["sig-v1"], 1, subjectManifestDigest=digest("A"))]
    rules = [{"priority": 1, "tag_patterns": ["v*"], "count_type": "since_image_pushed", "count": 30}]
    assert "all 2 tagged images" in refusal(lifecycle_guard.judge, evaluate(rules, images), None, "r").message


# ---------------------------------------------------------------------------------------------
# Which manifest lists matter (pure)
# ---------------------------------------------------------------------------------------------


def index_images(list_days=1, list_tags=("v1",)):
    return [
        image("amd64", [], 30),
        image("arm64", [], 30),
        image("L", list(list_tags), list_days, imageManifestMediaType=OCI_INDEX),
    ]


def test_no_manifest_list_is_read_when_the_policy_acts_on_nothing():
    images = index_images()
    rules = [{"priority": 1, "tag_status": "any", "count_type": "since_image_pushed", "count": 365}]
    assert lifecycle_evaluation.manifest_lists_to_read(evaluate(rules, images), images) == []


def test_a_list_that_stays_is_read_when_the_policy_acts_on_some_image():
    images = index_images()
    assert lifecycle_evaluation.manifest_lists_to_read(evaluate(UNTAGGED_AFTER_A_DAY, images), images) == [digest("L")]


def test_a_list_that_goes_is_not_among_the_lists_to_read():
    images = index_images(list_days=30)
    assert lifecycle_evaluation.manifest_lists_to_read(evaluate(EVERYTHING_AFTER_A_WEEK, images), images) == []


def test_a_list_read_already_is_not_read_again():
    images = index_images()
    images[2]["childDigests"] = [digest("amd64"), digest("arm64")]
    result = evaluate(UNTAGGED_AFTER_A_DAY, images)
    assert lifecycle_evaluation.manifest_lists_to_read(result, images) == []
    assert result["totals"]["expired_images"] == 0  # the children stay with their list


# ---------------------------------------------------------------------------------------------
# botocore features: only the evaluation needs them, and only for rules on archived images
# ---------------------------------------------------------------------------------------------

TRANSITION = [dict(KEEP_ONE[0], action="transition")]
ARCHIVE_EXPIRY = [
    {
        "priority": 1,
        "tag_status": "any",
        "storage_class": "archive",
        "count_type": "since_image_transitioned",
        "count": 90,
    }
]


def test_a_transition_policy_is_a_valid_request_whatever_botocore_knows():
    document = lifecycle_request.desired_document({"rules": TRANSITION})
    assert document["rules"][0]["action"]["type"] == "transition"
    assert lifecycle_rules.features_to_evaluate(document) == frozenset()
    assert lifecycle_rules.features_to_evaluate(lifecycle_validation.validate_rules(ARCHIVE_EXPIRY)) == {"archive"}


def test_bulk_entries_take_the_guard_options():
    requests = bulk_request.validate_params(
        {
            "repositories": [
                {"name": "a/x", "lifecycle": {"rules": TRANSITION, "preview": True, "max_expire_percent": 100}},
                {"name": "a/y", "lifecycle": {"max_expire_percent": 10}},
            ]
        }
    )
    assert requests[0]["lifecycle"]["preview"] is True and requests[0]["lifecycle"]["max_expire_percent"] == 100
    assert requests[1]["lifecycle"] is None  # the guard alone asks for no policy: left alone


def test_bulk_entries_refuse_a_bad_limit():
    with pytest.raises(BulkError) as info:
        bulk_request.validate_params(
            {"repositories": [{"name": "a/x", "lifecycle": {"keep_last": 1, "max_expire_percent": 150}}]}
        )
    assert "repositories[0] (name 'a/x').lifecycle.max_expire_percent: 150 is not a percentage" in str(info.value)


# ---------------------------------------------------------------------------------------------
# AWS side: what a dry run reads, against moto in process
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def aws():
    with pytest.MonkeyPatch.context() as patch:
        for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR"):
            patch.delenv(var, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        with moto.mock_aws():
            raw = boto3.client("ecr", region_name=REGION)
            calls = []
            raw.meta.events.register("before-call.ecr", lambda model, **kwargs: calls.append(model.name))
            yield raw, RetryingBotoClientWrapper(raw, AWSRetry.jittered_backoff(retries=2)), calls


def put(raw, repository, name, tag=None, media_type=OCI_MANIFEST, body=None):
    body = body or json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(name), "size": 10},
            "layers": [
                {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest(name + "l"), "size": 1}
            ],
        }
    )
    found = "sha256:" + hashlib.sha256(body.encode()).hexdigest()
    extra = {"imageTag": tag} if tag else {}
    raw.put_image(
        repositoryName=repository, imageManifest=body, imageManifestMediaType=media_type, imageDigest=found, **extra
    )
    return found


def age(repository, days):
    """Move the push time of every image of ``repository`` ``days`` back, as time passes on ECR."""
    from moto.ecr.models import ecr_backends  # pylint: disable=import-outside-toplevel

    for pushed in ecr_backends[ACCOUNT][REGION].repositories[repository].images:
        pushed.image_pushed_at -= int(timedelta(days=days).total_seconds())


def multi_arch(raw, repository, tag="v1"):
    children = [put(raw, repository, name) for name in ("amd64", "arm64")]
    index = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [{"mediaType": OCI_MANIFEST, "digest": d, "size": 10} for d in children],
        }
    )
    return children, put(raw, repository, "index", tag=tag, media_type=OCI_INDEX, body=index)


def document(rules):
    return lifecycle_validation.validate_rules(rules)


def test_a_policy_that_acts_on_nothing_reads_no_manifest(aws):
    raw, client, calls = aws
    raw.create_repository(repositoryName="team/app")
    multi_arch(raw, "team/app")
    del calls[:]
    checked = conv_lifecycle.check_lifecycle(
        client, "team/app", None, document(UNTAGGED_AFTER_A_DAY), preview=True, max_expire_percent=0
    )
    assert checked["evaluation"]["totals"]["expired_images"] == 0
    # Preview and guard together: one image listing, and no BatchGetImage (a pull on ECR).
    assert calls == ["GetLifecyclePolicy", "DescribeImages"]


def test_ecr_lifecycle_preview_of_a_policy_that_acts_on_nothing_pulls_nothing(aws):
    """ecr_lifecycle with preview and a limit, as a nightly dry run has them: images read once, no BatchGetImage."""
    raw, client, calls = aws
    raw.create_repository(repositoryName="team/app")
    multi_arch(raw, "team/app")
    request = lifecycle_request.validate_params(
        {"repository": "team/app", "rules": UNTAGGED_AFTER_A_DAY, "preview": True, "max_expire_percent": 10}
    )
    del calls[:]
    result = conv_lifecycle.run(client, request, check_mode=True)
    assert result["changed"] is True and result["preview"]["totals"]["expired_images"] == 0
    assert calls.count("DescribeImages") == 1 and "BatchGetImage" not in calls


def test_a_list_that_stays_is_read_once_and_keeps_its_children(aws):
    raw, client, calls = aws
    raw.create_repository(repositoryName="team/app")
    children, index = multi_arch(raw, "team/app")
    loose = put(raw, "team/app", "loose")  # an untagged image no list references
    age("team/app", 30)
    del calls[:]
    checked = conv_lifecycle.check_lifecycle(client, "team/app", None, document(UNTAGGED_AFTER_A_DAY), preview=True)
    entries = by_digest(checked["evaluation"])
    assert [entries[child]["action"] for child in children] == ["keep", "keep"]
    assert entries[loose]["action"] == "expire" and entries[index]["action"] == "keep"
    assert calls == ["GetLifecyclePolicy", "DescribeImages", "BatchGetImage"]


def digest_of_loose(raw):
    details = raw.describe_images(repositoryName="team/app")["imageDetails"]
    ids = {d["imageDigest"] for d in details}
    lists = [d for d in details if d.get("imageManifestMediaType") == OCI_INDEX]
    children = set()
    for detail in lists:
        manifest = raw.batch_get_image(repositoryName="team/app", imageIds=[{"imageDigest": detail["imageDigest"]}])
        children.update(m["digest"] for m in json.loads(manifest["images"][0]["imageManifest"])["manifests"])
    (loose,) = ids - children - {d["imageDigest"] for d in lists}
    return loose


def test_a_list_that_goes_is_not_read(aws):
    raw, client, calls = aws
    raw.create_repository(repositoryName="team/app")
    multi_arch(raw, "team/app")
    age("team/app", 30)
    del calls[:]
    checked = conv_lifecycle.check_lifecycle(
        client, "team/app", None, document(EVERYTHING_AFTER_A_WEEK), preview=True, max_expire_percent=100
    )
    assert checked["evaluation"]["totals"]["expired_images"] == 3
    assert "BatchGetImage" not in calls


def test_the_bad_policy_of_issue_19_is_refused_before_any_write(aws):
    raw, client, calls = aws
    raw.create_repository(repositoryName="team/app")
    for index in range(3):
        put(raw, "team/app", f"img{index}", tag=f"v{index}")
    age("team/app", 30)
    request = lifecycle_request.validate_params({"repository": "team/app", "rules": EVERYTHING_AFTER_A_WEEK})
    del calls[:]
    error = refusal(conv_lifecycle.run, client, request)
    assert "would expire all 3 tagged images of repository 'team/app'" in error.message
    assert "set max_expire_percent: 100" in error.message
    assert calls == ["GetLifecyclePolicy", "DescribeImages"]
    meant = lifecycle_request.validate_params(
        {"repository": "team/app", "rules": EVERYTHING_AFTER_A_WEEK, "max_expire_percent": 100}
    )
    assert conv_lifecycle.run(client, meant)["changed"] is True
    assert raw.get_lifecycle_policy(repositoryName="team/app")["lifecyclePolicyText"]


def test_more_than_half_is_written_with_a_warning(aws):
    raw, client, _calls = aws
    raw.create_repository(repositoryName="team/app")
    put(raw, "team/app", "tagged", tag="v1")
    for index in range(2):
        put(raw, "team/app", f"loose{index}")
    age("team/app", 30)
    request = lifecycle_request.validate_params({"repository": "team/app", "rules": UNTAGGED_AFTER_A_DAY})
    result = conv_lifecycle.run(client, request)
    assert result["changed"] is True
    assert result["warnings"] == [
        "repository 'team/app': the new lifecycle policy would expire 2 of the 3 images (67%, 20 bytes; rule 1: 2), "
        "more than half. Set max_expire_percent to a limit to refuse such a policy, or to 100 to say that this is "
        "meant"
    ]


class OldBotocore:
    """A client whose service model knows neither transitions nor archive storage (botocore 1.34)."""

    def __init__(self, client):
        self._client = client
        self.meta = type("Meta", (), {"service_model": type("Model", (), {"shape_names": []})()})()

    def __getattr__(self, name):
        return getattr(self._client, name)


def test_a_transition_policy_is_written_with_an_old_botocore_when_nothing_needs_it(aws):
    raw, client, _calls = aws
    raw.create_repository(repositoryName="team/app")
    desired = lifecycle_request.desired_document({"rules": TRANSITION})
    checked = conv_lifecycle.check_lifecycle(OldBotocore(client), "team/app", None, desired, max_expire_percent=100)
    assert checked["changed"] is True and checked["evaluation"] is None
    # The guard's evaluation needs no feature for a transition either.
    checked = conv_lifecycle.check_lifecycle(OldBotocore(client), "team/app", None, desired, preview=True)
    assert checked["evaluation"]["totals"]["images"] == 0


def test_rules_on_archived_images_need_botocore_for_the_evaluation_only(aws):
    raw, client, _calls = aws
    raw.create_repository(repositoryName="team/app")
    desired = lifecycle_request.desired_document({"rules": ARCHIVE_EXPIRY})
    old = OldBotocore(client)
    assert conv_lifecycle.check_lifecycle(old, "team/app", None, desired, max_expire_percent=100)["changed"]
    error = refusal(conv_lifecycle.check_lifecycle, old, "team/app", None, desired, preview=True)
    assert error.option == "preview" and "or set preview: false" in error.message
    error = refusal(conv_lifecycle.check_lifecycle, old, "team/app", None, desired)
    assert "set max_expire_percent: 100 to write it unchecked" in error.message


# ---------------------------------------------------------------------------------------------
# ecr_repositories: the guard per entry, before the first write of the run, and the plan's counts
# ---------------------------------------------------------------------------------------------


def bulk(client, entries, check_mode=False, **options):
    requests = bulk_request.validate_params({"repositories": entries})
    return converge_bulk.run(client, requests, 4, check_mode=check_mode, **options)


@pytest.mark.parametrize("check_mode", [True, False])
def test_bulk_refuses_the_bad_policy_before_the_first_write(aws, check_mode):
    raw, client, calls = aws
    raw.create_repository(repositoryName="team/old")
    for index in range(2):
        put(raw, "team/old", f"img{index}", tag=f"v{index}")
    age("team/old", 30)
    entries = [
        {"name": "team/new", "scan_on_push": True},
        {"name": "team/old", "lifecycle": {"rules": EVERYTHING_AFTER_A_WEEK}},
    ]
    del calls[:]
    output, message = bulk(client, entries, check_mode=check_mode)
    new, old = output["repositories"]
    assert old["failed"] is True
    assert old["msg"].startswith(
        "repositories[1] (name 'team/old'): max_expire_percent: the lifecycle policy would expire all 2 tagged images"
    )
    assert "1 of 2 repositories failed" in message
    assert new["changed"] is True and not new.get("failed")
    writes = [i for i, call in enumerate(calls) if call in ("CreateRepository", "PutLifecyclePolicy")]
    assert "PutLifecyclePolicy" not in calls
    assert calls.index("DescribeImages") < (writes[0] if writes else len(calls))


def test_bulk_entry_says_it_means_it(aws):
    raw, client, _calls = aws
    raw.create_repository(repositoryName="team/old")
    put(raw, "team/old", "img", tag="v1")
    age("team/old", 30)
    entry = {"name": "team/old", "lifecycle": {"rules": EVERYTHING_AFTER_A_WEEK, "max_expire_percent": 100}}
    output, message = bulk(client, [entry])
    assert message is None and output["repositories"][0]["changed"] is True


def test_bulk_check_mode_reports_what_the_lifecycle_would_expire(aws):
    raw, client, calls = aws
    raw.create_repository(repositoryName="team/app")
    put(raw, "team/app", "tagged", tag="v1")
    for index in range(3):
        put(raw, "team/app", f"loose{index}")
    age("team/app", 30)
    entry = {"name": "team/app", "lifecycle": {"rules": UNTAGGED_AFTER_A_DAY}}
    del calls[:]
    output, message = bulk(client, [entry], check_mode=True, max_expire_percent=100)
    result = output["repositories"][0]
    assert message is None and result["changed"] is True
    assert result["lifecycle_preview"]["totals"]["expired_images"] == 3
    assert result["lifecycle_preview"]["totals"]["expired_bytes"] == 30
    assert "images" not in result["lifecycle_preview"]  # the whole list only with lifecycle.preview
    assert "BatchGetImage" not in calls and "PutLifecyclePolicy" not in calls
    lines = estate.summary_lines(ACCOUNT, REGION, "registry", registry_result=output, check_mode=True)
    assert "  lifecycle policies would expire 3 images (30 bytes): team/app 3 (30 bytes)" in lines


def test_bulk_warnings_name_the_entry(aws):
    raw, client, _calls = aws
    raw.create_repository(repositoryName="team/app")
    put(raw, "team/app", "tagged", tag="v1")
    for index in range(3):
        put(raw, "team/app", f"loose{index}")
    age("team/app", 30)
    output, _message = bulk(
        client, [{"name": "team/app", "lifecycle": {"rules": UNTAGGED_AFTER_A_DAY, "preview": True}}]
    )
    assert output["warnings"][0].startswith("repositories[0] (name 'team/app'): repository 'team/app': the new")
    assert len(output["repositories"][0]["lifecycle_preview"]["images"]) == 4
