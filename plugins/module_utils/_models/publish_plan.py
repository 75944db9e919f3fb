# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The publish plan: which images to build, under which tags, and what each registry still needs.

Pure (no AWS call, no process started): ``ecr_publish`` reads the sources, the local image store and
the registries, hands what it read to these functions and carries out what they decide.

- **Inputs** as people give them: tags as lists or comma-separated strings (what an AWX survey text
  answer or ``-e publish_extra_tags=v1.0.0,stable`` passes), several images (``images``) and the
  services of a compose file that have both ``build`` and ``image``.
- **Honest names**: the version is the commit checked out in the build context; a context with
  uncommitted changes is refused unless allowed, and then named ``COMMIT-dirty``.
- **Identity**: a single-platform image is the digest of its configuration (what docker, podman and
  buildah call the image ID, the same however the manifest is compressed); a multi-platform image
  is the set of its platforms' configuration digests, behind one index.
- **The plan per registry**: tags that already name the built image stay; the others are pushed,
  unless ECR keeps them immutable, which is refused before anything is pushed, with the fix.
"""

import hashlib
import json
import os
import re

from ansible_collections.dockyard.ecr.plugins.module_utils._common.partitions import is_region_name
from ansible_collections.dockyard.ecr.plugins.module_utils._common.registry import registry_host_for
from ansible_collections.dockyard.ecr.plugins.module_utils._common.validators import (
    ACCOUNT_ID_RE,
    NAME_MAX,
    NAME_MIN,
    NAME_RE,
    validate_registry_host,
)
from ansible_collections.dockyard.ecr.plugins.module_utils._models.image import TAG_RE

PLATFORM_RE = re.compile(r"[a-z0-9]+/[a-z0-9_]+(?:/[a-z0-9]+)?")
BUILD_ARG_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ENGINES = ("podman", "buildah", "docker")
LATEST = "latest"
REVISION_LABEL = "org.opencontainers.image.revision"
DIRTY_SUFFIX = "-dirty"
# The digest of the build inputs (context, Containerfile, arguments, labels, base images) an image came from.
INPUTS_LABEL = "dev.dockyard.ecr.build-inputs"
VERSION_LENGTH = 12


class PlanError(Exception):
    """A request that cannot be published as asked; ``option`` names the option at fault."""

    def __init__(self, message, option=None):
        super().__init__(message)
        self.message = message
        self.option = option


# ---------------------------------------------------------------------------------------------
# Inputs: lists or comma-separated strings
# ---------------------------------------------------------------------------------------------


def split_list(value, option):
    """A list from a list, a comma-separated string or nothing; items stripped, empty items dropped.

    ``"v1.0.0, stable"``, ``["v1.0.0", "stable"]`` and ``"v1.0.0,stable,"`` give the same list. A
    list item that itself holds commas is split too (Ansible turns ``"a,b"`` into ``["a", "b"]``
    for a list option already, so the two spellings cannot mean different things).
    """
    if value is None:
        return []
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        items = [value]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        raise PlanError(f"{option}: give a list or a comma-separated string, not {type(value).__name__}", option)
    result = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            raise PlanError(f"{option}: {item!r} is not a string; give a list of strings or a string", option)
        for part in str(item).split(","):
            part = part.strip()
            if part:
                result.append(part)
    return result


def normalize_tags(value, option):
    """Tags from a list or a comma-separated string, checked and without duplicates (first kept)."""
    tags = []
    for tag in split_list(value, option):
        if not TAG_RE.fullmatch(tag):
            raise PlanError(
                f"{option}: {tag!r} is not a valid image tag; a tag has 1 to 128 letters, digits, '_', '.' or '-' "
                "and does not start with '.' or '-' (for example v1.4.0); give several as a list or separated by "
                "commas (v1.4.0,stable)",
                option,
            )
        if tag not in tags:
            tags.append(tag)
    return tags


def normalize_platforms(value, option="platforms"):
    platforms = []
    for platform in split_list(value, option):
        if not PLATFORM_RE.fullmatch(platform):
            raise PlanError(
                f"{option}: {platform!r} is not a platform; give OS/ARCH[/VARIANT], for example linux/amd64 or "
                "linux/arm64/v8",
                option,
            )
        if platform not in platforms:
            platforms.append(platform)
    return platforms


def normalize_build_args(value, option):
    """Build arguments from a dict or a list of ``NAME=VALUE`` (compose accepts both); values as strings."""
    if value is None:
        return {}
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, (list, tuple)):
        items = []
        for entry in value:
            name, sep, text = str(entry).partition("=")
            items.append((name, text if sep else os.environ.get(name)))
    else:
        raise PlanError(f"{option}: give a dict of NAME: VALUE or a list of NAME=VALUE", option)
    result = {}
    for name, text in items:
        name = str(name).strip()
        if not BUILD_ARG_RE.fullmatch(name):
            raise PlanError(f"{option}: {name!r} is not a build argument name (letters, digits and '_')", option)
        if text is None:
            continue  # compose: "NAME" alone passes the variable only when the environment has it
        result[name] = (
            text if isinstance(text, str) else ("true" if text is True else "false" if text is False else str(text))
        )
    return result


def validate_repository(name, option):
    if not isinstance(name, str) or not NAME_MIN <= len(name) <= NAME_MAX or not NAME_RE.fullmatch(name):
        raise PlanError(
            f"{option}: {name!r} is not a valid ECR repository name; use {NAME_MIN} to {NAME_MAX} lower-case letters "
            "and digits, with '.', '_', '__' or '-' between them and '/' between path components "
            "(for example team/app-api)",
            option,
        )
    return name


# ---------------------------------------------------------------------------------------------
# Compose files
# ---------------------------------------------------------------------------------------------

_INTERPOLATION = re.compile(r"\$(?:\$|\{(?P<braced>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


def interpolate(text, environ, where):
    """Compose's variable interpolation: ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``$$``."""
    if not isinstance(text, str):
        return text

    def replace(match):
        if match.group(0) == "$$":
            return "$"
        expression = match.group("braced") if match.group("braced") is not None else match.group("bare")
        name, operator, default = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(:-|-|:\?|\?)?(.*)$", expression).groups()
        value = environ.get(name)
        if operator == ":-":
            return value if value else default
        if operator == "-":
            return value if value is not None else default
        if operator in (":?", "?") and (value is None or (operator == ":?" and not value)):
            raise PlanError(f"compose_file: {where}: {default or ('variable ' + name + ' is not set')}", "compose_file")
        if value is None:
            raise PlanError(
                f"compose_file: {where} uses ${{{name}}}, which is not set in the environment of the publish; set it, "
                f"or give a default in the file (${{{name}:-value}})",
                "compose_file",
            )
        return value

    try:
        return _INTERPOLATION.sub(replace, text)
    except AttributeError as exc:  # a ${...} that is not a variable expression
        raise PlanError(f"compose_file: {where}: {text!r} is not a valid interpolation", "compose_file") from exc


