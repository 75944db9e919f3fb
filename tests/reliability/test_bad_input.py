# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A typo never costs data: bad input fails with a message that says what to fix, and writes nothing.

Each case of ``CASES`` is a module task or a role run with one bad input. All cases run in one
playbook through a proxy that counts the requests reaching the emulator, labelled by case (the
playbook marks each case before it runs it). For each case: the task failed, its message holds the
fragment a user should see, and no write call reached the emulator. The emulator holds resources
the cases could damage (repositories with images, policies, IAM roles), and they are compared
before and after.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import (
    ACCESS_KEY,
    DEFAULT_ACCOUNT,
    ROOT,
    SECRET_KEY,
    Ansible,
    Emulators,
    client,
    differences,
    dump_state,
    put_image,
    remember_account_secrets,
)

CONSUMER = "111111111111"
GOOD_RULES = [{"priority": 1, "tag_status": "any", "count_type": "image_count_more_than", "count": 1}]
MANIFEST = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2, "digest": "sha256:" + "5" * 64},
    "layers": [],
}

# Over ECR's 10240 characters of policy as grants alone; and 50 tags, one more than keep/api can take.
MANY_ROLES = [
    f"arn:aws:iam::{100000000000 + i}:role/a-rather-long-role-name-for-deployments-{i:03d}" for i in range(200)
]
FIFTY_TAGS = {f"extra{i:02d}": "x" for i in range(50)}


def case(case_id, category, target, args, fragment, **extra):
    return {"id": case_id, "category": category, "target": target, "args": args, "fragment": fragment, **extra}


