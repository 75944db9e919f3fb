# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Carry out a publish plan: build with the container engine, read each registry, push what is missing.

The decisions are in ``_models/publish_plan``; this file runs the engine's command line and the ECR
reads and hands their answers to it. ``run(argv, env=None)`` is the module's ``run_command`` (or a
stand-in in tests): it returns ``(rc, stdout, stderr)``.
"""

import hashlib
import json
import os
import stat
import tempfile
import threading
import time

from ansible_collections.dockyard.ecr.plugins.module_utils._api.images import batch_get_images
from ansible_collections.dockyard.ecr.plugins.module_utils._api.repositories import describe_repositories
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import repository as repository_converge
from ansible_collections.dockyard.ecr.plugins.module_utils._models import publish_plan as plan
from ansible_collections.dockyard.ecr.plugins.module_utils._models.image import tag_is_immutable
from ansible_collections.dockyard.ecr.plugins.module_utils._models.manifests import (
    INDEX_MANIFESTS,
    config_digest,
    manifest_media_type,
    parse_manifest,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.repository_request import validate_params
from ansible_collections.dockyard.ecr.plugins.module_utils._models.repository_settings import repository_from_api

# Real ECR has a pushed tag at once (the first read passes); a mirrored registry (the local emulator
# under load) may lag by tens of seconds.
VERIFY_ATTEMPTS = 60
VERIFY_DELAY = 1.0


class EngineError(plan.PlanError):
    """A container engine command failed; the message holds the command and what it printed."""


def _read_id(path):
    """The image ID an engine wrote (``sha256:...``), or None."""
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        raw = handle.read().strip()
    if not raw:
        return None
    return raw if raw.startswith("sha256:") else "sha256:" + raw


def _check(result, argv, what):
    rc, out, err = result
    if rc != 0:
        raise EngineError(
            f"{what}: {' '.join(argv)} failed (exit {rc}): {(err or out or '').strip()[-2000:]}", "engine"
        )
    return out


class Engine:
    """podman, buildah or the docker CLI (with DOCKER_HOST) on the controller."""

    def __init__(self, name, run, docker_host=None, docker_config=None):
        self.name = name
        self.run = run
        self.env = {}
        # The Docker API of podman 4.3 loses a name when two tags of one image are written at once
        # (two registries pushed in parallel): names are given one at a time.
        self.tag_lock = threading.Lock()
        if name == "docker":
            self.env["DOCKER_BUILDKIT"] = "0"
            if docker_host:
                self.env["DOCKER_HOST"] = docker_host
            if docker_config:
                self.env["DOCKER_CONFIG"] = docker_config

    def _run(self, argv):
        return self.run(argv, env=self.env)

    def image_id(self, reference):
        """The local image's ID (``sha256:...``), or None when there is none."""
        if self.name == "buildah":
            rc, out, _err = self._run(["buildah", "images", "--json", "--no-trunc", reference])
            try:
                found = json.loads(out) if rc == 0 else []
            except ValueError:
                found = []
            raw = found[0].get("id") if found else None
        else:
            rc, out, _err = self._run([self.name, "image", "inspect", "--format", "{{.Id}}", reference])
            raw = out.strip() if rc == 0 else None
        if not raw:
            return None
        return raw if raw.startswith("sha256:") else "sha256:" + raw

    def inspect(self, references):
        """``[{"id", "inputs"}]`` of local images (the ID and the build-inputs label); None when one is missing."""
        if not references:
            return []
        if self.name == "buildah":
            template = '{{.FromImageID}} {{index .OCIv1.Config.Labels "%s"}}' % plan.INPUTS_LABEL
            calls = [["buildah", "inspect", "--type", "image", "--format", template, r] for r in references]
        else:
            template = '{{.Id}} {{index .Config.Labels "%s"}}' % plan.INPUTS_LABEL
            calls = [[self.name, "image", "inspect", "--format", template, *references]]
        lines = []
        for argv in calls:
            rc, out, _err = self._run(argv)
            if rc != 0:
                return None
            lines += [line for line in out.splitlines() if line.strip()]
        if len(lines) != len(references):
            return None
        found = []
        for line in lines:
            raw, _sep, inputs = line.strip().partition(" ")
            found.append({"id": raw if raw.startswith("sha256:") else "sha256:" + raw, "inputs": inputs.strip()})
        return found

    def platform_ids(self, reference):
        """For a local manifest list: ``{platform: image ID}``; {} when there is none."""
        rc, out, _err = self._run([self.name, "manifest", "inspect", reference])
        if rc != 0:
            return {}
        try:
            instances = json.loads(out).get("manifests") or []
        except ValueError:
            return {}
        listing = (
            ["buildah", "images", "--json", "--no-trunc"]
            if self.name == "buildah"
            else ["podman", "images", "--format", "json", "--no-trunc"]
        )
        rc, out, _err = self._run(listing)
        ids = {}
        for image in json.loads(out) if rc == 0 and out.strip() else []:
            digest = image.get("Digest") or image.get("digest")
            raw = image.get("Id") or image.get("id")
            if digest and raw:
                ids[digest] = raw if raw.startswith("sha256:") else "sha256:" + raw
                for other in image.get("Digests") or []:
                    ids.setdefault(other, ids[digest])
        result = {}
        for instance in instances:
            platform = instance.get("platform") or {}
            key = "/".join(p for p in (platform.get("os"), platform.get("architecture"), platform.get("variant")) if p)
            result[key] = ids.get(instance.get("digest"))
        return result if all(result.values()) else {}

    def build(self, request, reference, epoch):
        """Build; returns the image ID (one platform) and ``{platform: ID}`` (several)."""
        platforms = request.get("platforms") or []
        with tempfile.TemporaryDirectory(prefix="dockyard-publish-") as tmp:
            iidfile = os.path.join(tmp, "iid")
            if not platforms:
                argv = plan.build_argv(self.name, request, reference, epoch, iidfile)
                _check(self._run(argv), argv, f"build {reference}")
                return _read_id(iidfile) or self.image_id(reference), {}
            # One image per platform, then the list of them: each ID is known from its own build.
            ids = {}
            for platform in platforms:
                argv = plan.build_argv(self.name, request, reference, epoch, iidfile, platform=platform)
                _check(self._run(argv), argv, f"build {reference} for {platform}")
                ids[platform] = _read_id(iidfile)
                os.unlink(iidfile)
        self._run([self.name, "manifest", "rm", reference])
        for argv in plan.manifest_argv(self.name, reference, [ids[p] for p in platforms]):
            _check(self._run(argv), argv, f"make the manifest list {reference}")
        return None, ids

    def forget_list(self, reference, platform_ids):
        """Remove a local manifest list and its untagged platform images once they are published.

        podman 4.3 (Debian 12) keeps a platform image's old manifest digest when an identical image is
        built again, and a list that names it breaks every ``podman images`` on the machine. Each
        publish builds its lists anew (``--no-cache``, reproducibly), so none is kept.
        """
        self._run([self.name, "manifest", "rm", reference])
        for image_id in sorted(set((platform_ids or {}).values())):
            if not image_id:
                continue
            if not self._tagged(image_id):
                self._run([self.name, "rmi", image_id])

    def _tagged(self, image_id):
        """Whether a local image has a name (someone else's image that happens to be identical)."""
        if self.name == "buildah":
            rc, out, _err = self._run(["buildah", "images", "--json", "--no-trunc", image_id])
            try:
                found = json.loads(out) if rc == 0 else []
            except ValueError:
                return True
            return bool(found and found[0].get("names"))
        rc, out, _err = self._run(["podman", "image", "inspect", "--format", "{{len .RepoTags}}", image_id])
        return rc != 0 or out.strip() != "0"

    def push(self, reference, destination, auth_file=None, multi=False):
        """Push one tag; returns the digest the engine wrote (None when it does not say)."""
        with tempfile.TemporaryDirectory(prefix="dockyard-publish-") as tmp:
            digest_file = os.path.join(tmp, "digest") if self.name != "docker" else None
            if self.name == "docker":
                argv = ["docker", "tag", reference, destination]
                with self.tag_lock:
                    _check(self._run(argv), argv, f"tag {destination}")
            argv = plan.push_argv(self.name, reference, destination, auth_file, digest_file, multi)
            _check(self._run(argv), argv, f"push {destination}")
            if digest_file and os.path.exists(digest_file):
                return open(digest_file).read().strip() or None
        return None