def split_image_reference(reference, where):
    """``[HOST/]PATH[:TAG][@DIGEST]`` → (repository path, tag or None); the host dropped (docker's rule)."""
    reference = reference.split("@", 1)[0]
    first, _slash, rest = reference.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        reference = rest
    path, tag = reference, ""
    if ":" in reference.rsplit("/", 1)[-1]:
        path, _colon, tag = reference.rpartition(":")
    validate_repository(path, f"compose_file: {where}.image")
    return path, (tag or None)


def parse_compose(document, compose_dir, environ, where="compose_file"):
    """The services of a compose document that have both ``build`` and ``image``, as image requests.

    ``build`` is a context path or ``{context, dockerfile, args, tags, platforms}``; ``image`` names the
    repository (its registry host, if any, is dropped) and a tag; ``build.tags`` of the same repository
    add tags. Services with only one of the two are not built here (compose pulls or builds them).
    """
    if not isinstance(document, dict) or not isinstance(document.get("services"), dict):
        raise PlanError(
            f"{where}: the file has no services mapping; give a compose file (compose.yaml)", "compose_file"
        )
    images = []
    for service, spec in document["services"].items():
        if not isinstance(spec, dict) or "build" not in spec or "image" not in spec:
            continue
        label = f"services.{service}"
        build = spec["build"]
        if isinstance(build, str):
            build = {"context": build}
        if not isinstance(build, dict):
            raise PlanError(f"compose_file: {label}.build: give a context path or a mapping", "compose_file")
        context = interpolate(build.get("context", "."), environ, f"{label}.build.context")
        context = os.path.normpath(os.path.join(compose_dir, context))
        repository, tag = split_image_reference(interpolate(spec["image"], environ, f"{label}.image"), label)
        tags = [tag] if tag else []
        for extra in build.get("tags") or []:
            other, extra_tag = split_image_reference(interpolate(extra, environ, f"{label}.build.tags"), label)
            if other != repository:
                raise PlanError(
                    f"compose_file: {label}.build.tags: {extra!r} names repository {other}, not {repository}; "
                    "a service publishes to the repository of its image",
                    "compose_file",
                )
            if extra_tag and extra_tag not in tags:
                tags.append(extra_tag)
        args = build.get("args")
        if isinstance(args, dict):
            args = {k: interpolate(v, environ, f"{label}.build.args.{k}") for k, v in args.items()}
        elif isinstance(args, list):
            args = [interpolate(a, environ, f"{label}.build.args") for a in args]
        dockerfile = interpolate(build.get("dockerfile") or "", environ, f"{label}.build.dockerfile")
        images.append(
            {
                "repository": repository,
                "context": context,
                "containerfile": dockerfile,
                "build_args": normalize_build_args(args, f"compose_file: {label}.build.args"),
                "tags": normalize_tags(tags, f"compose_file: {label}.image"),
                "platforms": normalize_platforms(build.get("platforms"), f"compose_file: {label}.build.platforms"),
                "source": f"{where} service {service}",
            }
        )
    if not images:
        raise PlanError(
            f"{where}: no service has both build and image; give each service to publish a build (its context) and "
            "an image (the repository and tag to push)",
            "compose_file",
        )
    return images


