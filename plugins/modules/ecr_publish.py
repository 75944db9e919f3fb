#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_publish
version_added: 0.1.0
short_description: Build images once and push the tags each Amazon ECR registry lacks
description:
  - Builds one or more images on the controller with podman, buildah or the docker CLI, tags them
    with the commit they come from, C(latest) and release tags, and pushes to every target registry
    (AWS account and region) only the tags that do not already name the image built, then reads
    them back to verify.
  - The plan (which tags need pushing where, which immutable tags would have to move, what to
    verify) is made in one process for all targets, which are read and pushed in parallel. A
    publish where nothing changed builds nothing, makes no C(GetAuthorizationToken) call, uploads
    nothing and reports no change.
  - An image carries the label C(dev.dockyard.ecr.build-inputs), a digest of what its build
    depends on (the files of the context, the Containerfile, build arguments, labels, timestamp,
    engine and the local IDs of its base images). When the local image of the version has the
    digest of the inputs of this run, it is published as it is, without building. Builds are
    reproducible otherwise (the image timestamps are the commit time), so a rebuild of the same
    inputs gives the same image ID with podman and buildah. A Containerfile that fetches at
    build time (C(ADD) of a URL, C(RUN --mount=from=), a base image named by an unset variable)
    and a multi-platform image are always built.
  - A build context with uncommitted changes (C(git status) under the context directory) is refused
    unless O(allow_dirty=true), which names the version C(COMMIT-dirty).
  - Tags may be given as lists or as comma-separated strings (C(v1.4.0,stable)), as an AWX survey
    passes them.
  - This is what the M(dockyard.ecr.publish) role runs; the role adds the inventory's accounts as targets.
author:
  - dockyard.ecr developers (@dockyard)
