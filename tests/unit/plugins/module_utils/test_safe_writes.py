# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Issue 19, half changes and races: limits that depend on what a repository holds now are checked before its
first write (ecr_repo and ecr_repositories), a repository someone else deletes mid-run is done for state=absent and
a clear error for state=present, a non-dict entry is named by its index, expired credentials stop a bulk run.

In-process moto; a botocore ``before-call`` hook records every operation, so "nothing was written" is checked by
the calls made, and the repository read back afterwards shows what a user would see.
"""

import json
import threading

import pytest

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

# pylint: disable=wrong-import-position
import botocore.exceptions  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import (  # noqa: E402
    BulkError,
    ECRError,
    RepositoryError,
    translate_errors,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import bulk as converge_bulk  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import repository as converge_repository
from ansible_collections.dockyard.ecr.plugins.module_utils._models import bulk_request  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._models import estate  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._models import repository_request  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._models import repository_settings  # noqa: E402

REGION = "us-east-1"
READS = {"DescribeRepositories", "ListTagsForResource", "GetRepositoryPolicy", "GetLifecyclePolicy", "DescribeImages"}


class Recorder:
    def __init__(self):
        self.calls = []
        self._lock = threading.Lock()

    def __call__(self, model, **kwargs):
        with self._lock:
            self.calls.append(model.name)

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
            raw = boto3.client("ecr", region_name=REGION)
            yield mock, raw


@pytest.fixture
def raw(_moto):
    _moto[0].reset()
    return _moto[1]


@pytest.fixture
def recorded(raw):
    """``recorded()`` after a test's setup: (client the code under test uses, recorder of its calls from then on)."""
    recorder = Recorder()
    raw.meta.events.register("before-call.ecr", recorder)

    def begin():
        del recorder.calls[:]
        return RetryingBotoClientWrapper(raw, AWSRetry.jittered_backoff(retries=2)), recorder

    yield begin
    raw.meta.events.unregister("before-call.ecr", recorder)


def tags(count, prefix="t"):
    return {f"{prefix}{index:02d}": "x" for index in range(count)}


def make_repository(raw, name="team/app", tag_count=0, **settings):
    params = dict(repositoryName=name, **settings)
    if tag_count:
        params["tags"] = [{"Key": k, "Value": v} for k, v in tags(tag_count).items()]
    return raw.create_repository(**params)["repository"]


def read_back(raw, name="team/app"):
    entry = raw.describe_repositories(repositoryNames=[name])["repositories"][0]
    found = raw.list_tags_for_resource(resourceArn=entry["repositoryArn"])["tags"]
    return entry, {t["Key"]: t["Value"] for t in found}


def desired(**params):
    params.setdefault("name", "team/app")
    return repository_request.validate_params(params)


def bulk_requests(entries, partition="aws"):
    return bulk_request.validate_params({"repositories": entries}, partition=partition)


# ---------------------------------------------------------------------------------------------
# The tag count: existing + new with purge_tags=false
# ---------------------------------------------------------------------------------------------


def test_merged_tag_count_over_the_limit_is_refused_with_the_fix():
    current = dict(repository_settings.repository_from_api({"repositoryName": "team/app", "repositoryArn": "a"}))
    current["tags"] = tags(45)
    with pytest.raises(RepositoryError) as info:
        repository_settings.compare(current, desired(tags=tags(10, "new"), purge_tags=False))
    message = info.value.message
    assert message.startswith("tags: repository 'team/app' would have 55 tags (45 it has and keeps, 10 new)")
    assert "at most 50" in message and "purge_tags=true" in message and "nothing was changed" in message
    assert info.value.option == "tags"


@pytest.mark.parametrize(
    "have, wanted, purge",
    [
        (tags(45), tags(5, "new"), False),  # exactly 50
        (dict(tags(48), **{"aws:cloudformation:stack-name": "s", "AWS:x": "y"}), tags(2, "new"), False),
        (tags(50), tags(50, "new"), True),  # all 50 replaced: the old ones go first (UntagResource, then TagResource)
        (tags(50), {"t00": "changed"}, False),  # a value changed: no tag added
    ],
)
def test_tag_counts_within_the_limit_pass(have, wanted, purge):
    current = dict(repository_settings.repository_from_api({"repositoryName": "team/app", "repositoryArn": "a"}))
    current["tags"] = have
    changes = repository_settings.compare(current, desired(tags=wanted, purge_tags=purge))
    assert [c.operation for c in changes][-1] == "tag_resource"
    if purge:
        assert [c.operation for c in changes] == ["untag_resource", "tag_resource"]