# ---------------------------------------------------------------------------------------------
# Image requests
# ---------------------------------------------------------------------------------------------


def _single_request(single, base_dir):
    """The short form of one image (the options repository, context, containerfile, build_args).

    Without a repository there is none: context and the others only describe the repository's image
    (the role's inventories often set publish_context for every host and publish publish_images).
    """
    if not single.get("repository"):
        return []
    repository = validate_repository(single.get("repository"), "repository")
    if not single.get("context"):
        raise PlanError(
            f"context: give the build context of {repository}, the directory that holds the Containerfile", "context"
        )
    return [
        {
            "repository": repository,
            "context": os.path.normpath(os.path.join(base_dir, str(single["context"]))),
            "containerfile": str(single.get("containerfile") or ""),
            "build_args": normalize_build_args(single.get("build_args"), "build_args"),
            "labels": {},
            "tags": [],
            "platforms": [],
            "source": "context",
        }
    ]


def image_requests(images, compose_images, base_dir, single=None):
    """The image of ``single`` (repository, context, ...), ``images`` entries and compose images, checked;
    contexts absolute; one entry per repository."""
    requests = _single_request(single or {}, base_dir)
    for index, entry in enumerate(images or []):
        where = f"images[{index}]"
        if not isinstance(entry, dict):
            raise PlanError(f"{where}: give a dict with repository and context", "images")
        repository = validate_repository(entry.get("repository"), f"{where}.repository")
        if not entry.get("context"):
            raise PlanError(
                f"{where}.context: give the build context, the directory that holds the Containerfile", "images"
            )
        requests.append(
            {
                "repository": repository,
                "context": os.path.normpath(os.path.join(base_dir, str(entry["context"]))),
                "containerfile": str(entry.get("containerfile") or ""),
                "build_args": normalize_build_args(entry.get("build_args"), f"{where}.build_args"),
                "labels": {str(k): str(v) for k, v in (entry.get("labels") or {}).items()},
                "tags": normalize_tags(entry.get("tags"), f"{where}.tags"),
                "platforms": normalize_platforms(entry.get("platforms"), f"{where}.platforms"),
                "source": where,
            }
        )
    for entry in compose_images or []:
        requests.append(dict(entry, labels=dict(entry.get("labels") or {})))
    seen = {}
    for request in requests:
        if request["repository"] in seen:
            raise PlanError(
                f"images: repository {request['repository']} is published by both {seen[request['repository']]} and "
                f"{request['source']}; one repository holds one image per publish",
                "images",
            )
        seen[request["repository"]] = request["source"]
    if not requests:
        raise PlanError(
            "images: nothing to publish; give repository and context, images (repository and context) or compose_file",
            "images",
        )
    return requests


_LEADING_OPTION = re.compile(r"^(?P<option>[a-z_]+)(?=[\[.:( ]|$)")