# ---------------------------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------------------------


def read_source(run, context):
    """(commit, commit time, dirty paths) of the git checkout of ``context``; ('', 0, []) outside git."""
    rc, out, _err = run(["git", "-C", context, "log", "-1", "--format=%H %ct"])
    if rc != 0 or not out.strip():
        return "", 0, []
    commit, epoch = out.split()[:2]
    rc, out, err = run(["git", "-C", context, "status", "--porcelain", "--untracked-files=all", "--", "."])
    if rc != 0:
        raise plan.PlanError(f"allow_dirty: git status in {context} failed: {err.strip()}", "allow_dirty")
    return commit, int(epoch), plan.parse_git_status(out)


def prepare_builds(run, requests, params):
    """Name every image (version, tags, labels, Containerfile) before anything is built."""
    builds = []
    sources = {}
    for request in requests:
        for candidate in plan.containerfile_candidates(request):
            if os.path.isfile(candidate):
                request["containerfile_path"] = candidate
                break
        else:
            if not os.path.isdir(request["context"]):
                raise plan.PlanError(
                    f"{request['source']}: the build context {request['context']} is not a directory on the controller",
                    "images",
                )
            missing = (
                f"no {request['containerfile']}"
                if request["containerfile"]
                else "neither a Containerfile nor a Dockerfile"
            )
            raise plan.PlanError(
                f"{request['source']}: {request['context']} holds {missing};"
                " set containerfile (publish_containerfile) to the file to build",
                "images",
            )
        if request["context"] not in sources:
            sources[request["context"]] = read_source(run, request["context"])
        commit, epoch, dirty = sources[request["context"]]
        version, revision = plan.name_version(request, commit, dirty, params["version"], params["allow_dirty"])
        labels = dict({plan.REVISION_LABEL: revision} if revision else {})
        labels.update(params["labels"])
        labels.update(request.get("labels") or {})
        request["labels"] = labels
        if not request.get("platforms"):
            request["platforms"] = list(params["platforms"])
        builds.append(
            {
                "request": request,
                "repository": request["repository"],
                "version": version,
                "commit": commit,
                "dirty": bool(dirty),
                "tags": plan.image_tags(request, version, params["tags"], params["extra_tags"]),
                "local_image": f"{plan.local_name(request['repository'])}:{version}",
                "context": request["context"],
                "containerfile": request["containerfile_path"],
                "source_date_epoch": params["source_date_epoch"] if params["source_date_epoch"] is not None else epoch,
                "platforms": request["platforms"],
            }
        )
    return builds


