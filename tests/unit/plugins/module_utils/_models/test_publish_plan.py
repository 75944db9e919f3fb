# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest
from ansible_collections.dockyard.ecr.plugins.module_utils._models import publish_plan as plan

# ---------------------------------------------------------------------------------------------
# Tags as people give them
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("v1.0.0", ["v1.0.0"]),
        ("v1.0.0,stable", ["v1.0.0", "stable"]),  # an AWX survey text answer, -e publish_extra_tags=...
        ("v1.0.0, stable ,", ["v1.0.0", "stable"]),
        (["v1.0.0", "stable"], ["v1.0.0", "stable"]),
        (["v1.0.0,stable", "rc"], ["v1.0.0", "stable", "rc"]),
        (["a", "a", "b"], ["a", "b"]),
        ("", []),
        (None, []),
        ([], []),
        (7, ["7"]),
    ],
)
def test_tags_from_lists_and_comma_separated_strings(value, expected):
    assert plan.normalize_tags(value, "extra_tags") == expected


@pytest.mark.parametrize("bad", ["-x", ".x", "a b", "x" * 129, "ä"])
def test_a_bad_tag_is_named_with_the_option(bad):
    with pytest.raises(plan.PlanError) as error:
        plan.normalize_tags(["ok", bad], "extra_tags")
    assert error.value.option == "extra_tags"
    assert error.value.message.startswith("extra_tags: ")
    assert repr(bad.split(",")[0].strip()) in error.value.message


def test_a_dict_is_not_a_tag_list():
    with pytest.raises(plan.PlanError, match="tags: give a list or a comma-separated string"):
        plan.normalize_tags({"a": 1}, "tags")
    with pytest.raises(plan.PlanError, match="is not a string"):
        plan.normalize_tags([True], "tags")


def test_platforms():
    assert plan.normalize_platforms("linux/amd64, linux/arm64") == ["linux/amd64", "linux/arm64"]
    assert plan.normalize_platforms(["linux/arm64/v8"]) == ["linux/arm64/v8"]
    with pytest.raises(plan.PlanError, match="platforms: 'amd64' is not a platform"):
        plan.normalize_platforms("amd64")


def test_build_args_from_a_dict_or_a_list():
    assert plan.normalize_build_args({"A": 1, "B": True, "C": "x"}, "o") == {"A": "1", "B": "true", "C": "x"}
    assert plan.normalize_build_args(["A=1", "B=x=y"], "o") == {"A": "1", "B": "x=y"}
    with pytest.raises(plan.PlanError, match="o: '1A' is not a build argument name"):
        plan.normalize_build_args({"1A": "x"}, "o")


# ---------------------------------------------------------------------------------------------
# Compose files
# ---------------------------------------------------------------------------------------------

COMPOSE = {
    "services": {
        "web": {"build": ".", "image": "dockyard/hello:latest"},
        "api": {
            "build": {
                "context": "api",
                "dockerfile": "Containerfile",
                "args": ["GREETING=hi"],
                "tags": ["${REGISTRY:-localhost:5000}/dockyard/hello-api:stable"],
            },
            "image": "${REGISTRY:-localhost:5000}/dockyard/hello-api:${TAG:-latest}",
        },
        "db": {"image": "postgres:16"},
        "tool": {"build": "tool"},
    }
}


def test_compose_services_with_build_and_image():
    images = plan.parse_compose(COMPOSE, "/src/app", {})
    assert [i["repository"] for i in images] == ["dockyard/hello", "dockyard/hello-api"]
    web, api = images
    assert web["context"] == "/src/app" and web["tags"] == ["latest"] and web["containerfile"] == ""
    assert api["context"] == "/src/app/api" and api["containerfile"] == "Containerfile"
    assert api["tags"] == ["latest", "stable"]
    assert api["build_args"] == {"GREETING": "hi"}
    assert api["source"] == "compose_file service api"