def rename_option(message, names):
    """``message`` with the option it starts with named as ``names`` says (a role's variable).

    ``version: ...`` with ``{"version": "publish_version"}`` gives ``publish_version: ...``, and
    ``images[1].context ...`` with ``{"images": "publish_images"}`` ``publish_images[1].context ...``.
    """
    match = _LEADING_OPTION.match(message or "")
    if not match or match.group("option") not in (names or {}):
        return message
    option = match.group("option")
    size = len(option)
    return names[option] + message[size:]


def containerfile_candidates(request):
    """Where the Containerfile may be: the given one (relative to the context), else Containerfile, Dockerfile."""
    given = request["containerfile"]
    if given:
        return [given if os.path.isabs(given) else os.path.join(request["context"], given)]
    return [os.path.join(request["context"], "Containerfile"), os.path.join(request["context"], "Dockerfile")]


def parse_git_status(output):
    """The paths ``git status --porcelain`` lists (changed, staged, untracked), in order."""
    paths = []
    for line in (output or "").splitlines():
        if len(line) > 3:
            paths.append(line[3:])
    return paths


def name_version(request, commit, dirty_paths, version=None, allow_dirty=False):
    """(version, revision label) for one image; refuses an uncommitted context unless allowed.

    ``commit`` is the full commit of the context's checkout ('' outside git); ``dirty_paths`` what git
    reports as changed or untracked under the context directory.
    """
    where = f"{request['repository']} ({request['context']})"
    if dirty_paths and not allow_dirty:
        shown = ", ".join(dirty_paths[:5]) + (f" and {len(dirty_paths) - 5} more" if len(dirty_paths) > 5 else "")
        raise PlanError(
            f"allow_dirty: the build context of {where} has uncommitted changes ({shown}), so the image would not be "
            f"the commit {commit[:VERSION_LENGTH]} it would be named after; commit them (or stash them), or set "
            "allow_dirty: true (publish_allow_dirty) to publish it as "
            f"{commit[:VERSION_LENGTH]}{DIRTY_SUFFIX}",
            "allow_dirty",
        )
    suffix = DIRTY_SUFFIX if dirty_paths else ""
    if version:
        return version, (commit + suffix) if commit else ""
    if not commit:
        raise PlanError(
            f"version: {request['context']} is not in a git checkout, so there is no commit to name the image after; "
            "set version (publish_version, for example -e publish_version=1.4.0) or build from a git checkout",
            "version",
        )
    return commit[:VERSION_LENGTH] + suffix, commit + suffix


def image_tags(request, version, tags=None, extra_tags=None):
    """The image's tags: its own (compose image tag, images[].tags), else ``tags``, else version and latest; plus extra."""
    own = request.get("tags") or []
    base = own or tags or [version, LATEST]
    if request["source"].startswith("compose_file") and own and not tags:
        base = [version] + own
    result = []
    for tag in list(base) + list(extra_tags or []):
        if tag not in result:
            result.append(tag)
    return result


def local_name(repository):
    return f"localhost/{repository}"


# ---------------------------------------------------------------------------------------------
# Build inputs: an unchanged build is not run again
# ---------------------------------------------------------------------------------------------

_INSTRUCTION = re.compile(r"^\s*(?P<word>[A-Za-z]+)\s+(?P<rest>.*)$")
_VARIABLE = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?::?[-+][^}]*)?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


def _instructions(text):
    """(INSTRUCTION, arguments) of a Containerfile: comments dropped, continued lines joined."""
    result, pending = [], ""
    for line in (text or "").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        match = _INSTRUCTION.match(pending + stripped)
        pending = ""
        if match:
            result.append((match.group("word").upper(), match.group("rest").strip()))
    return result