def context_files(context, ignored=()):
    """Lines describing the build context: every entry's path, kind and mode, and a file's content digest.

    The top-level names in ``ignored`` are left out; symbolic links are described by their target.
    """
    lines = []
    for root, dirs, files in os.walk(context):
        relative_root = os.path.relpath(root, context)
        if relative_root == ".":
            dirs[:] = [d for d in dirs if d not in ignored]
            files = [f for f in files if f not in ignored]
        dirs.sort()
        for name in sorted(dirs + files):
            path = os.path.join(root, name)
            relative = os.path.normpath(os.path.join(relative_root, name))
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                lines.append(f"L {relative} {os.readlink(path)}")
            elif stat.S_ISDIR(info.st_mode):
                lines.append(f"D {relative} {stat.S_IMODE(info.st_mode):o}")
            elif stat.S_ISREG(info.st_mode):
                digest = hashlib.sha256()
                with open(path, "rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
                lines.append(f"F {relative} {stat.S_IMODE(info.st_mode):o} {digest.hexdigest()}")
            else:
                lines.append(f"O {relative} {info.st_mode:o}")
    return lines


def _read_text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def reuse_or_label(engine, build):
    """The ID of the local image of this version when it was built from the same inputs, else None.

    Otherwise the request gains the label with the digest of its inputs, so that the next run can
    tell. Nothing is reused (and no label added) when the inputs cannot all be seen: a base image
    not in the local store yet, or a Containerfile that fetches at build time.
    """
    request = build["request"]
    text = _read_text(request["containerfile_path"])
    bases = plan.containerfile_bases(text, request["build_args"])
    if bases is None:
        return None
    found = engine.inspect(bases + [build["local_image"]])
    local = found[-1] if found else None
    if found is None:
        found = engine.inspect(bases)
        if found is None:
            return None
    ignored = set()
    for name in (".containerignore", ".dockerignore"):
        ignored |= plan.ignored_names(_read_text(os.path.join(build["context"], name)))
    files = context_files(build["context"], ignored)
    digest = plan.inputs_digest(engine.name, build, text, files, [f["id"] for f in found[: len(bases)]])
    reused = plan.reusable_image(local, digest)
    if not reused:
        request["labels"] = dict(request.get("labels") or {}, **{plan.INPUTS_LABEL: digest})
    return reused


def build_all(engine, builds, check_mode):
    """Build every image (check mode: read what the local store has).

    A single-platform image whose local image of this version was built from the same inputs
    (``reuse_or_label``) is not built again. A build changes only the controller's image store;
    whether the run changed something is up to the registries (a different image is pushed), so
    nothing is reported here.
    """
    for build in builds:
        multi = bool(build["platforms"])
        reference = build["local_image"]
        build["built"] = False
        if check_mode:
            # Nothing is built: plan with what an earlier build of this version left in the local store.
            before = engine.platform_ids(reference) if multi else engine.image_id(reference)
            image_id, platform_ids = (None, before) if multi else (before, {})
        else:
            image_id, platform_ids = (None if multi else reuse_or_label(engine, build)), {}
            if image_id is None:
                image_id, platform_ids = engine.build(build["request"], reference, build["source_date_epoch"])
                build["built"] = True
        build["image_id"] = image_id
        build["platform_ids"] = platform_ids
        build["identity"] = plan.identity_of(build)


# ---------------------------------------------------------------------------------------------
# Registries
# ---------------------------------------------------------------------------------------------


def read_tags(client, repository, tags, registry_id, mutability, filters):
    """``{tag: {found, image_digest, identity, immutable}}`` for the tags asked for.

    One BatchGetImage: ECR answers each tag asked for with the image it names (``imageId``: the tag
    and the digest). The identity of a single-image manifest is its config digest; of an index, the
    sorted config digests of its images (one more BatchGetImage for them).
    """
    state = {tag: {"found": False, "immutable": tag_is_immutable(mutability, filters, tag)} for tag in tags}
    manifests, _missing = batch_get_images(client, repository, [{"imageTag": t} for t in tags], registry_id)
    by_digest, tag_digest = {}, {}
    for manifest in manifests:
        image_id = manifest.get("imageId") or {}
        digest = image_id.get("imageDigest")
        if digest:
            by_digest.setdefault(digest, manifest)
            if image_id.get("imageTag"):
                tag_digest[image_id["imageTag"]] = digest
    if not by_digest:
        return state
    identities, children = {}, {}
    for digest, manifest in by_digest.items():
        document = parse_manifest(manifest.get("imageManifest"))
        media_type = manifest_media_type(document, manifest.get("imageManifestMediaType"))
        if media_type in INDEX_MANIFESTS:
            children[digest] = [m.get("digest") for m in document.get("manifests") or [] if m.get("digest")]
        else:
            identities[digest] = config_digest(document, media_type)
    wanted = sorted({d for ds in children.values() for d in ds})
    if wanted:
        found, _missing = batch_get_images(client, repository, [{"imageDigest": d} for d in wanted], registry_id)
        configs = {}
        for manifest in found:
            document = parse_manifest(manifest.get("imageManifest"))
            configs[(manifest.get("imageId") or {}).get("imageDigest")] = config_digest(
                document, manifest_media_type(document, manifest.get("imageManifestMediaType"))
            )
        for digest, digests in children.items():
            identities[digest] = tuple(sorted(configs.get(d) or "?" for d in digests))
    for tag in tags:
        digest = tag_digest.get(tag)
        if digest in by_digest:
            state[tag].update(found=True, image_digest=digest, identity=identities.get(digest))
    return state


def _uri(target, repository_entry, repository):
    if repository_entry and not target["custom_host"]:
        return repository_entry["uri"]
    return f"{target['host']}/{repository}"


def _read_image_tags(ecr, target, build, repo):
    return read_tags(
        ecr,
        build["repository"],
        build["tags"],
        target["account"],
        repo.get("image_tag_mutability"),
        repo.get("image_tag_mutability_exclusion_filters"),
    )


def read_target(target, builds, ecr):
    """What one registry holds for the images (before they are built): repositories and tag states."""
    names = [b["repository"] for b in builds]
    found = {entry["repositoryName"]: entry for entry in describe_repositories(ecr, names, target["account"])}
    repositories, current = {}, {}
    for build in builds:
        if build["repository"] in found:
            repo = repository_from_api(found[build["repository"]])
            repositories[build["repository"]] = repo
            current[build["repository"]] = _read_image_tags(ecr, target, build, repo)
    return {"repositories": repositories, "current": current}


def publish_target(target, builds, ecr, engine, login, options, check_mode, create_repository, state=None):
    """One registry: repositories, tag states, the plan, one login, the pushes and their verification.

    ``ecr`` is this target's ECR client; ``login()`` logs the engine in to this registry; ``state``
    what ``read_target`` read (read now when not given). Returns ``{"entries": [...], "changed": bool}``;
    raises PlanError (or ECRError) for this target.
    """
    where = plan.describe_target(target)
    state = state or read_target(target, builds, ecr)
    repositories = dict(state["repositories"])
    changed = False
    for build in builds:
        name = build["repository"]
        if name in repositories:
            continue
        if not create_repository:
            raise plan.PlanError(
                f"repository: {name} does not exist in the registry of {where}; create it first "
                "(create_repository: true, publish_create_repository, or the repositories role)",
                "create_repository",
            )
        desired = validate_params({"name": name, "registry_id": target["account"]})
        _changed, _before, after = repository_converge.converge(ecr, desired, check_mode=check_mode, current=None)
        changed = True
        repositories[name] = after or {}

    plans = []
    for build in builds:
        repo = repositories[build["repository"]]
        uri = _uri(target, repo if repo.get("uri") else None, build["repository"])
        current = state["current"].get(build["repository"], {})
        decided = plan.plan_tags(build["tags"], current, build["identity"])
        if decided["conflicts"]:
            raise plan.PlanError(
                plan.conflict_message(
                    build["repository"],
                    where,
                    decided["conflicts"],
                    build["identity"],
                    repo.get("image_tag_mutability"),
                ),
                "tags",
            )
        plans.append((build, uri, current, decided))

    if any(decided["push"] for _b, _u, _c, decided in plans) and not check_mode:
        login()
        for index, (build, uri, current, decided) in enumerate(plans):
            if not decided["push"]:
                continue
            pushed_digests = {}
            multi = bool(build["platforms"])
            for tag in decided["push"]:
                pushed_digests[tag] = engine.push(build["local_image"], f"{uri}:{tag}", options["auth_file"], multi)
            # Read back until every tag names the built image (a mirrored registry may lag).
            repo = repositories[build["repository"]]
            for _attempt in range(options.get("verify_attempts", VERIFY_ATTEMPTS)):
                current = _read_image_tags(ecr, target, build, repo)
                wrong = plan.verify_tags(build["tags"], current, build["identity"], pushed_digests if multi else None)
                if not wrong:
                    break
                time.sleep(options.get("verify_delay", VERIFY_DELAY))
            else:
                raise plan.PlanError(
                    plan.verify_message(build["repository"], where, wrong, build["identity"], pushed_digests), "verify"
                )
            plans[index] = (build, uri, current, decided)
            changed = True
    elif check_mode:
        changed |= any(decided["push"] for _b, _u, _c, decided in plans)

    entries = [
        plan.result_entry(target, build, uri, build["tags"], current, decided["push"], check_mode)
        for build, uri, current, decided in plans
    ]
    return {"entries": entries, "changed": changed}
