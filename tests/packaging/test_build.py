"""`ansible-galaxy collection build` makes a tarball that installs and works.

Builds the collection from this checkout, installs the tarball into an empty collections path,
and runs the installed modules — with the dependencies the venv provides — against a moto
server: no file of the checkout is on any path the run uses.
"""

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from support import MotoServer

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """Build the tarball and install it into a fresh collections path; returns (tarball, path)."""
    work = tmp_path_factory.mktemp("build")
    subprocess.run(
        [BIN / "ansible-galaxy", "collection", "build", "--output-path", str(work / "dist"), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (tarball,) = (work / "dist").glob("dockyard-ecr-*.tar.gz")
    dest = work / "collections"
    subprocess.run(
        # --force: the checkout itself may be on the configured collections path (make exports it),
        # and ansible-galaxy would then call the collection installed already.
        [BIN / "ansible-galaxy", "collection", "install", "--force", "--no-deps", "-p", str(dest), str(tarball)],
        check=True,
        capture_output=True,
    )
    return tarball, dest


@pytest.fixture(scope="module")
def moto_endpoint(tmp_path_factory):
    server = MotoServer(tmp_path_factory.mktemp("moto"))
    yield server.url
    server.stop()


def test_tarball_holds_the_collection_and_nothing_of_the_work_tree(installed):
    tarball = installed[0]
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
    assert "MANIFEST.json" in names
    assert "plugins/modules/ecr_repo.py" in names
    assert "meta/runtime.yml" in names
    assert not [n for n in names if n.startswith((".venv", ".build", ".localaws", "tests/output", ".git/"))]


# What users install, and nothing that only builds, tests or benchmarks the collection (galaxy.yml's
# build_ignore): galaxy-importer lints whatever the tarball holds, and users download it.
SHIPPED = {
    "MANIFEST.json",
    "FILES.json",
    "README.md",
    "COPYING",
    "requirements.txt",
    "bindep.txt",
    "meta",
    "plugins",
    "roles",
    "playbooks",
    "docs",
    "changelogs",
    "examples",
    "inventories",
}


def test_tarball_holds_only_what_users_install(installed):
    with tarfile.open(installed[0]) as tar:
        names = tar.getnames()
    assert {name.split("/")[0] for name in names} == SHIPPED
    leaked = [
        name
        for name in names
        if name.startswith(("tests/", "bench/", "tools/", "extensions/", "inventories/local", "changelogs/fragments"))
        or name in ("Makefile", "requirements-dev.txt", "requirements.yml", "execution-environment.yml")
        or "__pycache__" in name
    ]
    assert not leaked
    # meta/execution-environment.yml names these; ansible-builder reads them from the installed collection.
    assert {"requirements.txt", "bindep.txt", "meta/execution-environment.yml", "changelogs/changelog.yaml"} <= set(
        names
    )


def test_manifest_names_the_dependencies(installed):
    dest = installed[1]
    manifest = json.loads((dest / "ansible_collections/dockyard/ecr/MANIFEST.json").read_text())
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"]) == ("dockyard", "ecr")
    assert {"amazon.aws", "community.docker", "containers.podman"} <= set(info["dependencies"])


def test_installed_collection_runs_against_aws(installed, moto_endpoint, tmp_path):
    dest = installed[1]
    # The installed copy first; the venv's site-packages provide amazon.aws (as a user's would).
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(dest),
        PYTHONPATH="",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        ANSIBLE_NOCOLOR="1",
    )
    playbook = tmp_path / "play.yml"
    playbook.write_text(f"""
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: {sys.executable}
  module_defaults:
    group/dockyard.ecr.ecr:
      region: us-east-1
      endpoint_url: {moto_endpoint}
  tasks:
    - dockyard.ecr.ecr_repo:
        name: packaging/check
        scan_on_push: true
      register: created
    - dockyard.ecr.ecr_repo:
        name: packaging/check
        scan_on_push: true
      register: again
    - ansible.builtin.assert:
        that:
          - created is changed
          - again is not changed
          - created.repository.scan_on_push
""")
    result = subprocess.run(
        [BIN / "ansible-playbook", "-i", "localhost,", str(playbook)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The modules came from the installed tarball, not from the checkout.
    doc = subprocess.run(
        [BIN / "ansible-doc", "--json", "dockyard.ecr.ecr_repo"], env=env, capture_output=True, text=True, check=True
    )
    assert str(dest) in json.loads(doc.stdout)["dockyard.ecr.ecr_repo"]["doc"]["filename"]