def containerfile_bases(text, build_args):
    """The images a Containerfile builds on (``FROM``, ``COPY --from=IMAGE``), in order; None when unsure.

    None (the build then always runs) for what the engine resolves at build time and this cannot
    see: a variable in an image name that neither the build arguments nor an ``ARG`` default
    before it sets, ``RUN --mount=...from=`` and ``ADD`` of a URL or a git repository.
    """
    values, stages, bases = {}, set(), []

    def resolve(word):
        def replace(match):
            name = match.group("braced") or match.group("bare")
            if name not in values:
                raise KeyError(name)
            return values[name]

        return _VARIABLE.sub(replace, word)

    try:
        for word, rest in _instructions(text):
            parts = rest.split()
            if word == "ARG" and parts:
                name, sep, default = parts[0].partition("=")
                if name in build_args:
                    values[name] = build_args[name]
                elif sep:
                    values[name] = default.strip("\"'")
            elif word == "FROM" and parts:
                names = [p for p in parts if not p.startswith("--")]
                image = resolve(names[0])
                if len(names) >= 3 and names[1].upper() == "AS":
                    stages.add(names[2].lower())
                if image.lower() != "scratch" and image.lower() not in stages and image not in bases:
                    bases.append(image)
            elif word in ("COPY", "ADD") and parts:
                for part in parts:
                    if part.startswith("--from="):
                        source = resolve(part.split("=", 1)[1])
                        if source.lower() not in stages and not source.isdigit() and source not in bases:
                            bases.append(source)
                if word == "ADD" and any(re.search(r"^(https?|git)://|^git@|\.git$", p) for p in parts[:-1]):
                    return None
            elif word == "RUN" and re.search(r"--mount=\S*from=", rest):
                return None
    except (KeyError, IndexError):
        return None
    return bases


def ignored_names(text):
    """Top-level names a .containerignore/.dockerignore leaves out of the context, for the inputs digest.

    Only plain names count (``.git``, ``node_modules/``); a file with patterns or exceptions leaves
    everything in (the digest then covers more than the build sees, so it errs towards building).
    """
    names = set()
    for line in (text or "").splitlines():
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        entry = entry.strip("/")
        if entry.startswith("!") or any(c in entry for c in "*?[\\") or "/" in entry or entry in ("", ".", ".."):
            return set()
        names.add(entry)
    return names


def inputs_digest(engine, build, containerfile_text, files, base_ids):
    """A digest of everything a build depends on, which the image carries as the ``INPUTS_LABEL`` label.

    ``files`` are lines describing the context (path, kind, mode, content digest) as
    ``_converge.publish.context_files`` makes them; ``base_ids`` the local image IDs of the images
    it builds on. Equal digests mean the build would give the image it gave before.
    """
    request = build["request"]
    document = {
        "engine": engine,
        "containerfile": hashlib.sha256((containerfile_text or "").encode()).hexdigest(),
        "build_args": sorted(request["build_args"].items()),
        "labels": sorted((k, v) for k, v in request.get("labels", {}).items() if k != INPUTS_LABEL),
        "source_date_epoch": build["source_date_epoch"],
        "bases": list(base_ids),
        "files": hashlib.sha256("\n".join(files).encode()).hexdigest(),
    }
    return "sha256:" + hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def reusable_image(local, digest):
    """The ID of the local image to publish without building, when it was built from these inputs."""
    if local and local.get("id") and local.get("inputs") == digest:
        return local["id"]
    return None


# ---------------------------------------------------------------------------------------------
# Engine command lines
# ---------------------------------------------------------------------------------------------


def build_argv(engine, request, reference, epoch, iidfile, platform=None):
    """The command that builds ``reference`` (``localhost/REPO:VERSION``) from the request.

    With ``platform``, the image of one platform of a manifest list: not tagged (the list names it),
    its ID written to ``iidfile``.
    """
    labels = dict(request.get("labels") or {})
    args = []
    for name, value in sorted(request["build_args"].items()):
        args += ["--build-arg", f"{name}={value}"]
    for name, value in sorted(labels.items()):
        args += ["--label", f"{name}={value}"]
    containerfile = request["containerfile_path"]
    if engine == "docker":
        head = ["docker", "build", "--file", containerfile, "--tag", reference, "--iidfile", iidfile]
        return [*head, *args, request["context"]]
    argv = [engine, "build", "--format", "oci", "--file", containerfile, "--timestamp", str(int(epoch))]
    if platform:
        # A build cache entry ignores the platform of a FROM scratch stage (podman 4.3): build each
        # platform anew; --timestamp keeps the result the same.
        argv += ["--no-cache", "--platform", platform, "--iidfile", iidfile]
    else:
        argv += ["--tag", reference, "--iidfile", iidfile]
    return argv + args + [request["context"]]


def manifest_argv(engine, reference, image_ids):
    """The commands that make the local manifest list ``reference`` of ``image_ids`` (platform order)."""
    commands = [[engine, "manifest", "create", reference]]
    for image_id in image_ids:
        commands.append([engine, "manifest", "add", reference, "containers-storage:" + image_id.split(":", 1)[-1]])
    return commands


