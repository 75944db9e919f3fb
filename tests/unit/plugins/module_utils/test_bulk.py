# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""module_utils/bulk.py: validation of every entry, batched reads, the thread pool, results and summary.

The AWS side runs against in-process moto; a botocore ``before-call`` hook records every operation,
so the tests also pin the number of calls a run makes (the point of the bulk module).
"""

import hashlib
import json
import threading
from collections import Counter

import pytest

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import BulkError, ECRError
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import bulk as converge_bulk
from ansible_collections.dockyard.ecr.plugins.module_utils._models import bulk_request as models_bulk_request
from ansible_collections.dockyard.ecr.plugins.module_utils._models import lifecycle_request as models_lifecycle_request
from ansible_collections.dockyard.ecr.plugins.module_utils._models import policy_request as models_policy_request

REGION = "us-east-1"
ACCOUNT = "123456789012"
READS = {"DescribeRepositories", "ListTagsForResource", "GetRepositoryPolicy", "GetLifecyclePolicy", "DescribeImages"}
PULL = ["111122223333"]
LIFECYCLE = {"keep_last": 30, "expire_untagged_after_days": 7}


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------


class Recorder:
    """Operation names in call order (botocore ``before-call``); safe from several threads."""

    def __init__(self):
        self.calls = []
        self._lock = threading.Lock()

    def __call__(self, model, **kwargs):
        with self._lock:
            self.calls.append(model.name)

    def clear(self):
        with self._lock:
            del self.calls[:]

    @property
    def counts(self):
        return Counter(self.calls)

    @property
    def writes(self):
        return [c for c in self.calls if c not in READS]


@pytest.fixture(scope="module")
def _moto():
    with pytest.MonkeyPatch.context() as patch:
        for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR"):
            patch.delenv(var, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        with moto.mock_aws() as mock:
            recorder = Recorder()
            raw = boto3.client("ecr", region_name=REGION)
            raw.meta.events.register("before-call.ecr", recorder)
            yield mock, recorder, raw, RetryingBotoClientWrapper(raw, AWSRetry.jittered_backoff(retries=2))


@pytest.fixture
def aws(_moto):
    _moto[0].reset()
    _moto[1].clear()
    return _moto


@pytest.fixture
def calls(aws):
    return aws[1]


@pytest.fixture
def raw(aws):
    return aws[2]


@pytest.fixture
def client(aws):
    return aws[3]


def run(client, entries, check_mode=False, concurrency=4, **params):
    requests = models_bulk_request.validate_params(dict(params, repositories=entries))
    converger = converge_bulk.Converger(client, check_mode=check_mode, registry_id=params.get("registry_id"))
    return converger.run(requests, concurrency)


def fleet(count, prefix="team/app", **extra):
    """``count`` entries as the benchmark has them: immutable tags, scan on push, a pull grant, a lifecycle."""
    entry = dict(image_tag_mutability="immutable", scan_on_push=True, pull=PULL, lifecycle=LIFECYCLE)
    entry.update(extra)
    return [dict(entry, name=f"{prefix}-{index:03d}") for index in range(count)]


def validation_error(entries, **params):
    with pytest.raises(BulkError) as info:
        models_bulk_request.validate_params(dict(params, repositories=entries))
    return info.value.message


def put_image(raw, name, tag="v1"):
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 2,
                "digest": "sha256:" + hashlib.sha256(f"{name}-{tag}".encode()).hexdigest(),
            },
            "layers": [],
        }
    )
    raw.put_image(repositoryName=name, imageManifest=manifest, imageTag=tag)


# ---------------------------------------------------------------------------------------------
# Validation: every entry, before any AWS call, messages naming the entry
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry, message",
    [
        (
            {
                "name": "team/api",
                "lifecycle": {
                    "rules": [
                        {
                            "priority": 2,
                            "tag_status": "any",
                            "count_type": "image_count_more_than",
                            "count": 5,
                            "count_unit": "days",
                        }
                    ]
                },
            },
            "repositories[3] (name 'team/api').lifecycle.rules[priority=2].count_unit: only used with the age count "
            "types",
        ),
        (
            {"name": "team/api", "pull": ["12345"]},
            "repositories[3] (name 'team/api').pull[0]: '12345' is not an AWS account ID or IAM principal ARN",
        ),
        (
            {"name": "team/api", "pull": PULL, "policy": {"Statement": []}},
            "repositories[3] (name 'team/api').policy: give either a whole document in policy or grants (pull)",
        ),
        (
            {
                "name": "team/api",
                "policy": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}]},
            },
            "repositories[3] (name 'team/api').policy.Statement[0]: allows everyone",
        ),
        (
            {"name": "team/api", "encryption": {"kms_key": "alias/x"}},
            "repositories[3] (name 'team/api').encryption.kms_key: a KMS key needs encryption.type=KMS",
        ),
        (
            {"name": "Team/API"},
            "repositories[3] (name 'Team/API').name: 'Team/API' is not a valid ECR repository name (ECR names are "
            "lower case: use 'team/api')",
        ),
        ({"name": "team/api", "state": "gone"}, "repositories[3] (name 'team/api'): value of state must be one of"),
        ({"name": "team/api", "scan_on_push": "maybe"}, "repositories[3] (name 'team/api'): argument 'scan_on_push'"),
        ({"state": "present"}, "repositories[3]: missing required arguments: name"),
        ({"name": "team/api", "colour": "red"}, "repositories[3] (name 'team/api'): unsupported option(s) colour"),
        (
            {"name": "team/api", "lifecycle": {"keep_last": 3, "rules": []}},
            "repositories[3] (name 'team/api').lifecycle: give one of rules, policy or the presets",
        ),
        (
            {"name": "team/api", "lifecycle": {"state": "present"}},
            "repositories[3] (name 'team/api').lifecycle: state=present needs rules, policy or a preset",
        ),
        (
            {"name": "team/api", "lifecycle": {"keep_last": 0}},
            "repositories[3] (name 'team/api').lifecycle.keep_last: must be 1 or more",
        ),
        (
            {"name": "team/api", "lifecycle": {"keep_tag_prefixes": ["v"]}},
            "repositories[3] (name 'team/api').lifecycle.keep_tag_prefixes: protects images from keep_last",
        ),
        (
            {"name": "team/api", "lifecycle": {"policy": "{not json"}},
            "repositories[3] (name 'team/api').lifecycle.policy: not valid JSON",
        ),
        ("team/api", "repositories[3]: give a dict with at least name"),
    ],
)
def test_messages_name_the_entry(entry, message):
    entries = [{"name": f"ok/{i}"} for i in range(3)] + [entry]
    assert validation_error(entries).startswith(message)


def test_every_invalid_entry_is_reported_at_once():
    message = validation_error([{"name": "a/ok"}, {"name": "B"}, {"name": "c/ok", "pull": ["x"]}, {"name": "a/ok"}])
    assert message.startswith("3 entries of repositories are invalid: ")
    assert "repositories[1] (name 'B').name:" in message
    assert "repositories[2] (name 'c/ok').pull[0]:" in message
    assert "repositories[3] (name 'a/ok').name: the same repository as repositories[0] (name 'a/ok')" in message


def test_scoped_services_and_pull_through_cache_in_entries():
    lambda_arn = "arn:aws:lambda:us-east-1:111111111111:function:*"
    entries = [
        {"name": f"team/{i}", "services": ["codebuild.amazonaws.com"], "pull": ["111111111111"]} for i in range(7)
    ]
    entries.append(
        {
            "name": "team/fn",
            "services": [{"service": "lambda.amazonaws.com", "source_arns": [lambda_arn]}],
            "pull_through_cache": True,
        }
    )
    requests = models_bulk_request.validate_params({"repositories": entries})
    scoped = requests[-1]["access"]["desired"]
    assert scoped["services"] == [
        {"service": "lambda.amazonaws.com", "source_accounts": [], "source_arns": [lambda_arn]}
    ]
    assert scoped["pull_through_cache"] is True
    warnings = models_bulk_request.request_warnings(requests)
    assert len(warnings) == 1  # one per distinct warning, not one per repository
    assert warnings[0].startswith(
        "repositories[0] (name 'team/0'), repositories[1] (name 'team/1'), repositories[2] (name 'team/2'), "
        "repositories[3] (name 'team/3'), repositories[4] (name 'team/4') and 2 more: services: "
        "codebuild.amazonaws.com is granted without aws:SourceAccount"
    )
    message = validation_error(
        [{"name": "a/b", "services": [{"service": "lambda.amazonaws.com", "source_arns": ["x"]}]}]
    )
    assert message.startswith("repositories[0] (name 'a/b').services[0].source_arns[0]: 'x' is not the ARN")


def test_module_level_options():
    with pytest.raises(ECRError) as info:
        models_bulk_request.validate_params({"repositories": [], "registry_id": "12"})
    assert info.value.message.startswith("registry_id: '12' is not an AWS account ID")
    for bad in (0, 51, "8", True):
        with pytest.raises(BulkError) as info:
            models_bulk_request.validate_concurrency(bad)
        assert info.value.option == "concurrency"
    assert models_bulk_request.validate_concurrency(None) == models_bulk_request.DEFAULT_CONCURRENCY


def test_what_an_entry_manages():
    requests = models_bulk_request.validate_params(
        {
            "repositories": [
                {"name": "a/plain"},
                {"name": "a/grants", "pull": PULL, "push": []},
                {"name": "a/nobody", "pull": [], "purge_statements": False},
                {"name": "a/team-a", "pull": PULL, "purge_statements": False, "owner": "TeamA"},
                {"name": "a/team-a-gone", "pull": [], "purge_statements": False, "owner": "TeamA"},
                {"name": "a/empty-lifecycle", "lifecycle": {}},
                {"name": "a/no-lifecycle", "lifecycle": {"state": "absent"}},
                {"name": "a/presets", "lifecycle": {"keep_last": "5"}},
                {
                    "name": "a/rules",
                    "lifecycle": {
                        "rules": [
                            {"priority": "1", "tag_status": "any", "count_type": "image_count_more_than", "count": "9"}
                        ]
                    },
                },
            ]
        }
    )
    by_name = {r["name"]: r for r in requests}
    assert [r["name"] for r in requests][0] == "a/plain"
    assert by_name["a/plain"]["access"] is None and by_name["a/plain"]["lifecycle"] is None
    assert by_name["a/plain"]["repository"]["tags"] is None
    assert by_name["a/grants"]["access"] == {
        "desired": {"pull": PULL, "push": [], "services": [], "organizations": []},
        "state": "present",
        "purge_statements": True,
        "owner": None,
    }
    # Every grant empty: nobody is granted anything, which is ecr_policy's state=absent.
    assert by_name["a/nobody"]["access"] == {
        "desired": None,
        "state": "absent",
        "purge_statements": False,
        "owner": None,
    }
    # An owner: its own statements only.
    assert by_name["a/team-a"]["access"]["owner"] == "TeamA"
    assert by_name["a/team-a-gone"]["access"] == {
        "desired": None,
        "state": "absent",
        "purge_statements": False,
        "owner": "TeamA",
    }
    assert by_name["a/empty-lifecycle"]["lifecycle"] is None
    assert by_name["a/no-lifecycle"]["lifecycle"] == {"document": None, "preview": False, "max_expire_percent": None}
    assert by_name["a/presets"]["lifecycle"]["document"]["rules"][0]["selection"]["countNumber"] == 5
    # Types are converted as ecr_lifecycle's argument spec converts them.
    assert by_name["a/rules"]["lifecycle"]["document"]["rules"][0]["selection"]["countNumber"] == 9


def test_the_same_lifecycle_is_validated_once(monkeypatch):
    calls = []
    real = models_lifecycle_request.validate_rules
    monkeypatch.setattr(models_lifecycle_request, "validate_rules", lambda *a, **k: calls.append(a) or real(*a, **k))
    entries = [{"name": f"a/{i}", "lifecycle": dict(LIFECYCLE)} for i in range(5)] + [
        {"name": "a/other", "lifecycle": {"keep_last": 3}}
    ]
    requests = models_bulk_request.validate_params({"repositories": entries})
    assert len(calls) == 2
    first, second = requests[0]["lifecycle"]["document"], requests[1]["lifecycle"]["document"]
    assert first == second and first is not second
    assert requests[5]["lifecycle"]["document"]["rules"][0]["selection"]["countNumber"] == 3


def test_entries_of_the_same_shape_are_checked_once(monkeypatch):
    """A fleet's entries usually differ only in their name: the argument spec checks each shape once, each request
    keeps its own name and its own copy, and an invalid entry among them is still named by its index."""
    checks = []
    real = models_bulk_request.ArgumentSpecValidator.validate
    monkeypatch.setattr(
        models_bulk_request.ArgumentSpecValidator,
        "validate",
        lambda self, params, *a, **k: checks.append(params.get("name")) or real(self, params, *a, **k),
    )
    entries = fleet(4) + [dict(fleet(1, prefix="team/odd")[0], scan_on_push="yes")]
    requests = models_bulk_request.validate_params({"repositories": entries})
    assert checks == ["team/app-000", "team/odd-000"]
    assert [r["name"] for r in requests] == [e["name"] for e in entries]
    assert [r["repository"]["name"] for r in requests] == [e["name"] for e in entries]
    assert requests[4]["repository"]["scan_on_push"] is True  # converted by the check, as for the first shape
    assert requests[0]["repository"] is not requests[1]["repository"]
    assert requests[0]["access"]["desired"] == requests[1]["access"]["desired"]
    bad = fleet(3) + [dict(fleet(1)[0], name="team/bad", scan_on_push="perhaps")]
    message = validation_error(bad)
    assert "repositories[3] (name 'team/bad')" in message and "scan_on_push" in message


def test_the_access_request_is_made_once_per_shape_and_never_shared(monkeypatch):
    """The repository policy an entry asks for does not depend on its name: entries of one shape build it once, each
    request gets its own copy, and an entry of another shape (other grants) or with an invalid name is not given a
    cached one."""
    made = []
    real = models_bulk_request._access_request
    monkeypatch.setattr(
        models_bulk_request,
        "_access_request",
        lambda params, name, *a, **k: made.append(name) or real(params, name, *a, **k),
    )
    entries = fleet(3) + [dict(fleet(1, prefix="team/other")[0], pull=["444455556666"])]
    requests = models_bulk_request.validate_params({"repositories": entries})
    assert made == ["team/app-000", "team/other-000"]
    assert requests[0]["access"] == requests[2]["access"] and requests[0]["access"] is not requests[2]["access"]
    assert requests[0]["access"]["desired"] is not requests[1]["access"]["desired"]
    assert requests[3]["access"] != requests[0]["access"]
    assert requests[3]["access"] == real(
        models_bulk_request._checked_options(entries[3], "x"), entries[3]["name"], None, False, "aws"
    )
    message = validation_error(fleet(2) + [dict(fleet(1)[0], name="Not A Name")])
    assert "repositories[2] (name 'Not A Name')" in message


@pytest.mark.parametrize(
    "message, expected",
    [
        ("rules[priority=2].count: x", "L.lifecycle.rules[priority=2].count: x"),
        ("encryption.kms_key: x", "L.lifecycle.encryption.kms_key: x"),
        ("3 problems in the lifecycle policy: a", "L.lifecycle: 3 problems in the lifecycle policy: a"),
        ("missing required arguments: name", "L.lifecycle: missing required arguments: name"),
    ],
)
def test_located(message, expected):
    assert models_bulk_request.located("L", message, "lifecycle") == expected


def test_validation_makes_no_call(client, calls):
    with pytest.raises(BulkError):
        run(client, [{"name": "a/ok", "pull": PULL}, {"name": "a/bad", "lifecycle": {"keep_last": -1}}])
    assert calls.calls == []


# ---------------------------------------------------------------------------------------------
# Converging: calls, results, check mode
# ---------------------------------------------------------------------------------------------


def test_first_run_then_no_op(client, raw, calls):
    entries = fleet(5)
    results = run(client, entries)
    assert [r["name"] for r in results] == [e["name"] for e in entries]
    assert all(r["changed"] and r["action"] == "created" for r in results)
    # The batch fails (the names do not exist), one listing answers for all of them, then 3 writes each.
    assert calls.counts == Counter(
        DescribeRepositories=2, CreateRepository=5, SetRepositoryPolicy=5, PutLifecyclePolicy=5
    )
    first = results[0]
    assert first["repository"]["image_tag_mutability"] == "immutable"
    assert first["repository"]["scan_on_push"] is True
    assert first["repository"]["uri"].endswith("/team/app-000")
    assert first["policy"]["Statement"][0]["Sid"] == "DockyardPull"
    assert [r["rulePriority"] for r in first["lifecycle_policy"]["rules"]] == [1, 2]
    assert first["diff"]["before"] == {"repository": {}, "policy": {}, "lifecycle_policy": {}}
    assert json.loads(raw.get_lifecycle_policy(repositoryName="team/app-004")["lifecyclePolicyText"])

    calls.clear()
    again = run(client, entries)
    assert not any(r["changed"] for r in again)
    assert {r["action"] for r in again} == {"unchanged"}
    # No-op: one batched DescribeRepositories, then per repository the policy and the lifecycle policy.
    assert calls.counts == Counter(DescribeRepositories=1, GetRepositoryPolicy=5, GetLifecyclePolicy=5)
    assert calls.writes == []
    assert "tags" not in again[0]["repository"]  # not managed, not read
    assert "diff" not in again[0]  # before and after are the result itself
    assert again[0]["policy"] == first["policy"] or not models_policy_request.policies_differ(
        again[0]["policy"], first["policy"]
    )
    summary = models_bulk_request.summarize(again)
    assert summary == {
        "total": 5,
        "changed": 0,
        "created": 0,
        "updated": 0,
        "deleted": 0,
        "unchanged": 5,
        "failed": 0,
        "changed_names": [],
        "failed_names": [],
    }
    assert models_bulk_request.combined_diff(again) == []


def test_reads_only_what_the_entry_manages(client, raw, calls):
    raw.create_repository(repositoryName="a/plain")
    raw.create_repository(repositoryName="a/tagged", tags=[{"Key": "team", "Value": "x"}])
    calls.clear()
    results = run(client, [{"name": "a/plain"}, {"name": "a/tagged", "tags": {"team": "x"}}])
    assert not any(r["changed"] for r in results)
    assert calls.counts == Counter(DescribeRepositories=1, ListTagsForResource=1)
    assert results[0]["policy"] is None and results[0]["lifecycle_policy"] is None
    assert results[1]["repository"]["tags"] == {"team": "x"}


def test_check_mode_writes_nothing_and_predicts(client, raw, calls):
    raw.create_repository(repositoryName="team/app-001")
    calls.clear()
    results = run(client, fleet(2), check_mode=True)
    assert calls.writes == []
    assert [r["action"] for r in results] == ["created", "updated"]
    assert results[0]["repository"]["image_tag_mutability"] == "immutable"
    assert "arn" not in results[0]["repository"]
    assert results[0]["policy"]["Statement"][0]["Principal"] == {"AWS": ["arn:aws:iam::111122223333:root"]}
    assert results[1]["diff"]["before"]["repository"]["image_tag_mutability"] == "mutable"
    assert results[1]["diff"]["after"]["repository"]["image_tag_mutability"] == "immutable"
    assert results[1]["diff"]["before"]["policy"] == {}
    assert raw.describe_repositories()["repositories"][0]["imageTagMutability"] == "MUTABLE"
    # A real run then does what check mode said.
    real = run(client, fleet(2))
    assert [r["action"] for r in real] == ["created", "updated"]
    assert [r["diff"] for r in real][1]["after"]["policy"] == results[1]["diff"]["after"]["policy"]


def test_batches_of_100_and_listing_fallback(client, raw, calls):
    entries = fleet(150, scan_on_push=None, pull=None, lifecycle=None)
    for entry in entries[:120]:
        raw.create_repository(repositoryName=entry["name"])
    calls.clear()
    results = run(client, entries, concurrency=8)
    assert [r["action"] for r in results] == ["updated"] * 120 + ["created"] * 30
    # First batch (100 names) exists: one call; second batch has missing names: it fails, one listing.
    assert calls.counts["DescribeRepositories"] == 3
    calls.clear()
    run(client, entries, concurrency=8)
    assert calls.calls == ["DescribeRepositories", "DescribeRepositories"]


def test_updates_and_removals(client, raw, calls):
    raw.create_repository(repositoryName="a/app")
    raw.set_repository_policy(
        repositoryName="a/app",
        policyText=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "Theirs",
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                        "Action": "ecr:BatchGetImage",
                    },
                    {
                        "Sid": "DockyardPull",
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                        "Action": "ecr:BatchGetImage",
                    },
                ],
            }
        ),
    )
    raw.put_lifecycle_policy(
        repositoryName="a/app",
        lifecyclePolicyText=json.dumps(
            {
                "rules": [
                    {
                        "rulePriority": 1,
                        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1},
                        "action": {"type": "expire"},
                    }
                ]
            }
        ),
    )
    calls.clear()
    [result] = run(client, [{"name": "a/app", "pull": [], "purge_statements": False, "lifecycle": {"state": "absent"}}])
    assert result["action"] == "updated"
    assert [s["Sid"] for s in result["policy"]["Statement"]] == ["Theirs"]
    assert result["lifecycle_policy"] == {}
    assert calls.writes == ["SetRepositoryPolicy", "DeleteLifecyclePolicy"]
    calls.clear()
    [again] = run(client, [{"name": "a/app", "pull": [], "purge_statements": False, "lifecycle": {"state": "absent"}}])
    assert not again["changed"] and calls.writes == []
    [gone] = run(client, [{"name": "a/app", "pull": []}])
    assert gone["policy"] == {} and gone["changed"]


def test_delete_and_failures_do_not_stop_the_others(client, raw, calls):
    for name in ("a/full", "a/empty", "a/kept"):
        raw.create_repository(repositoryName=name)
    put_image(raw, "a/full")
    calls.clear()
    entries = [
        {"name": "a/full", "state": "absent"},
        {"name": "a/empty", "state": "absent"},
        {"name": "a/kept", "scan_on_push": True},
        {"name": "a/never", "state": "absent"},
    ]
    results = run(client, entries)
    assert [r["action"] for r in results] == ["unchanged", "deleted", "updated", "unchanged"]
    assert results[0]["failed"] and results[0]["msg"].startswith(
        "repositories[0] (name 'a/full'): force: repository 'a/full' holds 1 image, so nothing was deleted"
    )
    assert "failed" not in results[1]
    message = models_bulk_request.failure_message(results)
    assert message.startswith("1 of 4 repositories failed; the other 3 converged (2 changed): repositories[0]")
    summary = models_bulk_request.summarize(results)
    assert (summary["failed"], summary["deleted"], summary["updated"], summary["unchanged"]) == (1, 1, 1, 1)
    assert summary["failed_names"] == ["a/full"] and summary["changed_names"] == ["a/empty", "a/kept"]
    [forced] = run(client, [{"name": "a/full", "state": "absent", "force": True}])
    assert forced["action"] == "deleted"
    assert models_bulk_request.failure_message([forced]) is None


def test_aws_refusal_names_the_repository(client, raw, monkeypatch):
    real_set = client.set_repository_policy

    def refuse(**kwargs):
        if kwargs["repositoryName"].endswith("-002"):
            raise raw.exceptions.InvalidParameterException(
                {"Error": {"Code": "InvalidParameterException", "Message": "Invalid repository policy provided"}},
                "SetRepositoryPolicy",
            )
        return real_set(**kwargs)

    monkeypatch.setattr(client, "set_repository_policy", refuse)
    results = run(client, fleet(4))
    failed = [r for r in results if r.get("failed")]
    assert [r["name"] for r in failed] == ["team/app-002"]
    assert failed[0]["error_code"] == "InvalidParameterException"
    assert failed[0]["msg"].startswith(
        "repositories[2] (name 'team/app-002'): Failed to set the policy of repository 'team/app-002': "
    )
    assert "Invalid repository policy provided" in failed[0]["msg"]
    # The repository itself was created before the policy failed: changed, and reported as such.
    assert failed[0]["changed"] and failed[0]["action"] == "created"
    assert failed[0]["lifecycle_policy"] is None
    assert all(r["changed"] and not r.get("failed") for r in results if r["name"] != "team/app-002")
    assert models_bulk_request.failure_message(results).startswith(
        "1 of 4 repositories failed; the other 3 converged (3 changed)"
    )


def test_combined_diff_lists_changed_repositories(client, raw):
    raw.create_repository(repositoryName="a/same")
    results = run(client, [{"name": "a/same"}, {"name": "a/new", "scan_on_push": True}])
    diff = models_bulk_request.combined_diff(results)
    assert [d["before_header"] for d in diff] == ["a/new"]
    assert diff[0]["after"]["repository"]["scan_on_push"] is True


def test_many_threads_keep_the_order(client, calls):
    entries = fleet(40, lifecycle=None)
    results = run(client, entries, concurrency=16)
    assert [r["name"] for r in results] == [e["name"] for e in entries]
    assert calls.counts["CreateRepository"] == 40 and calls.counts["SetRepositoryPolicy"] == 40


OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


@pytest.mark.parametrize("check_mode", [True, False])
def test_expiry_guard_per_repository(client, raw, calls, check_mode):
    """max_expire_percent, as ecr_lifecycle has it: a repository whose new policy would expire too many images
    fails before its lifecycle policy is written; a new repository and the other entries converge."""
    raw.create_repository(repositoryName="keep/api")
    for tag in ("v1", "v2", "v3"):
        manifest = json.dumps(
            {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {"digest": f"sha256:{tag}"}, "layers": []}
        )
        digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
        raw.put_image(repositoryName="keep/api", imageManifest=manifest, imageTag=tag, imageDigest=digest)
    entries = [
        {"name": "keep/api", "lifecycle": {"keep_last": 1}},
        {"name": "keep/new", "lifecycle": {"keep_last": 1}},
    ]
    requests = models_bulk_request.validate_params({"repositories": entries})
    calls.clear()
    results = converge_bulk.Converger(client, check_mode=check_mode, max_expire_percent=50).run(requests)
    guarded, new = results
    assert guarded["failed"] is True
    assert guarded["msg"].startswith(
        "repositories[0] (name 'keep/api'): max_expire_percent: the lifecycle policy would expire 2 of the 3 images"
    )
    # Only the new repository's policy is written (in a real run); keep/api's is not.
    assert calls.calls.count("PutLifecyclePolicy") == (0 if check_mode else 1)
    with pytest.raises(raw.exceptions.LifecyclePolicyNotFoundException):
        raw.get_lifecycle_policy(repositoryName="keep/api")
    assert new.get("failed") is None and new["changed"] is True
    assert raw.describe_images(repositoryName="keep/api")["imageDetails"]
    allowed = converge_bulk.Converger(client, check_mode=check_mode, max_expire_percent=67).run(requests[:1])[0]
    assert allowed.get("failed") is None and allowed["changed"] is True


def test_owners_share_a_repository_and_foreign_statements_are_named(client, raw, calls):
    team_a = {"name": "a/shared", "pull": ["111122223333"], "purge_statements": False, "owner": "TeamA"}
    team_b = {"name": "a/shared", "pull": ["444455556666"], "purge_statements": False, "owner": "TeamB"}
    assert run(client, [team_a])[0]["action"] == "created"
    assert run(client, [team_b])[0]["changed"]
    calls.clear()
    for entry in (team_a, team_b, team_a):
        [result] = run(client, [entry])
        assert not result["changed"] and "warnings" not in result
    assert calls.writes == []
    sids = sorted(
        s["Sid"] for s in json.loads(raw.get_repository_policy(repositoryName="a/shared")["policyText"])["Statement"]
    )
    assert sids == ["DockyardPullTeamA", "DockyardPullTeamB"]
    # An entry that owns the whole policy (purge_statements=true) names what it removes, with its label
    [result] = run(client, [{"name": "a/shared", "pull": ["111122223333"]}], check_mode=True)
    assert result["changed"]
    assert [w.split(" was ")[0] for w in result["warnings"]] == [
        "repositories[0] (name 'a/shared'): statement 'DockyardPullTeamA'",
        "repositories[0] (name 'a/shared'): statement 'DockyardPullTeamB'",
    ]
    assert "the access it granted stays" in result["warnings"][0]
    assert "access removed: arn:aws:iam::444455556666:root" in result["warnings"][1]


def test_an_invalid_owner_names_the_entry(client, calls):
    message = validation_error([{"name": "a/x", "pull": ["111122223333"], "owner": "team-a"}])
    assert message.startswith("repositories[0] (name 'a/x').owner: 'team-a' cannot be part of a statement ID")
    assert calls.calls == []


def test_unchanged_details_false_keeps_what_changed_failed_or_warned(client, raw, calls):
    """unchanged_details=false (configure.yml): an unchanged repository's entry is its name, state, changed and
    action; one that changed or failed keeps its details; the summary and the failure message still count all."""
    entries = fleet(3, prefix="brief/app")
    converge_bulk.run(client, models_bulk_request.validate_params({"repositories": entries}), 4)
    raw.create_repository(repositoryName="brief/full")
    put_image(raw, "brief/full")
    entries[1] = dict(entries[1], scan_on_push=False)
    entries.append({"name": "brief/full", "state": "absent"})
    requests = models_bulk_request.validate_params({"repositories": entries})
    calls.clear()
    brief, message = converge_bulk.run(client, requests, 4, unchanged_details=False)
    unchanged, updated, failed = brief["repositories"][0], brief["repositories"][1], brief["repositories"][3]
    assert unchanged == {"name": "brief/app-000", "state": "present", "changed": False, "action": "unchanged"}
    assert updated["action"] == "updated" and updated["repository"]["scan_on_push"] is False and updated["diff"]
    assert failed["failed"] and "holds 1 image" in failed["msg"] and "repository" in failed
    assert brief["summary"]["unchanged"] == 2 and brief["summary"]["total"] == 4 and brief["summary"]["failed"] == 1
    assert message.startswith("1 of 4 repositories failed")
    # Again, now a no-op but for the refused delete: the same calls with and without the details.
    calls.clear()
    again, _message = converge_bulk.run(client, requests, 4, unchanged_details=False)
    brief_calls = Counter(calls.counts)
    calls.clear()
    full, _message = converge_bulk.run(client, requests, 4)
    assert calls.counts == brief_calls and calls.writes == []
    assert again["repositories"][1] == {
        "name": "brief/app-001",
        "state": "present",
        "changed": False,
        "action": "unchanged",
    }
    assert full["repositories"][1]["repository"]["scan_on_push"] is False and full["repositories"][1]["policy"]


def test_brief_unchanged_keeps_warnings_and_previews():
    results = [
        {"name": "a", "state": "present", "changed": False, "action": "unchanged", "repository": {"x": 1}},
        {"name": "b", "state": "present", "changed": False, "action": "unchanged", "warnings": ["w"], "policy": {}},
        {"name": "c", "state": "present", "changed": False, "action": "unchanged", "lifecycle_preview": {}},
        {"name": "d", "state": "absent", "changed": False, "action": "unchanged", "repository": {}},
    ]
    brief = models_bulk_request.brief_unchanged(results)
    assert brief[0] == {"name": "a", "state": "present", "changed": False, "action": "unchanged"}
    assert brief[1:3] == results[1:3]
    assert brief[3] == {"name": "d", "state": "absent", "changed": False, "action": "unchanged"}
    assert results[0]["repository"] == {"x": 1}  # the input is left as it was