def test_ecr_repo_refuses_the_tag_count_before_writing_scan_on_push(raw, recorded):
    """The issue's case: 45 existing + 10 new tags, and scan on push: nothing is written, not even scan on push."""
    make_repository(raw, tag_count=45)
    client, recorder = recorded()
    with pytest.raises(RepositoryError) as info:
        converge_repository.converge(client, desired(scan_on_push=True, tags=tags(10, "new"), purge_tags=False))
    assert "would have 55 tags" in info.value.message
    assert recorder.writes == []
    entry, have = read_back(raw)
    assert entry["imageScanningConfiguration"]["scanOnPush"] is False
    assert have == tags(45)


def test_bulk_refuses_the_tag_count_before_any_write_of_that_repository(raw, recorded):
    make_repository(raw, tag_count=45)
    make_repository(raw, name="team/other")
    client, recorder = recorded()
    requests = bulk_requests(
        [
            {"name": "team/app", "scan_on_push": True, "tags": tags(10, "new"), "purge_tags": False},
            {"name": "team/other", "scan_on_push": True},
        ]
    )
    results = converge_bulk.Converger(client).run(requests, concurrency=1)
    assert results[0]["failed"] is True and "would have 55 tags" in results[0]["msg"]
    assert results[0]["msg"].startswith("repositories[0] (name 'team/app'): tags:")
    assert results[1]["changed"] is True and not results[1].get("failed")
    assert recorder.writes == ["PutImageScanningConfiguration"]  # team/other's only
    assert read_back(raw)[0]["imageScanningConfiguration"]["scanOnPush"] is False


# ---------------------------------------------------------------------------------------------
# Policy size: new repositories before CreateRepository, merged documents before the first write
# ---------------------------------------------------------------------------------------------

MANY_ROLES = [
    f"arn:aws:iam::{100000000000 + i}:role/a-rather-long-role-name-for-deployments-{i:03d}" for i in range(200)
]


def test_new_repository_with_an_oversized_policy_is_refused_before_any_call(raw, recorded):
    client, recorder = recorded()
    with pytest.raises(BulkError) as info:
        bulk_requests([{"name": "team/ok"}, {"name": "team/big", "pull": MANY_ROLES}])
    message = info.value.message
    assert message.startswith("repositories[1] (name 'team/big').pull: the policy document would be")
    assert "at most 10240" in message
    assert recorder.calls == []
    assert raw.describe_repositories()["repositories"] == []


def test_the_partition_counts_in_the_size():
    """Account roots render as arn:PARTITION:iam::ACCOUNT:root: a longer partition makes a longer document."""
    accounts = [f"{100000000000 + i}" for i in range(280)]
    bulk_requests([{"name": "team/app", "pull": accounts}], partition="aws")
    with pytest.raises(BulkError):
        bulk_requests([{"name": "team/app", "pull": accounts}], partition="aws-iso-b")


def test_merged_policy_over_the_limit_fails_before_the_settings_are_written(raw, recorded):
    """purge_statements=false keeps the statements others wrote: their size counts, and is known only after the
    read; the repository's settings must not be written when its policy will be refused."""
    make_repository(raw)
    foreign = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": f"Other{index:03d}",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{200000000000 + index}:root"},
                "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            }
            for index in range(200)
        ],
    }
    while len(json.dumps(foreign, separators=(",", ":"))) > 9800:  # what ECR took: within its 10240 characters
        foreign["Statement"].pop()
    raw.set_repository_policy(repositoryName="team/app", policyText=json.dumps(foreign, separators=(",", ":")))
    client, recorder = recorded()
    requests = bulk_requests(
        [{"name": "team/app", "scan_on_push": True, "pull": MANY_ROLES[:5], "purge_statements": False}]
    )
    result = converge_bulk.Converger(client).run(requests)[0]
    assert result["failed"] is True and "the policy document would be" in result["msg"], result
    assert recorder.writes == []
    assert read_back(raw)[0]["imageScanningConfiguration"]["scanOnPush"] is False
    assert json.loads(raw.get_repository_policy(repositoryName="team/app")["policyText"]) == foreign


# ---------------------------------------------------------------------------------------------
# Deleted by someone else between our read and our write
# ---------------------------------------------------------------------------------------------


def stale(raw, name="team/app"):
    """What a read saw before someone else deleted the repository: (ecr_repo current, DescribeRepositories entry)."""
    entry = make_repository(raw, name=name)
    current = converge_repository.read_repository(RetryingBotoClientWrapper(raw, AWSRetry.jittered_backoff()), name)
    raw.delete_repository(repositoryName=name, force=True)
    return current, entry


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("check_mode", [False, True])
def test_absent_repository_deleted_meanwhile_is_done(raw, recorded, force, check_mode):
    current = stale(raw)[0]
    client = recorded()[0]
    result = converge_repository.converge(
        client, desired(state="absent", force=force), check_mode=check_mode, current=current
    )
    if force:
        # Gone at DeleteRepository (force skips the image count): done, reported as changed as check mode predicts
        # (a retried delete whose first answer was lost meets the same answer).
        assert result == (True, current, {})
    else:
        assert result == (False, {}, {})  # gone before the image count: this run changed nothing