def push_argv(engine, reference, destination, auth_file=None, digest_file=None, multi=False):
    """The command that pushes ``reference`` to ``destination`` (``HOST/REPO:TAG``)."""
    if engine == "docker":
        return ["docker", "push", destination]
    argv = [engine] + (["manifest", "push", "--all"] if multi else ["push"])
    if auth_file:
        argv += ["--authfile", auth_file]
    if digest_file:
        argv += ["--digestfile", digest_file]
    return argv + [reference, f"docker://{destination}"]


def pick_engine(engine, available):
    """``auto``: the first of podman, buildah, docker that ``available(name)`` says works."""
    if engine != "auto":
        return engine
    for name in ENGINES:
        if available(name):
            return name
    raise PlanError(
        "engine: no container engine works on the controller (podman, buildah, or the docker CLI with a Docker API); "
        "install podman or buildah, or point DOCKER_HOST (publish_docker_host) at a Docker API",
        "engine",
    )


def check_platforms(engine, requests):
    if engine == "docker" and any(r.get("platforms") for r in requests):
        raise PlanError(
            "platforms: a multi-platform image (a manifest list) is built with podman or buildah; the docker engine "
            "through the Docker API builds one platform. Set engine (publish_engine) to podman or buildah",
            "platforms",
        )


# ---------------------------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------------------------


def normalize_targets(targets):
    """Targets (``{name, account, region, host, role_arn}``) checked; duplicates of one registry merged.

    A registry named by several targets (two hosts of one account and region) is published to once;
    ``names`` lists every target name it stands for.
    """
    result, seen = [], {}
    for index, target in enumerate(targets or []):
        where = f"targets[{index}]"
        account = str(target.get("account") or "")
        region = str(target.get("region") or "")
        of = f" (the target of {target['name']})" if target.get("name") else ""
        if not ACCOUNT_ID_RE.fullmatch(account):
            raise PlanError(f"{where}.account: {account!r} is not an AWS account ID (12 digits){of}", "targets")
        if not is_region_name(region):
            raise PlanError(
                f"{where}.region: {region!r} is not an AWS region name (for example eu-west-1){of}", "targets"
            )
        # The host goes onto the engine's command line: validated as every registry_host option is.
        host = validate_registry_host(str(target.get("host") or ""), option=f"{where}.host", error=PlanError)
        name = str(target.get("name") or f"{account} {region}")
        key = (account, region, registry_host_for(account, region, host))
        if key in seen:
            if name not in seen[key]["names"]:
                seen[key]["names"].append(name)
            continue
        seen[key] = {
            "name": name,
            "names": [name],
            "account": account,
            "region": region,
            "host": key[2],
            "custom_host": bool(host),
            "role_arn": str(target.get("role_arn") or ""),
        }
        result.append(seen[key])
    if not result:
        raise PlanError(
            "targets: no target registry; give targets (account and region), or run the role on the hosts of the "
            "inventory group registries (aws_account_id, aws_region)",
            "targets",
        )
    return result


def describe_target(target):
    where = f"{target['account']} {target['region']}"
    return where + (f" ({target['host']})" if target.get("custom_host") else "")


# ---------------------------------------------------------------------------------------------
# The plan per registry
# ---------------------------------------------------------------------------------------------


def identity_of(built):
    """What names the built image: its config digest, or for a manifest list the sorted config digests."""
    if built.get("platform_ids"):
        return tuple(sorted(built["platform_ids"].values()))
    return built.get("image_id") or None


def plan_tags(tags, current, built_identity):
    """Which tags to push: ``current`` is ``{tag: {"found", "identity", "image_digest", "immutable"}}``.

    Returns ``{"push": [...], "keep": [...], "conflicts": [...]}``; a conflict is a tag that exists,
    is immutable and names another image. With an unknown build (check mode before a first build)
    every tag is pushed and nothing is known to conflict.
    """
    push, keep, conflicts = [], [], []
    for tag in tags:
        state = current.get(tag) or {"found": False}
        if built_identity is not None and state.get("found") and state.get("identity") == built_identity:
            keep.append(tag)
            continue
        if built_identity is not None and state.get("found") and state.get("immutable"):
            conflicts.append(dict(state, tag=tag))
            continue
        push.append(tag)
    return {"push": push, "keep": keep, "conflicts": conflicts}