def test_compose_interpolation_from_the_environment():
    images = plan.parse_compose(
        COMPOSE, "/src", {"REGISTRY": "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "TAG": "v2"}
    )
    assert images[1]["repository"] == "dockyard/hello-api"
    assert images[1]["tags"] == ["v2", "stable"]


def test_compose_variable_without_value_or_default_is_named():
    document = {"services": {"a": {"build": ".", "image": "team/${APP}"}}}
    with pytest.raises(plan.PlanError, match=r"uses \$\{APP\}, which is not set"):
        plan.parse_compose(document, "/src", {})


def test_compose_tags_of_another_repository_are_refused():
    document = {"services": {"a": {"build": {"context": ".", "tags": ["team/other:1"]}, "image": "team/app"}}}
    with pytest.raises(plan.PlanError, match="names repository team/other, not team/app"):
        plan.parse_compose(document, "/src", {})


def test_compose_without_publishable_services():
    with pytest.raises(plan.PlanError, match="no service has both build and image"):
        plan.parse_compose({"services": {"db": {"image": "postgres"}}}, "/src", {})
    with pytest.raises(plan.PlanError, match="no services mapping"):
        plan.parse_compose(["x"], "/src", {})


@pytest.mark.parametrize(
    "reference, expected",
    [
        ("team/app", ("team/app", None)),
        ("team/app:1.0", ("team/app", "1.0")),
        ("localhost:5000/team/app:1.0", ("team/app", "1.0")),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app", ("team/app", None)),
        ("localhost/app@sha256:abc", ("app", None)),
    ],
)
def test_image_references(reference, expected):
    assert plan.split_image_reference(reference, "x") == expected


# ---------------------------------------------------------------------------------------------
# Image requests, versions and tags
# ---------------------------------------------------------------------------------------------


def test_image_requests_make_contexts_absolute_and_refuse_one_repository_twice():
    requests = plan.image_requests([{"repository": "team/app", "context": "app", "tags": "a,b"}], [], "/work")
    assert requests[0]["context"] == "/work/app" and requests[0]["tags"] == ["a", "b"]
    with pytest.raises(plan.PlanError, match="team/app is published by both images\\[0\\] and images\\[1\\]"):
        plan.image_requests(
            [{"repository": "team/app", "context": "a"}, {"repository": "team/app", "context": "b"}], [], "/"
        )
    with pytest.raises(plan.PlanError, match="images: nothing to publish"):
        plan.image_requests([], [], "/")
    with pytest.raises(plan.PlanError, match="images\\[0\\].repository: 'Team/App' is not a valid ECR repository name"):
        plan.image_requests([{"repository": "Team/App", "context": "a"}], [], "/")


@pytest.mark.parametrize("name", ["team__tools/app", "team/app--api", "ab"])
def test_repository_names_follow_ecr_s_current_pattern(name):
    # ECR (botocore's model) accepts '__' and runs of '-', which the older documented pattern refused.
    assert plan.image_requests([{"repository": name, "context": "a"}], [], "/")[0]["repository"] == name


@pytest.mark.parametrize("name", ["a", "team/_app", "team//app", "x" * 257])
def test_repository_names_ecr_refuses(name):
    with pytest.raises(plan.PlanError, match="is not a valid ECR repository name"):
        plan.image_requests([{"repository": name, "context": "a"}], [], "/")


REQUEST = {"repository": "team/app", "context": "/src/app", "source": "images[0]", "tags": []}
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def test_clean_checkout_is_named_after_its_commit():
    assert plan.name_version(REQUEST, COMMIT, []) == ("0123456789ab", COMMIT)
    assert plan.name_version(REQUEST, COMMIT, [], version="1.4.0") == ("1.4.0", COMMIT)


def test_dirty_context_is_refused_with_the_paths_and_the_fix():
    with pytest.raises(plan.PlanError) as error:
        plan.name_version(REQUEST, COMMIT, ["site/index.html", "new.txt"])
    assert error.value.option == "allow_dirty"
    message = error.value.message
    assert "uncommitted changes (site/index.html, new.txt)" in message
    assert "publish_allow_dirty" in message and "0123456789ab-dirty" in message


def test_dirty_context_allowed_is_named_dirty():
    assert plan.name_version(REQUEST, COMMIT, ["x"], allow_dirty=True) == ("0123456789ab-dirty", COMMIT + "-dirty")


def test_outside_git_needs_a_version():
    with pytest.raises(plan.PlanError, match="is not in a git checkout.*publish_version"):
        plan.name_version(REQUEST, "", [])
    assert plan.name_version(REQUEST, "", [], version="1.0") == ("1.0", "")


def test_git_status_paths():
    assert plan.parse_git_status(" M site/index.html\n?? new.txt\n") == ["site/index.html", "new.txt"]
    assert plan.parse_git_status("") == []


@pytest.mark.parametrize(
    "request_tags, source, tags, extra, expected",
    [
        ([], "images[0]", [], [], ["v", "latest"]),
        ([], "images[0]", [], ["v1.0.0", "stable"], ["v", "latest", "v1.0.0", "stable"]),
        ([], "images[0]", ["v"], ["v"], ["v"]),
        (["x"], "images[0]", [], [], ["x"]),
        (["latest", "stable"], "compose_file service api", [], [], ["v", "latest", "stable"]),
        (["latest"], "compose_file service api", ["only"], ["r1"], ["latest", "r1"]),
    ],
)
def test_image_tags(request_tags, source, tags, extra, expected):
    request = dict(REQUEST, tags=request_tags, source=source)
    assert plan.image_tags(request, "v", tags, extra) == expected


# ---------------------------------------------------------------------------------------------
# Engines
# ---------------------------------------------------------------------------------------------

BUILD = dict(
    REQUEST,
    build_args={"B": "2", "A": "1"},
    labels={"org.opencontainers.image.revision": COMMIT},
    containerfile_path="/src/app/Containerfile",
    platforms=[],
)


def test_build_command_is_reproducible_with_podman_and_buildah():
    argv = plan.build_argv("podman", BUILD, "localhost/team/app:v", 1700000000, "/t/iid")
    assert argv[:8] == [
        "podman",
        "build",
        "--format",
        "oci",
        "--file",
        "/src/app/Containerfile",
        "--timestamp",
        "1700000000",
    ]
    assert argv[argv.index("--tag") + 1] == "localhost/team/app:v"
    assert argv.index("A=1") < argv.index("B=2")
    assert argv[-1] == "/src/app"
    assert plan.build_argv("buildah", BUILD, "r", 0, "i")[0] == "buildah"


def test_build_command_for_one_platform_of_a_manifest_list():
    argv = plan.build_argv("podman", BUILD, "localhost/a:v", 0, "/t/iid", platform="linux/arm64")
    assert argv[argv.index("--platform") + 1] == "linux/arm64"
    assert argv[argv.index("--iidfile") + 1] == "/t/iid"
    assert "--no-cache" in argv and "--tag" not in argv and "--manifest" not in argv


def test_manifest_list_of_the_platform_images():
    assert plan.manifest_argv("buildah", "localhost/a:v", ["sha256:1", "sha256:2"]) == [
        ["buildah", "manifest", "create", "localhost/a:v"],
        ["buildah", "manifest", "add", "localhost/a:v", "containers-storage:1"],
        ["buildah", "manifest", "add", "localhost/a:v", "containers-storage:2"],
    ]


def test_docker_build_and_push():
    argv = plan.build_argv("docker", BUILD, "localhost/a:v", 0, "/t/iid")
    assert argv[:2] == ["docker", "build"] and "--timestamp" not in argv and "--iidfile" in argv
    assert plan.push_argv("docker", "localhost/a:v", "h/a:v") == ["docker", "push", "h/a:v"]


def test_push_commands():
    assert plan.push_argv("podman", "localhost/a:v", "h:5000/a:t", "/auth.json", "/d") == [
        "podman", "push", "--authfile", "/auth.json", "--digestfile", "/d", "localhost/a:v", "docker://h:5000/a:t"
    ]  # fmt: skip
    assert plan.push_argv("buildah", "l", "d", multi=True)[:4] == ["buildah", "manifest", "push", "--all"]


def test_engine_choice():
    assert plan.pick_engine("buildah", lambda n: False) == "buildah"
    assert plan.pick_engine("auto", lambda n: n != "podman") == "buildah"
    with pytest.raises(plan.PlanError, match="engine: no container engine works"):
        plan.pick_engine("auto", lambda n: False)
    with pytest.raises(plan.PlanError, match="platforms: a multi-platform image .* podman or buildah"):
        plan.check_platforms("docker", [{"platforms": ["linux/amd64"]}])
    plan.check_platforms("podman", [{"platforms": ["linux/amd64"]}])


# ---------------------------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------------------------


def test_targets_get_their_registry_host_from_the_partition():
    targets = plan.normalize_targets(
        [
            {"account": "123456789012", "region": "eu-west-1", "name": "registry"},
            {"account": "111111111111", "region": "cn-north-1", "host": "https://127.0.0.1:5000/"},
        ]
    )
    assert targets[0]["host"] == "123456789012.dkr.ecr.eu-west-1.amazonaws.com" and not targets[0]["custom_host"]
    assert targets[1]["host"] == "127.0.0.1:5000" and targets[1]["custom_host"]
    assert targets[1]["name"] == "111111111111 cn-north-1"
    assert plan.normalize_targets([{"account": "111111111111", "region": "cn-north-1"}])[0]["host"].endswith(
        ".amazonaws.com.cn"
    )


@pytest.mark.parametrize(
    "target, message",
    [
        ({"account": "1234", "region": "eu-west-1"}, "targets\\[0\\].account: '1234' is not an AWS account ID"),
        ({"account": "123456789012", "region": "Europe"}, "targets\\[0\\].region: 'Europe' is not an AWS region"),
        (
            {"account": "123456789012", "region": "eu-west-1", "host": "-oProxyCommand=x"},
            "targets\\[0\\].host: '-oProxyCommand=x' is not a host name",
        ),
        (
            {"account": "123456789012", "region": "eu-west-1", "host": "127.0.0.1:70000"},
            "targets\\[0\\].host: '127.0.0.1:70000' has port 70000",
        ),
        (
            {"account": "123456789012", "region": "eu-west-1", "host": "registry.example/path"},
            "targets\\[0\\].host: 'registry.example/path' is not a host name with an optional port",
        ),
    ],
)
def test_bad_targets(target, message):
    with pytest.raises(plan.PlanError, match=message):
        plan.normalize_targets([target])


def test_one_registry_named_twice_is_published_once():
    targets = plan.normalize_targets(
        [
            {"account": "123456789012", "region": "eu-west-1", "name": "a"},
            {"account": "123456789012", "region": "eu-west-1", "name": "b"},
            {"account": "123456789012", "region": "us-east-1", "name": "b"},
        ]
    )
    assert [t["names"] for t in targets] == [["a", "b"], ["b"]]


def test_no_target():
    with pytest.raises(plan.PlanError, match="targets: no target registry"):
        plan.normalize_targets([])


# ---------------------------------------------------------------------------------------------
# The plan per registry
# ---------------------------------------------------------------------------------------------

BUILT = "sha256:" + "b" * 64
OTHER = "sha256:" + "o" * 64


def state(identity, immutable=False, digest="sha256:m"):
    return {"found": True, "identity": identity, "image_digest": digest, "immutable": immutable}


def test_only_tags_that_do_not_name_the_built_image_are_pushed():
    current = {"v": state(BUILT), "latest": state(OTHER), "new": {"found": False, "immutable": False}}
    decided = plan.plan_tags(["v", "latest", "new"], current, BUILT)
    assert decided == {"push": ["latest", "new"], "keep": ["v"], "conflicts": []}


def test_nothing_changed_pushes_nothing():
    current = {"v": state(BUILT, immutable=True), "latest": state(BUILT)}
    assert plan.plan_tags(["v", "latest"], current, BUILT)["push"] == []


def test_immutable_tag_naming_another_image_is_a_conflict():
    current = {"v": {"found": False, "immutable": True}, "latest": state(OTHER, immutable=True)}
    decided = plan.plan_tags(["v", "latest"], current, BUILT)
    assert decided["push"] == ["v"]
    assert [c["tag"] for c in decided["conflicts"]] == ["latest"]


def test_unknown_build_pushes_every_tag_and_conflicts_with_nothing():
    current = {"latest": state(OTHER, immutable=True)}
    assert plan.plan_tags(["latest"], current, None) == {"push": ["latest"], "keep": [], "conflicts": []}


def test_multi_platform_identity():
    built = {"platform_ids": {"linux/arm64": "sha256:2", "linux/amd64": "sha256:1"}}
    assert plan.identity_of(built) == ("sha256:1", "sha256:2")
    assert plan.identity_of({"image_id": BUILT, "platform_ids": {}}) == BUILT
    assert plan.identity_of({"image_id": None, "platform_ids": {}}) is None


def test_conflict_on_latest_says_to_leave_it_out_or_exclude_it():
    conflicts = [dict(state(OTHER, immutable=True, digest="sha256:m1"), tag="latest")]
    message = plan.conflict_message("team/app", "123456789012 eu-west-1", conflicts, BUILT, "immutable")
    assert message.startswith("tags: tag 'latest' names image " + OTHER + " (manifest sha256:m1)")
    assert "refuses to move latest" in message and BUILT in message
    assert "leave latest out of the tags" in message
    assert "immutable_with_exclusion" in message and "image_tag_mutability_exclusion_filters: [latest]" in message
    assert "Nothing was pushed" in message
    assert "publish a new version" not in message


def test_conflict_on_a_release_tag_says_to_publish_a_new_version():
    conflicts = [dict(state(OTHER, immutable=True), tag="v1"), dict(state(OTHER, immutable=True), tag="latest")]
    message = plan.conflict_message("team/app", "w", conflicts, BUILT, "immutable")
    assert "publish a new version (commit, or publish_version) and leave v1 out of the tags" in message
    assert "leave latest out of the tags" in message


def test_verification():
    current = {"v": state(BUILT, digest="sha256:i"), "latest": state(OTHER)}
    assert plan.verify_tags(["v", "latest"], current, BUILT) == [("latest", OTHER, "sha256:m")]
    assert plan.verify_tags(["v"], current, BUILT, {"v": "sha256:i"}) == []
    # A manifest list: the tag must name the index the push wrote.
    wrong = plan.verify_tags(["v"], current, BUILT, {"v": "sha256:other-index"})
    assert wrong == [("v", BUILT, "sha256:i")]
    message = plan.verify_message("team/app", "w", wrong, BUILT, {"v": "sha256:other-index"})
    assert "not the index sha256:other-index the push wrote" in message


TARGET = {"name": "registry", "account": "123456789012", "region": "eu-west-1", "host": "h"}
IMAGE = {"repository": "team/app", "version": "v", "image_id": BUILT, "platforms": []}


def test_result_entry_and_table():
    current = {"v": state(BUILT, digest="sha256:d"), "latest": state(BUILT, digest="sha256:d")}
    entry = plan.result_entry(TARGET, IMAGE, "h/team/app", ["v", "latest"], current, ["latest"], False)
    assert entry["digest"] == "sha256:d" and entry["image_uri"] == "h/team/app@sha256:d"
    assert entry["digests"] == {"v": "sha256:d", "latest": "sha256:d"}
    assert entry["pushed"] and entry["pushed_tags"] == ["latest"]
    assert entry["summary"].endswith("pushed latest")
    lines = plan.table([entry])
    assert lines[0].split() == ["ACCOUNT", "REGION", "IMAGE", "DIGEST", "PUSHED"]
    assert lines[1].split() == ["123456789012", "eu-west-1", "team/app:v", "sha256:d", "no"]
    assert lines[2].split()[-1] == "yes"


def test_result_entry_in_check_mode_says_would_push():
    entry = plan.result_entry(TARGET, IMAGE, "h/team/app", ["v"], {}, ["v"], True)
    assert entry["digest"] is None and entry["summary"].endswith("would push v")


# ---------------------------------------------------------------------------------------------
# Build inputs: what a build depends on, so an unchanged one is not run again
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, args, expected",
    [
        ("FROM scratch\nCOPY a /a\n", {}, []),
        (
            "# syntax\nFROM --platform=linux/amd64 debian:12 AS build\nRUN make\nFROM scratch\n"
            "COPY --from=build /out /\nCOPY --from=busybox:1 /bin/sh /sh\n",
            {},
            ["debian:12", "busybox:1"],
        ),
        ("ARG BASE=alpine:3\nFROM ${BASE}\n", {}, ["alpine:3"]),
        ("ARG BASE=alpine:3\nFROM $BASE\n", {"BASE": "debian:12"}, ["debian:12"]),
        ("FROM ${UNSET}\n", {}, None),  # resolved at build time only
        ("FROM scratch\nADD https://example.com/x.tgz /\n", {}, None),  # fetched at build time
        ("FROM debian:12\nRUN --mount=type=bind,from=other,target=/o true\n", {}, None),
        ("FROM debian:12 \\\n  AS base\nFROM base\n", {}, ["debian:12"]),  # a continued line; a stage
    ],
)
def test_containerfile_bases(text, args, expected):
    assert plan.containerfile_bases(text, args) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", set()),
        (".git\nnode_modules/\n# comment\n", {".git", "node_modules"}),
        (".git\n*.log\n", set()),  # a pattern: everything is digested (errs towards building)
        (".git\n!keep\n", set()),
        ("build/out\n", set()),
    ],
)
def test_ignored_names(text, expected):
    assert plan.ignored_names(text) == expected


