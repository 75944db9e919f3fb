# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The execution environment definition: `ansible-builder create` works offline and the build context
brings dockyard.ecr and its Python and system requirements into the image.

`ansible-builder build` needs a container engine that can pull the base image, which this machine
cannot; the test runs the offline parts of the build instead, with the very scripts the build runs:
the galaxy stage's `ansible-galaxy collection install -r requirements.yml` (here `--no-deps`, with
the dependency collections taken from the venv), then the builder stage's `introspect.py`, which
merges the requirements of every installed collection, then bindep as the `assemble` script calls it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from docs_support import MODULES, ROLES, ROOT

BIN = Path(sys.executable).parent
EE_FILE = ROOT / "execution-environment.yml"
OFFLINE = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
DEPENDENCIES = ("amazon.aws", "community.docker", "containers.podman")


def tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (requirements-dev.txt)")
    return found


def run(argv: list, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, **OFFLINE, **kwargs.pop("env", {})}
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False, env=env, **kwargs)


def requirement_names(lines) -> set:
    names = set()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0].lower())
    return names


@pytest.fixture(scope="module")
def context(tmp_path_factory) -> Path:
    """`ansible-builder create` of execution-environment.yml, with no network."""
    path = tmp_path_factory.mktemp("ee") / "context"
    result = run([tool("ansible-builder"), "create", "-f", str(EE_FILE), "--context", str(path)], cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    return path


@pytest.fixture(scope="module")
def installed(context, tmp_path_factory) -> Path:
    """The galaxy stage, offline: install the context's requirements.yml as the Containerfile does."""
    root = tmp_path_factory.mktemp("ee-collections")
    for dependency in DEPENDENCIES:
        namespace, name = dependency.split(".")
        source = installed_collection(namespace, name)
        (root / "ansible_collections" / namespace).mkdir(parents=True, exist_ok=True)
        (root / "ansible_collections" / namespace / name).symlink_to(source, target_is_directory=True)
    result = run(
        # --force: the checkout may itself be on the configured collections path (make exports it), and
        # ansible-galaxy would then call dockyard.ecr installed already and copy nothing.
        [
            tool("ansible-galaxy"),
            "collection",
            "install",
            "--force",
            "--no-deps",
            "-r",
            "requirements.yml",
            "-p",
            str(root),
        ],
        cwd=context / "_build",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def installed_collection(namespace: str, name: str) -> Path:
    paths = [Path(p) for p in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if p]
    paths += [ROOT / ".build" / "collections", *(Path(p) for p in sys.path if p)]
    for base in paths:
        candidate = base / "ansible_collections" / namespace / name
        if (candidate / "MANIFEST.json").is_file():
            return candidate
    pytest.skip(f"{namespace}.{name} is not installed (make setup)")


@pytest.fixture(scope="module")
def introspected(context, installed, tmp_path_factory) -> dict:
    """The builder stage's introspection: the merged requirements of every installed collection."""
    out = tmp_path_factory.mktemp("ee-introspect")
    result = run(
        [
            sys.executable,
            str(context / "_build" / "scripts" / "introspect.py"),
            "introspect",
            f"--write-pip={out / 'requirements.txt'}",
            f"--write-bindep={out / 'bindep.txt'}",
            str(installed),
        ]
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {
        "python": (out / "requirements.txt").read_text().splitlines(),
        "system": (out / "bindep.txt").read_text().splitlines(),
        "bindep_file": out / "bindep.txt",
    }


def test_definition_is_version_3_and_pins_what_the_collection_supports():
    definition = yaml.safe_load(EE_FILE.read_text())
    assert definition["version"] == 3
    dev = (ROOT / "requirements-dev.txt").read_text()
    core = re.search(r"^ansible-core\s*([^\s#]+)", dev, re.M).group(1)
    assert definition["dependencies"]["ansible_core"]["package_pip"] == f"ansible-core{core}"
    assert "ansible-runner" in definition["dependencies"]["ansible_runner"]["package_pip"]
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    assert definition["options"]["tags"] == [f"dockyard-ecr-ee:{version}"], "tag the image with the collection version"


def test_create_writes_a_build_context_offline(context):
    containerfile = (context / "Containerfile").read_text()
    definition = yaml.safe_load(EE_FILE.read_text())
    assert definition["images"]["base_image"]["name"] in containerfile
    assert "ansible-galaxy collection install" in containerfile
    assert "introspect.py introspect" in containerfile
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert galaxy["collections"] == [{"name": "src/dockyard.ecr", "type": "dir"}]
    source = context / "_build" / "src" / "dockyard.ecr"
    for name in ("galaxy.yml", "requirements.txt", "bindep.txt", "meta/execution-environment.yml", "meta/runtime.yml"):
        assert (source / name).is_file(), f"{name} is not in the build context"
        assert (source / name).read_bytes() == (ROOT / name).read_bytes()


def test_the_image_can_build_and_push_inside_its_container(context):
    """publish's podman and buildah run inside the EE's own container: chroot isolation (no runtime for RUN
    steps) and vfs storage (no fuse-overlayfs, no kernel overlay mount) must be the image's defaults."""
    containerfile = (context / "Containerfile").read_text()
    final = containerfile.rsplit("\nFROM ", 1)[-1]  # the last stage is the image AWX runs
    assert "ENV BUILDAH_ISOLATION=chroot" in final
    assert "ENV STORAGE_DRIVER=vfs" in final
    # rootless: the image's user (1000) has subordinate uids and gids to map the layers' owners
    assert "USER 1000" in final
    assert re.search(r"^RUN .*1000:100000:65536.*/etc/subuid.*/etc/subgid", final, re.M)


def test_the_image_python_runs_every_ansible_core_the_collection_claims(context):
    definition = yaml.safe_load(EE_FILE.read_text())
    python = definition["dependencies"]["python_interpreter"]
    version = tuple(int(part) for part in re.search(r"python(\d+)\.(\d+)$", python["python_path"]).groups())
    assert version >= (3, 12), "ansible-core 2.20 and later need Python 3.12"
    assert python["package_system"] == f"python{version[0]}.{version[1]}"
    assert f'ARG PYCMD="{python["python_path"]}"' in (context / "Containerfile").read_text()


def test_the_image_gets_every_module_role_and_playbook(installed):
    collection = installed / "ansible_collections" / "dockyard" / "ecr"
    for module in MODULES:
        assert (collection / "plugins" / "modules" / f"{module}.py").is_file(), module
    for role in ROLES:
        assert (collection / "roles" / role / "meta" / "argument_specs.yml").is_file(), role
    ignored = set(yaml.safe_load((ROOT / "galaxy.yml").read_text())["build_ignore"])
    for playbook in (ROOT / "playbooks").glob("*.yml"):
        if f"playbooks/{playbook.name}" in ignored:  # demo.yml: the checkout's `make demo` only
            assert not (collection / "playbooks" / playbook.name).exists(), playbook.name
            continue
        assert (collection / "playbooks" / playbook.name).is_file(), playbook.name
    assert not list(collection.rglob("__pycache__"))


def test_collection_meta_names_the_requirement_files():
    meta = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text())
    assert meta["dependencies"] == {"python": "requirements.txt", "system": "bindep.txt"}
    for name in meta["dependencies"].values():
        assert (ROOT / name).is_file()


def test_introspection_lists_our_python_requirements(introspected):
    ours = [line for line in introspected["python"] if "from collection dockyard.ecr" in line]
    want = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    want = [line for line in want if line and not line.startswith("#")]
    assert [line.split("#")[0].strip() for line in ours] == want
    # and the dependencies' own: boto3 for amazon.aws, the Docker SDK for community.docker
    assert {"boto3", "botocore", "jsonschema", "requests"} <= requirement_names(introspected["python"])


def test_introspection_lists_our_system_requirements(introspected):
    ours = [line.split("#")[0].strip() for line in introspected["system"] if "from collection dockyard.ecr" in line]
    want = [line.strip() for line in (ROOT / "bindep.txt").read_text().splitlines()]
    assert ours == [line for line in want if line and not line.startswith("#")]


def test_bindep_installs_the_publish_tools_in_the_image(introspected):
    """The assemble script runs `bindep -l newline` with no profile, i.e. the default profile: the tools
    the publish role builds and pushes with, and git (its version), must not hide behind a profile."""
    result = run([tool("bindep"), "-l", "newline", "-f", str(introspected["bindep_file"])])
    assert result.returncode in (0, 1), result.stderr
    packages = set(result.stdout.split())
    missing = {"podman", "buildah", "git"} - packages
    assert not missing, (
        f"ansible-builder would not install {sorted(missing)}: in bindep.txt they carry only non-default"
        " profiles (emulator, publish), and ansible-builder asks bindep for the default profile."
        " Drop those profiles from the lines the publish role needs."
    )