def conflict_message(repository, where, conflicts, built_identity, mutability):
    """Which tags cannot move, what they name, and the fixes that apply."""
    parts = []
    for conflict in conflicts:
        named = conflict.get("identity")
        if isinstance(named, tuple):
            named = "a multi-platform image of " + ", ".join(named)
        parts.append(
            f"tag '{conflict['tag']}' names image {named or '(unknown)'} (manifest {conflict.get('image_digest')})"
        )
    built = ", ".join(built_identity) if isinstance(built_identity, tuple) else built_identity
    names = [c["tag"] for c in conflicts]
    fixes = []
    if LATEST in names:
        fixes.append(
            "leave latest out of the tags (publish_tags: [VERSION] or tags without latest), or let latest move: set the "
            f"repository's image_tag_mutability to immutable_with_exclusion with image_tag_mutability_exclusion_filters: "
            f"[{LATEST}] (dockyard.ecr.ecr_repo or the repositories role)"
        )
    others = [n for n in names if n != LATEST]
    if others:
        fixes.append(
            f"publish a new version (commit, or publish_version) and leave {', '.join(others)} out of the tags, since "
            "ECR never moves an immutable tag"
        )
    return (
        f"tags: {'; '.join(parts)} in {repository} of {where}; the repository's tags are {mutability or 'immutable'}, "
        f"so ECR refuses to move {', '.join(names)} to the image built now, {built}. Nothing was pushed to this "
        f"registry. To fix: {'; or '.join(fixes)}"
    )


def verify_tags(tags, current, built_identity, pushed_digests=None):
    """The tags that do not name the built image (or, where a push reported it, not that digest)."""
    wrong = []
    for tag in tags:
        state = current.get(tag) or {"found": False}
        if not state.get("found") or state.get("identity") != built_identity:
            wrong.append((tag, state.get("identity"), state.get("image_digest")))
            continue
        expected = (pushed_digests or {}).get(tag)
        if expected and state.get("image_digest") != expected:
            wrong.append((tag, state.get("identity"), state.get("image_digest")))
    return wrong


def verify_message(repository, where, wrong, built_identity, pushed_digests=None):
    built = ", ".join(built_identity) if isinstance(built_identity, tuple) else built_identity
    parts = []
    for tag, identity, digest in wrong:
        expected = (pushed_digests or {}).get(tag)
        if identity == built_identity and expected:
            parts.append(f"tag '{tag}' names manifest {digest}, not the index {expected} the push wrote")
        else:
            parts.append(f"tag '{tag}' names {identity or 'nothing'}, not the image built, {built}")
    return f"verify: in {repository} of {where}: {'; '.join(parts)}"


def result_entry(target, image, uri, tags, current, pushed, check_mode):
    """One image in one registry, as publish_result holds it."""
    digests = {tag: (current.get(tag) or {}).get("image_digest") for tag in tags}
    version = image["version"]
    digest = digests.get(version) or next((d for d in digests.values() if d), None)
    if check_mode and pushed:
        action = "would push " + ", ".join(pushed)
    else:
        action = ("pushed " + ", ".join(pushed)) if pushed else "unchanged"
    return {
        "name": target["name"],
        "account": target["account"],
        "region": target["region"],
        "host": target["host"],
        "role_arn": target.get("role_arn") or "",
        "repository": image["repository"],
        "uri": uri,
        "version": version,
        "image_id": image.get("image_id") or None,
        "platforms": image.get("platforms") or [],
        "digest": digest,
        "image_uri": f"{uri}@{digest}" if digest else None,
        "tags": list(tags),
        "digests": digests,
        "pushed": bool(pushed),
        "pushed_tags": list(pushed),
        "summary": f"{uri}:{','.join(tags)} = {digest or '?'} ({target['account']} {target['region']}): {action}",
    }


def table(entries):
    """The lines of a table of every image, tag and digest (ACCOUNT REGION IMAGE DIGEST PUSHED)."""
    rows = [["ACCOUNT", "REGION", "IMAGE", "DIGEST", "PUSHED"]]
    for entry in entries:
        for tag in entry["tags"]:
            rows.append(
                [
                    entry["account"],
                    entry["region"],
                    f"{entry['repository']}:{tag}",
                    entry["digests"].get(tag) or "-",
                    "yes" if tag in entry["pushed_tags"] else "no",
                ]
            )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
