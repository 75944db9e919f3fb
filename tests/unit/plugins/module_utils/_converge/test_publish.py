# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""_converge/publish.py against in-process moto, with an engine that "pushes" by PutImage.

The engine stands in for podman: a push writes the manifest it would upload into ECR (as the
emulator's bridge does), so what the publish reads back is what it pushed.
"""

import hashlib
import json

import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry, RetryingBotoClientWrapper
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import publish
from ansible_collections.dockyard.ecr.plugins.module_utils._models import publish_plan as plan
from localaws import ecr_extensions  # tools/localaws, on the path through conftest.py

moto = pytest.importorskip("moto")
boto3 = pytest.importorskip("boto3")

REGION = "eu-west-1"
ACCOUNT = "123456789012"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def sha(text):
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def manifest(config):
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 1},
            "layers": [],
        }
    )


def index(children):
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {"mediaType": OCI_MANIFEST, "digest": d, "size": 1, "platform": {"os": "linux", "architecture": a}}
                for a, d in children
            ],
        }
    )


class Calls:
    def __init__(self):
        self.names = []

    def __call__(self, model, **kwargs):
        self.names.append(model.name)


@pytest.fixture
def calls():
    return Calls()


@pytest.fixture
def ecr(monkeypatch, calls):
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    # BatchGetImage names each image by the tag asked for, as ECR does (moto alone does not).
    ecr_extensions.install()
    with moto.mock_aws():
        raw = boto3.client("ecr", region_name=REGION)
        raw.meta.events.register("before-call.ecr", calls)
        yield RetryingBotoClientWrapper(raw, AWSRetry.jittered_backoff(retries=2))


class FakeEngine:
    """Pushes by writing the manifest into ECR; records the pushes."""

    def __init__(self, ecr):
        self.ecr = ecr
        self.pushes = []

    def push(self, reference, destination, auth_file=None, multi=False):
        self.pushes.append(destination)
        repository, tag = destination.split("/", 1)[1].rsplit(":", 1)
        build = self.builds[reference]
        if multi:
            children = []
            for platform, config in sorted(build["platform_ids"].items()):
                text = manifest(config)
                self.ecr.put_image(
                    repositoryName=repository,
                    imageManifest=text,
                    imageDigest=sha(text),
                    imageManifestMediaType=OCI_MANIFEST,
                )
                children.append((platform.split("/")[1], sha(text)))
            text = index(children)
            media = OCI_INDEX
        else:
            text, media = manifest(build["image_id"]), OCI_MANIFEST
        self.ecr.put_image(
            repositoryName=repository,
            imageManifest=text,
            imageDigest=sha(text),
            imageTag=tag,
            imageManifestMediaType=media,
        )
        return sha(text)


TARGET = plan.normalize_targets([{"account": ACCOUNT, "region": REGION, "host": "127.0.0.1:5000", "name": "reg"}])[0]
OPTIONS = {"auth_file": None, "verify_attempts": 2, "verify_delay": 0}


def make_build(repository, image_id=None, platform_ids=None, tags=("v1", "latest")):
    build = {
        "repository": repository,
        "version": tags[0],
        "tags": list(tags),
        "local_image": f"localhost/{repository}:{tags[0]}",
        "image_id": image_id,
        "platform_ids": platform_ids or {},
        "platforms": sorted(platform_ids) if platform_ids else [],
    }
    build["identity"] = plan.identity_of(build)
    return build


def run(ecr, builds, check_mode=False, create=True):
    engine = FakeEngine(ecr)
    engine.builds = {b["local_image"]: b for b in builds}
    logins = []
    outcome = publish.publish_target(TARGET, builds, ecr, engine, lambda: logins.append(1), OPTIONS, check_mode, create)
    return outcome, engine, logins


def test_first_publish_creates_pushes_every_tag_logs_in_once(ecr):
    builds = [make_build("team/app", "sha256:" + "a" * 64), make_build("team/api", "sha256:" + "b" * 64)]
    outcome, engine, logins = run(ecr, builds)
    assert outcome["changed"]
    assert logins == [1]
    assert engine.pushes == [
        "127.0.0.1:5000/team/app:v1",
        "127.0.0.1:5000/team/app:latest",
        "127.0.0.1:5000/team/api:v1",
        "127.0.0.1:5000/team/api:latest",
    ]
    app, api = outcome["entries"]
    assert app["uri"] == "127.0.0.1:5000/team/app" and app["pushed_tags"] == ["v1", "latest"]
    assert app["digest"] == sha(manifest("sha256:" + "a" * 64)) and app["digests"]["latest"] == app["digest"]
    assert api["image_id"] == "sha256:" + "b" * 64


def test_second_publish_reads_only_and_changes_nothing(ecr, calls):
    builds = [make_build("team/app", "sha256:" + "a" * 64)]
    run(ecr, builds)
    del calls.names[:]
    outcome, engine, logins = run(ecr, builds)
    assert not outcome["changed"] and engine.pushes == [] and logins == []
    assert outcome["entries"][0]["summary"].endswith("unchanged")
    # The floor of a no-op: the repository and one read of the tags.
    assert calls.names == ["DescribeRepositories", "BatchGetImage"]


def test_only_the_missing_tag_is_pushed(ecr):
    image_id = "sha256:" + "a" * 64
    run(ecr, [make_build("team/app", image_id)])
    outcome, engine, _logins = run(ecr, [make_build("team/app", image_id, tags=("v1", "latest", "v2.0.0"))])
    assert engine.pushes == ["127.0.0.1:5000/team/app:v2.0.0"]
    assert outcome["entries"][0]["pushed_tags"] == ["v2.0.0"]


def test_check_mode_predicts_and_writes_nothing(ecr, calls):
    outcome, engine, logins = run(ecr, [make_build("team/app", "sha256:" + "a" * 64)], check_mode=True)
    assert outcome["changed"] and engine.pushes == [] and logins == []
    assert outcome["entries"][0]["summary"].endswith("would push v1, latest")
    assert "CreateRepository" not in calls.names
    assert ecr.describe_repositories()["repositories"] == []


def test_missing_repository_without_create_fails_before_anything(ecr):
    with pytest.raises(plan.PlanError, match="repository: team/app does not exist in the registry of 123456789012"):
        run(ecr, [make_build("team/app", "sha256:" + "a" * 64)], create=False)


def test_immutable_latest_is_refused_before_any_push(ecr):
    ecr.create_repository(repositoryName="team/app", imageTagMutability="IMMUTABLE")
    run(ecr, [make_build("team/app", "sha256:" + "a" * 64)])
    with pytest.raises(plan.PlanError) as error:
        run(ecr, [make_build("team/app", "sha256:" + "c" * 64, tags=("v2", "latest"))])
    assert "tag 'latest' names image sha256:" + "a" * 64 in error.value.message
    assert "leave latest out of the tags" in error.value.message
    tags = {t for d in ecr.describe_images(repositoryName="team/app")["imageDetails"] for t in d.get("imageTags", [])}
    assert tags == {"v1", "latest"}, "v2 must not have been pushed either"


def test_manifest_list_is_pushed_as_an_index_and_recognised_again(ecr):
    platforms = {"linux/amd64": "sha256:" + "1" * 64, "linux/arm64": "sha256:" + "2" * 64}
    outcome, engine, _logins = run(ecr, [make_build("team/app", platform_ids=platforms)])
    assert outcome["entries"][0]["pushed_tags"] == ["v1", "latest"]
    digest = outcome["entries"][0]["digest"]
    detail = ecr.describe_images(repositoryName="team/app", imageIds=[{"imageTag": "latest"}])["imageDetails"][0]
    assert detail["imageDigest"] == digest
    again, engine, _logins = run(ecr, [make_build("team/app", platform_ids=platforms)])
    assert engine.pushes == [] and not again["changed"]
    # Another build of one platform is another image.
    other = dict(platforms, **{"linux/arm64": "sha256:" + "3" * 64})
    changed, engine, _logins = run(ecr, [make_build("team/app", platform_ids=other)])
    assert changed["entries"][0]["pushed_tags"] == ["v1", "latest"]


def test_tags_of_different_images_are_told_apart(ecr):
    run(ecr, [make_build("team/app", "sha256:" + "a" * 64)])
    run(ecr, [make_build("team/app", "sha256:" + "b" * 64, tags=("v2", "latest"))])
    outcome, engine, _logins = run(ecr, [make_build("team/app", "sha256:" + "a" * 64, tags=("v1", "latest"))])
    assert engine.pushes == ["127.0.0.1:5000/team/app:latest"], "v1 names the image already, latest names v2's"
    assert outcome["entries"][0]["pushed_tags"] == ["latest"]


def test_a_push_that_lands_elsewhere_fails_verification(ecr):
    build = make_build("team/app", "sha256:" + "a" * 64)
    engine = FakeEngine(ecr)
    engine.builds = {build["local_image"]: make_build("team/app", "sha256:" + "f" * 64)}
    with pytest.raises(plan.PlanError, match="verify: in team/app of .*tag 'v1' names sha256:f+, not the image built"):
        publish.publish_target(TARGET, [build], ecr, engine, lambda: None, OPTIONS, False, True)


def test_read_source_and_prepare_builds(tmp_path):
    (tmp_path / "Containerfile").write_text("FROM scratch\n")
    outputs = {
        "log": (0, "0123456789abcdef0123456789abcdef01234567 1700000000\n", ""),
        "status": (0, "?? new.txt\n", ""),
    }

    def fake_run(argv, env=None):
        return outputs["log" if "log" in argv else "status"]

    requests = plan.image_requests([{"repository": "team/app", "context": str(tmp_path)}], [], "/")
    params = {
        "version": None,
        "allow_dirty": True,
        "labels": {"x": "1"},
        "tags": [],
        "extra_tags": ["v1"],
        "platforms": [],
        "source_date_epoch": None,
    }
    build = publish.prepare_builds(fake_run, requests, params)[0]
    assert build["version"] == "0123456789ab-dirty" and build["dirty"]
    assert build["tags"] == ["0123456789ab-dirty", "latest", "v1"]
    assert build["source_date_epoch"] == 1700000000
    assert build["request"]["labels"] == {"org.opencontainers.image.revision": "0123456789abcdef0123456789abcdef01234567-dirty", "x": "1"}  # fmt: skip
    with pytest.raises(plan.PlanError, match="allow_dirty: the build context"):
        publish.prepare_builds(fake_run, requests, dict(params, allow_dirty=False))


class StoreEngine(publish.Engine):
    """podman's image store as a dict: a build records the labels it was given; inspect reads them."""

    def __init__(self):
        super().__init__("podman", None)
        self.store, self.builds = {"debian:12": {"id": "sha256:base", "inputs": ""}}, 0

    def inspect(self, references):
        found = [self.store.get(r) for r in references]
        return None if None in found else found

    def build(self, request, reference, epoch):
        self.builds += 1
        image_id = sha(json.dumps([request["labels"], self.builds]))
        self.store[reference] = {"id": image_id, "inputs": request["labels"].get(plan.INPUTS_LABEL, "")}
        return image_id, {}


def _context_build(tmp_path, containerfile="FROM debian:12\nCOPY a /a\n"):
    (tmp_path / "Containerfile").write_text(containerfile)
    if not (tmp_path / "a").exists():
        (tmp_path / "a").write_text("one")
    (tmp_path / ".git").mkdir(exist_ok=True)
    (tmp_path / ".dockerignore").write_text(".git\n")
    requests = plan.image_requests([{"repository": "team/app", "context": str(tmp_path)}], [], "/")
    params = {"version": "v1", "allow_dirty": False, "labels": {}, "tags": [], "extra_tags": [], "platforms": []}
    return publish.prepare_builds(lambda argv, env=None: (1, "", ""), requests, dict(params, source_date_epoch=0))


def test_an_unchanged_build_is_not_run_again(tmp_path):
    engine = StoreEngine()
    first = _context_build(tmp_path)
    publish.build_all(engine, first, check_mode=False)
    assert first[0]["built"] and engine.builds == 1
    assert first[0]["request"]["labels"][plan.INPUTS_LABEL].startswith("sha256:")
    second = _context_build(tmp_path)
    (tmp_path / ".git" / "index").write_text("changes on every git command")  # ignored by .dockerignore
    publish.build_all(engine, second, check_mode=False)
    assert not second[0]["built"] and engine.builds == 1
    assert second[0]["image_id"] == first[0]["image_id"]
    # A changed file, a new base image: built again.
    (tmp_path / "a").write_text("two")
    third = _context_build(tmp_path)
    publish.build_all(engine, third, check_mode=False)
    assert third[0]["built"] and engine.builds == 2
    engine.store["debian:12"] = {"id": "sha256:newbase", "inputs": ""}
    fourth = _context_build(tmp_path)
    publish.build_all(engine, fourth, check_mode=False)
    assert fourth[0]["built"] and engine.builds == 3


def test_a_build_that_fetches_is_always_run(tmp_path):
    engine = StoreEngine()
    for expected in (1, 2):
        builds = _context_build(tmp_path, "FROM scratch\nADD https://example.com/x.tgz /\n")
        publish.build_all(engine, builds, check_mode=False)
        assert builds[0]["built"] and engine.builds == expected
        assert plan.INPUTS_LABEL not in builds[0]["request"]["labels"]


def test_context_files_describe_content_mode_and_links(tmp_path):
    (tmp_path / "a").write_text("one")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_text("two")
    (tmp_path / "link").symlink_to("a")
    (tmp_path / "skip").write_text("x")
    lines = publish.context_files(str(tmp_path), {"skip"})
    assert [line.split()[:2] for line in lines] == [["F", "a"], ["L", "link"], ["D", "sub"], ["F", "sub/b"]]
    assert lines[1] == "L link a"
    (tmp_path / "a").chmod(0o755)
    assert publish.context_files(str(tmp_path), {"skip"})[0] != lines[0]