def _inputs_build(**changes):
    request = {"build_args": {"A": "1"}, "labels": {"x": "1"}}
    build = {"request": request, "source_date_epoch": 0}
    for key, value in changes.items():
        (request if key in request else build)[key] = value
    return build


def test_inputs_digest_changes_with_every_input_and_ignores_its_own_label():
    base = plan.inputs_digest("podman", _inputs_build(), "FROM scratch\n", ["F a 644 00"], [])
    assert base.startswith("sha256:")
    same = _inputs_build(labels={"x": "1", plan.INPUTS_LABEL: "sha256:old"})
    assert plan.inputs_digest("podman", same, "FROM scratch\n", ["F a 644 00"], []) == base
    others = [
        plan.inputs_digest("docker", _inputs_build(), "FROM scratch\n", ["F a 644 00"], []),
        plan.inputs_digest("podman", _inputs_build(build_args={"A": "2"}), "FROM scratch\n", ["F a 644 00"], []),
        plan.inputs_digest("podman", _inputs_build(labels={"x": "2"}), "FROM scratch\n", ["F a 644 00"], []),
        plan.inputs_digest("podman", _inputs_build(source_date_epoch=1), "FROM scratch\n", ["F a 644 00"], []),
        plan.inputs_digest("podman", _inputs_build(), "FROM scratch\nCOPY a /\n", ["F a 644 00"], []),
        plan.inputs_digest("podman", _inputs_build(), "FROM scratch\n", ["F a 644 01"], []),
        plan.inputs_digest("podman", _inputs_build(), "FROM scratch\n", ["F a 644 00"], ["sha256:base"]),
    ]
    assert len({base, *others}) == len(others) + 1