# target: "module NAME" or "role NAME". {work} in args is the case's scratch directory.
CASES = [
    # ---------------------------------------------------------------------------------------- names
    case("repo-name-upper", "names", "module ecr_repo", {"name": "Team/App"},
         "name: 'Team/App' is not a valid ECR repository name (ECR names are lower case: use 'team/app')"),
    case("repo-name-double-slash", "names", "module ecr_repo", {"name": "team//app"},
         "name: 'team//app' is not a valid ECR repository name"),
    case("repo-name-too-long", "names", "module ecr_repo", {"name": "a" * 257},
         "is 257 characters long; an ECR repository name has 2 to 256"),
    case("policy-repo-name", "names", "module ecr_policy", {"repository": "-app", "pull": [CONSUMER]},
         "repository: '-app' is not a valid ECR repository name"),
    case("lifecycle-repo-name", "names", "module ecr_lifecycle", {"repository": "keep/App", "rules": GOOD_RULES},
         "repository: 'keep/App' is not a valid ECR repository name"),
    case("repo-tag-key-aws", "names", "module ecr_repo", {"name": "keep/api", "tags": {"aws:owner": "x"}},
         "tags: tag key 'aws:owner' starts with 'aws:', which AWS reserves for its own tags"),
    # ---------------------------------------------------------------------------------- account IDs
    case("repo-registry-id", "account IDs", "module ecr_repo", {"name": "keep/api", "registry_id": "12345"},
         "registry_id: '12345' is not an AWS account ID"),
    case("policy-pull-account", "account IDs", "module ecr_policy", {"repository": "keep/api", "pull": ["1234567890"]},
         "pull[0]: '1234567890' is not an AWS account ID or IAM principal ARN (it has 10 digits"),
    case("lifecycle-registry-id", "account IDs", "module ecr_lifecycle",
         {"repository": "keep/api", "registry_id": "1234567890123", "rules": GOOD_RULES},
         "registry_id: '1234567890123' is not an AWS account ID"),
    case("login-registry-id", "account IDs", "module ecr_login",
         {"registries": [{"registry_id": "abcdefghijkl"}], "docker_config": "{work}/docker.json",
          "auth_files": ["docker"]}, "registries[0].registry_id: 'abcdefghijkl' is not an AWS account ID"),
    # ----------------------------------------------------------------------------------------- ARNs
    case("policy-push-arn-type", "ARNs", "module ecr_policy",
         {"repository": "keep/api", "push": ["arn:aws:iam::123456789012:rol/ci"]},
         "push[0]: 'arn:aws:iam::123456789012:rol/ci' is not an AWS account ID or IAM principal ARN"),
    case("policy-pull-arn-colon", "ARNs", "module ecr_policy",
         {"repository": "keep/api", "pull": ["arn:aws:iam:123456789012:role/ci"]},
         "pull[0]: 'arn:aws:iam:123456789012:role/ci' is not an AWS account ID or IAM principal ARN"),
    case("repo-kms-arn", "ARNs", "module ecr_repo",
         {"name": "keep/new", "encryption": {"type": "KMS", "kms_key": "arn:aws:kms:us-east-1:123:key/x"}},
         "encryption.kms_key: 'arn:aws:kms:us-east-1:123:key/x' is not a KMS key ID, key ARN, alias name or alias ARN"),
    case("policy-organization", "ARNs", "module ecr_policy",
         {"repository": "keep/api", "organizations": ["o-"]},
         "organizations[0]: 'o-' is not an AWS Organizations ID"),
    # ----------------------------------------------------------------------------- policy documents
    case("policy-not-json", "policy documents", "module ecr_policy",
         {"repository": "keep/api", "policy": '{"Version": "2012-10-17", "Statement": ['}, "policy: not valid JSON"),
    case("policy-effect", "policy documents", "module ecr_policy",
         {"repository": "keep/api", "policy": {"Version": "2012-10-17", "Statement": [
             {"Effect": "Permit", "Principal": {"AWS": CONSUMER}, "Action": "ecr:BatchGetImage"}]}},
         "policy.Statement[0].Effect: 'Permit' is not one of ['Allow', 'Deny']; use Allow or Deny"),
    case("policy-public", "policy documents", "module ecr_policy",
         {"repository": "keep/api", "policy": {"Version": "2012-10-17", "Statement": [
             {"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}]}},
         "policy.Statement[0]: allows everyone (a * principal without a Condition)"),
    case("policy-no-statement", "policy documents", "module ecr_policy",
         {"repository": "keep/api", "policy": {"Version": "2012-10-17"}},
         "policy: 'Statement' is a required property"),
    case("registry-policy-action", "policy documents", "module ecr_policy",
         {"scope": "registry", "policy": {"Version": "2012-10-17", "Statement": [
             {"Effect": "Allow", "Principal": {"AWS": CONSUMER}, "Action": "s3:GetObject", "Resource": "*"}]}},
         "policy.Statement[0].Action: 's3:GetObject' is not an Amazon ECR action"),
    # ---------------------------------------------------------------------------------- lifecycle rules
    case("lifecycle-priorities", "lifecycle rules", "module ecr_lifecycle",
         {"repository": "keep/api", "rules": [GOOD_RULES[0], dict(GOOD_RULES[0], tag_status="untagged")]},
         "rules[priority=1].priority: priority 1 is given to 2 rules"),
    case("lifecycle-count-zero", "lifecycle rules", "module ecr_lifecycle",
         {"repository": "keep/api", "rules": [dict(GOOD_RULES[0], count=0)]},
         "rules[priority=1].count: must be a positive integer (1 or more), got 0"),
    case("lifecycle-tag-status", "lifecycle rules", "module ecr_lifecycle",
         {"repository": "keep/api", "rules": [dict(GOOD_RULES[0], tag_status="all")]},
         "rules[priority=1].tag_status: 'all' is not a valid tag_status; use one of tagged, untagged, any"),
    case("lifecycle-count-unit", "lifecycle rules", "module ecr_lifecycle",
         {"repository": "keep/api", "rules": [dict(GOOD_RULES[0], count_type="since_image_pushed", count_unit="hours")]},
         "rules[priority=1].count_unit: 'hours' is not a valid count_unit; use one of days"),
    case("lifecycle-document-key", "lifecycle rules", "module ecr_lifecycle",
         {"repository": "keep/api", "policy": {"rules": [{"rulePriority": 1, "selection": {
             "tag_status": "any", "countType": "imageCountMoreThan", "countNumber": 1}, "action": {"type": "expire"}}]}},
         "policy.rules[priority=1].selection.tag_status: unknown field"),
    case("lifecycle-max-expire", "lifecycle rules", "module ecr_lifecycle",
         {"repository": "keep/api", "rules": GOOD_RULES, "max_expire_percent": 101},
         "max_expire_percent: 101 is not a percentage"),
    case("lifecycle-over-limit", "lifecycle rules", "module ecr_lifecycle",
         {"repository": "keep/api", "rules": GOOD_RULES, "max_expire_percent": 40},
         "max_expire_percent: the lifecycle policy would expire 2 of the 3 images in repository 'keep/api' (67%"),
    # ---------------------------------------------------------------------------------------- logins
    case("login-region", "regions", "module ecr_login",
         {"registries": [{"region": "mars-east"}], "docker_config": "{work}/docker.json", "auth_files": ["docker"]},
         "registries[0].region: 'mars-east' is not an AWS region"),
    case("login-min-validity", "durations", "module ecr_login",
         {"min_validity": "13h", "docker_config": "{work}/docker.json", "auth_files": ["docker"]},
         "min_validity: '13h' is 46800 seconds, but an ECR token is valid for 12 hours"),
    case("login-host", "names", "module ecr_login",
         {"registries": [{"host": "https://registry.example.com/v2/"}], "docker_config": "{work}/docker.json",
          "auth_files": ["docker"]},
         "registries[0].host: 'https://registry.example.com/v2/' is not a host name with an optional port"),
    case("login-host-port", "names", "module ecr_login",
         {"registries": [{"host": "registry.example.com:99999"}], "docker_config": "{work}/docker.json",
          "auth_files": ["docker"]},
         "registries[0].host: 'registry.example.com:99999' has port 99999; a port is a number from 1 to 65535"),
    case("login-host-dash", "names", "module ecr_login",
         {"registries": [{"host": "-registry.example.com"}], "docker_config": "{work}/docker.json",
          "auth_files": ["docker"]},
         "registries[0].host: '-registry.example.com' is not a host name"),
    case("login-helper-host", "names", "module ecr_login",
         {"registries": [{"host": "registry-proxy.example.com"}], "credential_helper": True,
          "docker_config": "{work}/docker.json", "auth_files": ["docker"]},
         "registries[0].host: 'registry-proxy.example.com' is not an ECR registry host name"),
    case("repo-registry-host", "names", "module ecr_repo", {"name": "keep/api", "registry_host": "host:5000/path"},
         "registry_host: 'host:5000/path' is not a host name with an optional port"),
    # ----------------------------------------------------------------------------------------- paths
    case("login-invalid-json", "paths", "module ecr_login",
         {"docker_config": "{work}/broken/config.json", "auth_files": ["docker"]},
         "broken/config.json is not valid JSON (JSONDecodeError at 16); fix or remove it", files={"broken/config.json": '{"auths": {"x": '}),
    case("login-parent-is-file", "paths", "module ecr_login",
         {"podman_auth_file": "{work}/plain-file/auth.json", "auth_files": ["podman"]},
         "plain-file is not a directory; set podman_auth_file to a path in a writable directory",
         files={"plain-file": "not a directory"}),
    case("login-path-without-kind", "paths", "module ecr_login",
         {"auth_files": ["docker"], "podman_auth_file": "{work}/auth.json"},
         "podman_auth_file is set but auth_files does not include podman"),
    # ------------------------------------------------------------------------------ deletion safety
    case("repo-absent-with-images", "deletion", "module ecr_repo", {"name": "keep/api", "state": "absent"},
         "force: repository 'keep/api' holds 3 images, so nothing was deleted"),
    # ------------------------------------------------------------------------------------- the bulk module
    case("bulk-name", "names", "module ecr_repositories", {"repositories": [{"name": "keep/api"}, {"name": "Bad Name"}]},
         "repositories[1] (name 'Bad Name').name: 'Bad Name' is not a valid ECR repository name"),
    case("bulk-lifecycle", "lifecycle rules", "module ecr_repositories",
         {"repositories": [{"name": "keep/api", "lifecycle": {"keep_last": 0}}]},
         "repositories[0] (name 'keep/api').lifecycle.keep_last: must be 1 or more, got 0"),
    case("bulk-pull-account", "account IDs", "module ecr_repositories",
         {"repositories": [{"name": "keep/api", "pull": ["11111111111"]}]},
         "repositories[0] (name 'keep/api').pull[0]: '11111111111' is not an AWS account ID"),
    case("bulk-absent-with-images", "deletion", "module ecr_repositories",
         {"repositories": [{"name": "keep/api", "state": "absent"}]},
         "force: repository 'keep/api' holds 3 images, so nothing was deleted"),
    case("bulk-entry-not-a-dict", "entries", "module ecr_repositories",
         {"repositories": [{"name": "keep/api"}, "keep/web"]},
         "repositories[1]: give a dict with at least name, for example {name: team/app}"),
    case("bulk-new-policy-too-big", "limits", "module ecr_repositories",
         {"repositories": [{"name": "new/big", "pull": MANY_ROLES}]},
         "repositories[0] (name 'new/big').pull: the policy document would be"),
    # -------------------------------------------------------------- limits that depend on what is there
    case("repo-tags-merged-over-limit", "limits", "module ecr_repo",
         {"name": "keep/api", "scan_on_push": True, "purge_tags": False, "tags": FIFTY_TAGS},
         "tags: repository 'keep/api' would have 51 tags (1 it has and keeps, 50 new), and ECR allows at most 50"),
    case("bulk-tags-merged-over-limit", "limits", "module ecr_repositories",
         {"repositories": [{"name": "keep/api", "scan_on_push": True, "purge_tags": False, "tags": FIFTY_TAGS}]},
         "repositories[0] (name 'keep/api'): tags: repository 'keep/api' would have 51 tags"),
    # ------------------------------------------------------------------------------------------ roles
    case("role-repositories-not-a-dict", "entries", "role repositories",
         {"ecr_repositories": ["keep/api"]},
         "repositories[0]: give a dict with at least name, for example {name: team/app}"),
    case("role-repositories-name", "names", "role repositories",
         {"ecr_repositories": [{"name": "keep/api"}, {"name": "UPPER/case"}]},
         "repositories[1] (name 'UPPER/case').name: 'UPPER/case' is not a valid ECR repository name"),
    case("role-repositories-absent", "deletion", "role repositories",
         {"ecr_repositories": [{"name": "keep/api", "state": "absent"}]},
         "force: repository 'keep/api' holds 3 images, so nothing was deleted"),
    case("role-repositories-rules", "lifecycle rules", "role repositories",
         {"ecr_repositories": [{"name": "keep/api", "lifecycle": {"rules": [dict(GOOD_RULES[0], count_unit="days")]}}]},
         "lifecycle.rules[priority=1].count_unit: only used with the age count types"),
    case("role-remote-access-registry-id", "account IDs", "role remote_access",
         {"remote_access_roles": [{"name": "keep-role"}],
          "remote_access_repositories": [{"name": "keep/api", "registry_id": "12345", "region": "us-east-1"}]},
         "registry_id must be the 12-digit account ID"),
    case("role-remote-access-policy-name", "names", "role remote_access",
         {"remote_access_roles": [{"name": "keep-role"}], "remote_access_policy_name": "bad name!",
          "remote_access_repositories": [{"name": "keep/api", "registry_id": DEFAULT_ACCOUNT, "region": "us-east-1"}]},
         "remote_access_policy_name: bad name! is not a valid IAM policy name"),
    case("role-publish-engine", "engines", "role publish",
         {"publish_repository": "keep/api", "publish_context": "{work}/context", "publish_engine": "dockr"},
         "value of publish_engine must be one of: auto, docker, podman, buildah, got: dockr", files={"context/Containerfile": "FROM scratch\n"}),
    case("role-publish-version", "versions", "role publish",
         {"publish_repository": "keep/api", "publish_context": "{work}/context", "publish_version": "v 1.0"},
         "publish_version: 'v 1.0' is not a valid image tag", files={"context/Containerfile": "FROM scratch\n"}),
    case("role-publish-tag", "versions", "role publish",
         {"publish_repository": "keep/api", "publish_context": "{work}/context", "publish_version": "1.0",
          "publish_extra_tags": [".hidden"]},
         "publish_extra_tags: '.hidden' is not a valid image tag", files={"context/Containerfile": "FROM scratch\n"}),
    case("role-publish-context", "paths", "role publish",
         {"publish_repository": "keep/api", "publish_context": "{work}/no-such-directory", "publish_version": "1.0"},
         ["publish_context: the build context ", "no-such-directory is not a directory on the controller"]),
    case("role-publish-images-repository", "names", "role publish",
         {"publish_images": [{"repository": "Keep/API", "context": "{work}/context"}], "publish_version": "1.0"},
         "publish_images[0].repository: 'Keep/API' is not a valid ECR repository name", files={"context/Containerfile": "FROM scratch\n"}),
    case("role-publish-repository", "names", "role publish",
         {"publish_repository": "Keep/API", "publish_context": "{work}/context", "publish_version": "1.0"},
         "publish_repository: 'Keep/API' is not a valid ECR repository name", files={"context/Containerfile": "FROM scratch\n"}),
]  # fmt: skip


def target_present(target: str) -> str | None:
    """None when the module or role exists in the checkout, else why the case cannot run."""
    kind, name = target.split(" ", 1)
    path = ROOT / ("plugins/modules" if kind == "module" else "roles") / (f"{name}.py" if kind == "module" else name)
    if path.exists():
        return None
    return f"{kind} {name} is not in the collection yet ({path.relative_to(ROOT)} is missing)"


def task_for(item: dict, work: Path) -> dict:
    args = json.loads(json.dumps(item["args"]).replace("{work}", str(work)))
    kind, name = item["target"].split(" ", 1)
    if kind == "module":
        return {"name": f"Run {item['id']}", f"dockyard.ecr.{name}": args}
    return {"name": f"Run {item['id']}", "ansible.builtin.include_role": {"name": f"dockyard.ecr.{name}"}, "vars": args}


def playbook(cases: list, work: Path) -> list:
    tasks = []
    for item in cases:
        case_dir = work / item["id"]
        tasks.append(
            {
                "name": f"Case {item['id']}",
                "block": [
                    {
                        "name": f"Mark {item['id']}",
                        "ansible.builtin.set_fact": {
                            "__mark": "{{ lookup('ansible.builtin.url', mark_url ~ '" + item["id"] + "') }}"
                        },
                    },
                    task_for(item, case_dir),
                    {
                        "name": f"Record that {item['id']} did not fail",
                        "ansible.builtin.set_fact": {
                            "outcomes": "{{ outcomes | combine({'" + item["id"] + "': {'failed': false}}) }}"
                        },
                    },
                ],
                "rescue": [
                    {
                        "name": f"Record the failure of {item['id']}",
                        "ansible.builtin.set_fact": {
                            "outcomes": "{{ outcomes | combine({'"
                            + item["id"]
                            + "': {'failed': true, 'msg': ansible_failed_result.msg | default('') | string}}) }}"
                        },
                    }
                ],
            }
        )
    tasks.append(
        {
            "name": "Write the outcomes",
            "ansible.builtin.copy": {"content": "{{ outcomes | to_nice_json }}", "dest": str(work / "outcomes.json")},
        }
    )
    aws = {"access_key": "{{ aws_access_key }}", "secret_key": "{{ aws_secret_key }}", "region": "us-east-1",
           "endpoint_url": "{{ aws_endpoint_url }}"}  # fmt: skip
    return [
        {
            "name": "Bad inputs",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "module_defaults": {"group/dockyard.ecr.ecr": aws},
            "vars": {"outcomes": {}, "aws_account_id": DEFAULT_ACCOUNT, "aws_region": "us-east-1"},
            "tasks": tasks,
        }
    ]


def seed(endpoint: str) -> None:
    """What a bad input could damage: a repository with images, a policy, a lifecycle policy, an IAM role."""
    ecr = client(endpoint, "ecr")
    ecr.create_repository(repositoryName="keep/api", tags=[{"Key": "team", "Value": "keep"}])
    for index in range(3):
        put_image(ecr, "keep/api", dict(MANIFEST, annotations={"index": str(index)}), f"1.{index}")
    ecr.set_repository_policy(
        repositoryName="keep/api",
        policyText=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "Keep", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CONSUMER}:root"},
                     "Action": ["ecr:BatchGetImage"]}
                ],
            }
        ),
    )  # fmt: skip
    selection = {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 50}
    ecr.put_lifecycle_policy(
        repositoryName="keep/api",
        lifecyclePolicyText=json.dumps(
            {"rules": [{"rulePriority": 1, "selection": selection, "action": {"type": "expire"}}]}
        ),
    )
    client(endpoint, "iam").create_role(RoleName="keep-role", AssumeRolePolicyDocument=json.dumps({"Statement": []}))


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    """Runs every case whose module or role exists, in one playbook; returns outcomes, requests and states."""
    remember_account_secrets(DEFAULT_ACCOUNT)
    base = tmp_path_factory.mktemp("bad-input")
    emulators = Emulators(base)
    try:
        moto = emulators.moto()
        proxy = emulators.proxy(moto.url)
        seed(moto.url)
        before = dump_state(moto.url, [DEFAULT_ACCOUNT])
        runnable = [item for item in CASES if target_present(item["target"]) is None]
        work = base / "work"
        files = {}
        for item in runnable:
            for name, content in item.get("files", {}).items():
                path = work / item["id"] / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(content)
                files[path] = content
        (base / "matrix.yml").write_text(json.dumps(playbook(runnable, work), indent=1))
        run = Ansible(base / "ansible").run(
            base / "matrix.yml",
            "bad-input",
            extra_vars={
                "aws_endpoint_url": proxy.url,
                "aws_access_key": ACCESS_KEY,
                "aws_secret_key": SECRET_KEY,
                "mark_url": f"{proxy.url}/__faultproxy__/mark?name=",
            },
        )
        requests = proxy.harvest()["requests"]
        after = dump_state(moto.url, [DEFAULT_ACCOUNT])
        outcomes_file = work / "outcomes.json"
        outcomes = json.loads(outcomes_file.read_text()) if outcomes_file.exists() else {}
        changed_files = [str(path) for path, content in files.items() if path.read_text() != content]
        yield {"run": run, "outcomes": outcomes, "requests": requests, "before": before, "after": after,
               "changed_files": changed_files}  # fmt: skip
    finally:
        emulators.close()