def test_present_repository_deleted_before_a_write_is_a_clear_error(raw, recorded):
    current = stale(raw)[0]
    client = recorded()[0]
    with pytest.raises(RepositoryError) as info:
        converge_repository.converge(client, desired(scan_on_push=True), current=current)
    message = info.value.message
    assert message.startswith("repository 'team/app' was deleted (by someone or something else) while this task ran")
    assert "Run the task again" in message and "create it first" not in message


def test_bulk_absent_entry_deleted_meanwhile_is_done(raw, recorded):
    entry = stale(raw)[1]
    client = recorded()[0]
    request = bulk_requests([{"name": "team/app", "state": "absent"}])[0]
    result = converge_bulk.Converger(client).converge_one(request, entry)
    assert not result.get("failed"), result
    assert result["changed"] is False


@pytest.mark.parametrize(
    "extra",
    [{"scan_on_push": True}, {"pull": ["111122223333"]}, {"lifecycle": {"keep_last": 5}}, {"pull": []}],
    ids=["settings", "policy", "lifecycle", "policy-removal"],
)
def test_bulk_present_entry_deleted_meanwhile_is_a_clear_error(raw, recorded, extra):
    entry = stale(raw)[1]
    client = recorded()[0]
    request = bulk_requests([dict(extra, name="team/app")])[0]
    result = converge_bulk.Converger(client).converge_one(request, entry)
    assert result["failed"] is True
    assert "repositories[0] (name 'team/app'): repository 'team/app' was deleted" in result["msg"], result["msg"]
    assert result["error_code"] == "RepositoryNotFoundException"


# ---------------------------------------------------------------------------------------------
# Expired credentials: a message about the token, and a bulk run that stops trying
# ---------------------------------------------------------------------------------------------


def expired(operation="DescribeRepositories"):
    return botocore.exceptions.ClientError(
        {
            "Error": {
                "Code": "ExpiredTokenException",
                "Message": "The security token included in the request is expired",
            }
        },
        operation,
    )


def test_an_expired_token_says_so_and_what_to_do():
    with pytest.raises(ECRError) as info:
        with translate_errors("describe repository 'team/app'"):
            raise expired()
    assert info.value.message.startswith("Failed to describe repository 'team/app' (the session token of the")
    assert "has expired" in info.value.message and "assume the role again" in info.value.message


def test_bulk_stops_at_expired_credentials(raw, recorded, monkeypatch):
    for index in range(5):
        make_repository(raw, name=f"team/app{index}")
    client, recorder = recorded()

    def refuse(**kwargs):
        raise expired("PutImageScanningConfiguration")

    monkeypatch.setattr(raw, "put_image_scanning_configuration", refuse)
    client.__dict__.pop("put_image_scanning_configuration", None)
    requests = bulk_requests([{"name": f"team/app{index}", "scan_on_push": True} for index in range(5)])
    results = converge_bulk.Converger(client).run(requests, concurrency=1)
    assert all(r["failed"] for r in results)
    assert "(the session token of the credentials has expired" in results[0]["msg"]
    for result in results[1:]:
        assert "not tried, because the credentials stopped working" in result["msg"]
    assert recorder.calls == ["DescribeRepositories"]  # the refused write never reached botocore's hook


# ---------------------------------------------------------------------------------------------
# Entries that are not dicts
# ---------------------------------------------------------------------------------------------


def test_non_dict_entries_are_named_by_index_before_any_call():
    with pytest.raises(BulkError) as info:
        bulk_requests([{"name": "team/ok"}, "team/api", 3, ["name", "x"], None])
    message = info.value.message
    assert message.startswith("4 entries of repositories are invalid: ")
    for index, shown in ((1, "str 'team/api'"), (2, "int 3"), (3, "list ['name', 'x']"), (4, "NoneType None")):
        assert f"repositories[{index}]: give a dict with at least name, for example {{name: team/app}}" in message
        assert f"not the {shown}" in message


def test_role_defaults_leave_non_dict_entries_for_the_module_to_name():
    merged = estate.merged_repositories(
        {"repository_defaults": {"scan_on_push": True}, "repositories": [{"name": "a"}, "b"]}
    )
    assert merged == [{"scan_on_push": True, "name": "a"}, "b"]