def test_reusable_image_only_with_the_same_inputs():
    assert plan.reusable_image({"id": "sha256:i", "inputs": "sha256:d"}, "sha256:d") == "sha256:i"
    assert plan.reusable_image({"id": "sha256:i", "inputs": "sha256:other"}, "sha256:d") is None
    assert plan.reusable_image({"id": "sha256:i", "inputs": ""}, "sha256:d") is None
    assert plan.reusable_image(None, "sha256:d") is None


# ---------------------------------------------------------------------------------------------
# Errors through a role name the role's variables
# ---------------------------------------------------------------------------------------------

ROLE_NAMES = {"version": "publish_version", "images": "publish_images", "repository": "publish_repository"}


@pytest.mark.parametrize(
    "message, expected",
    [
        ("version: 'v 1' is not a valid image tag", "publish_version: 'v 1' is not a valid image tag"),
        ("images[1].context: give the build context", "publish_images[1].context: give the build context"),
        ("repository: 'A' is not a valid ECR repository name", "publish_repository: 'A' is not a valid ECR repository name"),
        ("engine: no container engine works", "engine: no container engine works"),  # not in the names
        ("versions: unrelated", "versions: unrelated"),
        ("", ""),
    ],
)  # fmt: skip
def test_rename_option(message, expected):
    assert plan.rename_option(message, ROLE_NAMES) == expected


def test_the_short_form_of_one_image_comes_first_and_is_checked():
    single = {"repository": "team/app", "context": "app", "containerfile": "", "build_args": {"A": 1}}
    requests = plan.image_requests([{"repository": "team/api", "context": "/api"}], [], "/src", single=single)
    assert [(r["repository"], r["context"], r["source"]) for r in requests] == [
        ("team/app", "/src/app", "context"),
        ("team/api", "/api", "images[0]"),
    ]
    assert requests[0]["build_args"] == {"A": "1"}
    with pytest.raises(plan.PlanError, match="^repository: 'Team' is not a valid ECR repository name"):
        plan.image_requests([], [], "/", single={"repository": "Team", "context": "x"})
    with pytest.raises(plan.PlanError, match="^context: give the build context of team/app"):
        plan.image_requests([], [], "/", single={"repository": "team/app"})
    with pytest.raises(plan.PlanError, match="^images: nothing to publish"):
        plan.image_requests([], [], "/", single={"repository": None, "context": None})
    # A context without a repository describes no image (an inventory's publish_context beside publish_images).
    requests = plan.image_requests([{"repository": "team/api", "context": "/api"}], [], "/", single={"context": "x"})
    assert [r["repository"] for r in requests] == ["team/api"]