options:
  repository:
    description:
      - The ECR repository of the image built from O(context), for example C(team/app); the short form of
        one entry of O(images).
    type: str
  context:
    description:
      - The build context of O(repository), a directory on the controller. Without O(repository) it is not used.
    type: path
  containerfile:
    description:
      - The Containerfile of O(repository), relative to O(context) or absolute. If not set, C(Containerfile),
        else C(Dockerfile).
    type: str
  build_args:
    description:
      - Build arguments of O(repository), a dict or a list of C(NAME=VALUE).
    type: raw
  images:
    description:
      - The images to build and publish (besides O(repository)).
    type: list
    elements: dict
    default: []
    suboptions:
      repository:
        description:
          - The ECR repository, for example C(team/app).
        type: str
        required: true
      context:
        description:
          - The build context, a directory on the controller (relative paths start at the current directory).
        type: path
        required: true
      containerfile:
        description:
          - The Containerfile, relative to O(images[].context) or absolute. If not set, C(Containerfile), else C(Dockerfile).
        type: str
      build_args:
        description:
          - Build arguments, a dict or a list of C(NAME=VALUE).
        type: raw
      labels:
        description:
          - Labels to add to this image, besides O(labels).
        type: dict
      tags:
        description:
          - The tags of this image, a list or a comma-separated string. If not set, O(tags).
        type: raw
      platforms:
        description:
          - The platforms of this image (a manifest list). If not set, O(platforms).
        type: raw
  base_dir:
    description:
      - The directory that relative paths (O(images[].context), O(compose_file), O(podman_auth_file),
        O(docker_config)) start from.
      - If not set, the directory the module runs in, which for a local connection is the playbook's
        directory. The M(dockyard.ecr.publish) role gives the directory C(ansible-playbook) runs in.
    type: path
  compose_file:
    description:
      - A compose file whose services with both C(build) and C(image) are published, each to the
        repository of its C(image) (its registry host, if any, is dropped).
      - The tag of C(image) and those of C(build.tags) are added to the version (O(tags) replaces both).
      - Variables (C(${VAR}), C(${VAR:-default})) are taken from the environment of the module.
    type: path
  tags:
    description:
      - The tags to push, a list or a comma-separated string.
      - If empty, the version and C(latest).
    type: raw
  extra_tags:
    description:
      - More tags to push besides O(tags), for example release tags; a list or a comma-separated string
        (C(v1.4.0,stable)).
    type: raw
  version:
    description:
      - The version every image is tagged with.
      - If not set, the first 12 hex digits of the commit checked out in the build context (a fixed
        length, so every clone names a commit the same way), with C(-dirty) added when
        O(allow_dirty) let uncommitted changes in. Outside a git checkout it must be set.
    type: str
  labels:
    description:
      - Labels to add to every image. In a git checkout C(org.opencontainers.image.revision) is the
        commit (with C(-dirty) when the context has uncommitted changes).
    type: dict
    default: {}
  platforms:
    description:
      - Build a manifest list for these platforms (C(OS/ARCH[/VARIANT])), a list or a comma-separated
        string, and push it with all its images. Needs podman or buildah. Verification checks the
        index digest the push wrote and the image of every platform.
      - If empty, one image for the controller's platform.
    type: raw
  allow_dirty:
    description:
      - Publish from a build context with uncommitted changes (edited or untracked files under the
        context directory; changes elsewhere in the repository do not count). The version is then
        C(COMMIT-dirty), so the commit's own tag never names an image it did not build.
    type: bool
    default: false
  source_date_epoch:
    description:
      - The timestamp of the image and of the files in its layers (podman and buildah C(--timestamp)).
      - If not set, the commit time of the checkout, or 0 outside git.
    type: int
  engine:
    description:
      - The tool that builds and pushes. V(auto) picks the first of podman, buildah and docker that works.
      - V(docker) runs the docker CLI against C(DOCKER_HOST) or O(docker_host); podman's Docker-compatible
        API service works too.
    type: str
    choices: [auto, podman, buildah, docker]
    default: auto
  docker_host:
    description:
      - The Docker API for O(engine=docker), for example C(unix:///run/podman/podman.sock).
    type: str
  podman_auth_file:
    description:
      - The auth file the login writes and podman or buildah push with. If not set, the containers default.
    type: path
  docker_config:
    description:
      - The docker configuration directory (C(DOCKER_CONFIG)) the login writes and docker pushes with.
    type: path
  targets:
    description:
      - The registries to publish to.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - A name for the target in the results, for example the inventory host. Results are grouped by it in RV(by_host).
        type: str
      account:
        description:
          - The AWS account ID (12 digits) that owns the registry.
        type: str
        required: true
      region:
        description:
          - The region of the registry.
        type: str
        required: true
      host:
        description:
          - The registry host (C(HOST) or C(HOST:PORT)) to push to instead of ECR's own host name, for a
            VPC endpoint, a proxy or a local emulator.
        type: str
      role_arn:
        description:
          - A role to assume for this registry. Without it, the module's credentials are used.
        type: str
  create_repository:
    description:
      - Create a repository that does not exist (ECR's defaults). If V(false), a missing repository fails the target.
    type: bool
    default: true
  concurrency:
    description:
      - How many target registries are read and pushed at the same time.
    type: int
    default: 4
  option_names:
    description:
      - "The names error messages give the options, for a role that passes its own variables, for
        example C({version: publish_version, images: publish_images}). A message about O(images[].context)
        then names C(publish_images[0].context)."
    type: dict
    default: {}
  keep_going:
    description:
      - A target that fails is reported in RV(failures) and the others still publish; the module
        fails only when its input is wrong or the build fails. The role uses it so that one failing
        account fails only its own host.
      - If V(false), any failing target fails the module (after every target was tried).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details:
      - Check mode builds nothing; it plans with the image the local store holds under the version
        (from an earlier build of the same commit) and, without one, reports every tag as one that would be pushed.
        A manifest list is not kept in the local store after it was published, so in check mode its tags
        count as to be pushed.
  diff_mode:
    support: none
  idempotent:
    support: full
    details:
      - A second run with nothing changed pushes nothing and reports no change.
notes:
  - Permissions used are C(ecr:DescribeRepositories), C(ecr:CreateRepository) (with O(create_repository)),
    C(ecr:BatchGetImage), C(ecr:GetAuthorizationToken) (only when something is pushed)
    and the push permissions, plus C(sts:AssumeRole) for targets with a role.
  - Reading what a tag names uses C(BatchGetImage), which ECR records as a pull of that image.
seealso:
  - module: dockyard.ecr.ecr_login
  - module: dockyard.ecr.ecr_image_info
  - name: The publish role
    description: Runs this module once for the accounts of an inventory.
    link: https://github.com/dockyard/ecr/blob/main/roles/publish/README.md
extends_documentation_fragment:
  - dockyard.ecr.attributes
  - dockyard.ecr.attributes.actiongroup_ecr
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Build team/app from its checkout and push its commit, latest and a release tag to two accounts
  dockyard.ecr.ecr_publish:
    images:
      - repository: team/app
        context: src/app
    extra_tags: v1.4.0,stable
    targets:
      - account: "123456789012"
        region: eu-west-1
      - account: "111111111111"
        region: eu-west-1
        role_arn: arn:aws:iam::111111111111:role/publisher

- name: Publish the services of a compose file that have build and image, for two platforms
  dockyard.ecr.ecr_publish:
    compose_file: compose.yaml
    platforms: [linux/amd64, linux/arm64]
    engine: podman
    targets:
      - account: "123456789012"
        region: eu-west-1
  register: published
"""

RETURN = r"""
images:
  description: The images built, one per repository.
  returned: always
  type: list
  elements: dict
  contains:
    repository:
      description: The repository.
      type: str
      sample: team/app
    version:
      description: The version (commit, or C(COMMIT-dirty), or O(version)).
      type: str
      sample: 1a2b3c4d5e6f
    tags:
      description: The tags pushed to every registry.
      type: list
      elements: str
      sample: [1a2b3c4d5e6f, latest]
    commit:
      description: The full commit of the build context, empty outside git.
      type: str
    dirty:
      description: Whether the context had uncommitted changes.
      type: bool
    image_id:
      description: The image ID (config digest) of a single-platform image.
      type: str
      sample: sha256:0b358f3b3f41884438eddb7f6807504ae8ca987c9c7b16cf781c4c77c9e02d39
    platform_ids:
      description: For a manifest list, the image ID per platform.
      type: dict
    built:
      description: Whether the image was built in this run; V(false) when the local image of the
        version was built from the same inputs (or in check mode).
      type: bool
    local_image:
      description: The local name of the built image.
      type: str
      sample: localhost/team/app:1a2b3c4d5e6f
    engine:
      description: The engine that built it.
      type: str
      sample: podman
results:
  description: Every image in every target registry.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The target's name.
      type: str
    account:
      description: The registry's account.
      type: str
    region:
      description: The registry's region.
      type: str
    repository:
      description: The repository.
      type: str
    uri:
      description: The repository URI.
      type: str
    image_id:
      description: The image ID.
      type: str
    digest:
      description: The manifest (or index) digest the version tag names.
      type: str
    image_uri:
      description: C(URI@DIGEST).
      type: str
    tags:
      description: The image's tags.
      type: list
      elements: str
    digests:
      description: The digest each tag names.
      type: dict
    pushed:
      description: Whether a tag was pushed (or would be, in check mode).
      type: bool
    pushed_tags:
      description: The tags pushed.
      type: list
      elements: str
    summary:
      description: One line for people.
      type: str
by_host:
  description: RV(results) grouped by the targets' names.
  returned: always
  type: dict
failures:
  description: The targets that failed (by name) and why, with O(keep_going=true).
  returned: always
  type: dict
table:
  description: Lines of a table of every image, tag and digest.
  returned: always
  type: list
  elements: str
"""

import concurrent.futures
import os
import shutil
import subprocess
import threading

try:
    import yaml

    HAS_YAML = True
except ImportError:
    HAS_YAML = False

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dockyard.ecr.plugins.module_utils._common.clients import ecr_client
from ansible_collections.dockyard.ecr.plugins.module_utils._common.credentials import honour_security_token
from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import ECRError, translate_errors
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import publish
from ansible_collections.dockyard.ecr.plugins.module_utils._converge.login import login as converge_login
from ansible_collections.dockyard.ecr.plugins.module_utils._models import publish_plan as plan
from ansible_collections.dockyard.ecr.plugins.module_utils._models.auth_file import resolve_auth_files
from ansible_collections.dockyard.ecr.plugins.module_utils._models.login_plan import Registry


def run(argv, env=None):
    try:
        process = subprocess.run(argv, capture_output=True, text=True, check=False, env=dict(os.environ, **(env or {})))
    except OSError as e:
        return 127, "", str(e)
    return process.returncode, process.stdout, process.stderr


def engine_available(name, docker_host):
    if not shutil.which(name):
        return False
    if name != "docker":
        return True
    env = {"DOCKER_HOST": docker_host} if docker_host else {}
    return run(["docker", "version", "--format", "{{.Server.Version}}"], env)[0] == 0


def read_compose(path):
    if not HAS_YAML:
        raise plan.PlanError(f"compose_file: reading {path} needs {missing_required_lib('PyYAML')}", "compose_file")
    try:
        with open(path) as handle:
            document = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as e:
        raise plan.PlanError(f"compose_file: cannot read {path}: {e}", "compose_file") from e
    return plan.parse_compose(
        document, os.path.dirname(os.path.abspath(path)), os.environ, where=f"compose_file {path}"
    )


def target_clients(module, target, sts_client):
    """The ECR client for a target: the module's credentials, or a session in the target's role.

    ``sts_client(region)`` gives the STS client of a region, made once for every target there.
    """
    if not target["role_arn"]:
        return ecr_client(module, region=target["region"])
    sts = sts_client(target["region"])
    with translate_errors(f"assume role {target['role_arn']} for {target['account']}"):
        credentials = sts.assume_role(
            RoleArn=target["role_arn"], RoleSessionName="dockyard-ecr-publish", aws_retry=True
        )["Credentials"]
    for key in ("SecretAccessKey", "SessionToken"):
        module.no_log_values.add(credentials[key])
    return ecr_client(
        module,
        region=target["region"],
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def main():
    honour_security_token()
    argument_spec = dict(
        repository=dict(type="str"),
        context=dict(type="path"),
        containerfile=dict(type="str"),
        build_args=dict(type="raw"),
        images=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                repository=dict(type="str", required=True),
                context=dict(type="path", required=True),
                containerfile=dict(type="str"),
                build_args=dict(type="raw"),
                labels=dict(type="dict"),
                tags=dict(type="raw"),
                platforms=dict(type="raw"),
            ),
        ),
        base_dir=dict(type="path"),
        compose_file=dict(type="path"),
        tags=dict(type="raw"),
        extra_tags=dict(type="raw"),
        version=dict(type="str"),
        labels=dict(type="dict", default={}),
        platforms=dict(type="raw"),
        allow_dirty=dict(type="bool", default=False),
        source_date_epoch=dict(type="int"),
        engine=dict(type="str", choices=["auto", "podman", "buildah", "docker"], default="auto"),
        docker_host=dict(type="str"),
        podman_auth_file=dict(type="path"),
        docker_config=dict(type="path"),
        targets=dict(
            type="list",
            elements="dict",
            required=True,
            options=dict(
                name=dict(type="str"),
                account=dict(type="str", required=True),
                region=dict(type="str", required=True),
                host=dict(type="str"),
                role_arn=dict(type="str"),
            ),
        ),
        create_repository=dict(type="bool", default=True),
        concurrency=dict(type="int", default=4),
        keep_going=dict(type="bool", default=False),
        option_names=dict(type="dict", default={}),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    check_mode = module.check_mode

    base_dir = os.path.abspath(params["base_dir"] or os.getcwd())
    for option in ("compose_file", "podman_auth_file", "docker_config"):
        if params[option]:
            params[option] = os.path.join(base_dir, params[option])
    try:
        compose_images = read_compose(params["compose_file"]) if params["compose_file"] else []
        requests = plan.image_requests(params["images"], compose_images, base_dir, single=params)
        options = {
            "version": params["version"] or None,
            "allow_dirty": params["allow_dirty"],
            "labels": {str(k): str(v) for k, v in (params["labels"] or {}).items()},
            "tags": plan.normalize_tags(params["tags"], "tags"),
            "extra_tags": plan.normalize_tags(params["extra_tags"], "extra_tags"),
            "platforms": plan.normalize_platforms(params["platforms"]),
            "source_date_epoch": params["source_date_epoch"],
        }
        if options["version"] and not plan.TAG_RE.fullmatch(options["version"]):
            raise plan.PlanError(
                f"version: {options['version']!r} is not a valid image tag (for example 1.4.0)", "version"
            )
        targets = plan.normalize_targets(params["targets"])
        engine_name = plan.pick_engine(params["engine"], lambda n: engine_available(n, params["docker_host"]))
        builds = publish.prepare_builds(run, requests, options)
        plan.check_platforms(engine_name, [b["request"] for b in builds])
        engine = publish.Engine(engine_name, run, params["docker_host"], params["docker_config"])
        auth_files = resolve_auth_files(
            ["docker" if engine_name == "docker" else "podman"],
            docker_config=(
                os.path.join(params["docker_config"], "config.json")
                if params["docker_config"] and engine_name == "docker"
                else None
            ),
            podman_auth_file=params["podman_auth_file"] if engine_name != "docker" else None,
        )
    except (plan.PlanError, ECRError) as e:
        names = params["option_names"]
        module.fail_json(
            msg=plan.rename_option(getattr(e, "message", None) or str(e), names),
            option=plan.rename_option(getattr(e, "option", None), names),
        )

    push_options = {"auth_file": params["podman_auth_file"] if engine_name != "docker" else None}
    outcomes, clients = {}, {}

    def error_text(index, e):
        message = getattr(e, "message", None) or str(e)
        if isinstance(e, ECRError) and e.exception is not None:
            message = f"{message}: {e.exception}"
        return f"{plan.describe_target(targets[index])}: {message}"

    sts_lock, sts_clients = threading.Lock(), {}

    def sts_client(region):
        # A client costs a session and its service model (about 70 ms of CPU): one per region.
        with sts_lock:
            if region not in sts_clients:
                sts_clients[region] = ecr_client(module, "sts", region=region)
            return sts_clients[region]

    def read(index):
        clients[index] = target_clients(module, targets[index], sts_client)
        return publish.read_target(targets[index], builds, clients[index])

    def finish(index, state):
        target, ecr = targets[index], clients[index]

        def login():
            converge_login(
                [Registry(target["account"], target["region"], target["host"])],
                auth_files,
                lambda region: ecr,
                check_mode=check_mode,
                on_secret=module.no_log_values.add,
            )

        return publish.publish_target(
            target, builds, ecr, engine, login, push_options, check_mode, params["create_repository"], state
        )

    workers = max(1, min(params["concurrency"], len(targets)))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        # Every registry is read while the images build: the reads do not depend on the build.
        reads = {pool.submit(read, index): index for index in range(len(targets))}
        try:
            publish.build_all(engine, builds, check_mode)
            if not check_mode:
                missing = [b["local_image"] for b in builds if b["identity"] is None]
                if missing:
                    raise plan.PlanError(
                        f"engine: the {engine_name} build of {', '.join(missing)} reported no image ID", "engine"
                    )
        except (plan.PlanError, ECRError) as e:
            for future in reads:
                future.cancel()
            module.fail_json(msg=getattr(e, "message", None) or str(e), option=getattr(e, "option", None))
        finishing = {}
        for future in concurrent.futures.as_completed(reads):
            index = reads[future]
            try:
                finishing[pool.submit(finish, index, future.result())] = index
            except (plan.PlanError, ECRError) as e:
                outcomes[index] = {"error": error_text(index, e)}
        for future in concurrent.futures.as_completed(finishing):
            index = finishing[future]
            try:
                outcomes[index] = future.result()
            except (plan.PlanError, ECRError) as e:
                outcomes[index] = {"error": error_text(index, e)}

    if not check_mode:
        for build in builds:
            if build["platforms"]:
                engine.forget_list(build["local_image"], build["platform_ids"])

    results, by_host, failures = [], {}, {}
    changed = False
    for index, target in enumerate(targets):
        outcome = outcomes[index]
        for name in target["names"]:
            by_host.setdefault(name, [])
            if "error" in outcome:
                failures[name] = "; ".join(filter(None, [failures.get(name), outcome["error"]]))
                continue
            by_host[name].extend(dict(entry, name=name) for entry in outcome["entries"])
        if "error" not in outcome:
            changed |= outcome["changed"]
            results.extend(outcome["entries"])

    images = []
    for build in builds:
        images.append(
            {
                key: build[key]
                for key in (
                    "repository",
                    "version",
                    "tags",
                    "commit",
                    "dirty",
                    "image_id",
                    "built",
                    "platform_ids",
                    "platforms",
                    "local_image",
                    "context",
                    "containerfile",
                    "source_date_epoch",
                )
            }
        )
        images[-1]["engine"] = engine_name
    output = dict(
        changed=changed, images=images, results=results, by_host=by_host, failures=failures, table=plan.table(results)
    )
    if failures and not params["keep_going"]:
        module.fail_json(msg="; ".join(failures.values()), **output)
    module.exit_json(**output)


if __name__ == "__main__":
    main()