def test_the_matrix_is_big_enough():
    assert len(CASES) >= 30
    assert len({item["id"] for item in CASES}) == len(CASES)
    categories = {item["category"] for item in CASES}
    for wanted in (
        "names",
        "account IDs",
        "ARNs",
        "policy documents",
        "lifecycle rules",
        "engines",
        "versions",
        "paths",
    ):
        assert wanted in categories


def test_the_playbook_ran_and_nothing_changed(matrix):
    run = matrix["run"]
    assert run.rc == 0, run.tail()
    assert differences(matrix["before"], matrix["after"]) == []
    assert matrix["changed_files"] == []


@pytest.mark.parametrize("item", CASES, ids=[item["id"] for item in CASES])
def test_bad_input(matrix, item):
    missing = target_present(item["target"])
    if missing:
        pytest.skip(missing)
    outcome = matrix["outcomes"].get(item["id"])
    assert outcome is not None, f"the case did not run:\n{matrix['run'].tail()}"
    assert outcome["failed"], f"{item['target']} accepted {item['args']}"
    # A fragment, or several that must all be in the message.
    for fragment in item["fragment"] if isinstance(item["fragment"], list) else [item["fragment"]]:
        assert fragment in outcome["msg"], f"message: {outcome['msg']}"
    mine = [r for r in matrix["requests"] if r["mark"] == item["id"]]
    writes = [r["operation"] for r in mine if r["write"]]
    assert writes == [], f"write calls reached the emulator: {writes}"
