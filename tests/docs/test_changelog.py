# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The changelog: every fragment is valid, and releasing the current version renders a changelog
that holds every fragment and every module, as valid reStructuredText.

The release runs in a copy of the collection, so the checkout's fragments and changelog.yaml stay as
they are.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import docutils.core
import docutils.utils
import pytest
import yaml
from docs_support import MODULES, ROOT

BIN = Path(sys.executable).parent
VERSION = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
COPIED = ("changelogs", "galaxy.yml", "meta", "plugins", "roles", "playbooks")


def changelog_tool() -> str:
    path = BIN / "antsibull-changelog"
    if path.exists():
        return str(path)
    found = shutil.which("antsibull-changelog")
    if not found:
        pytest.skip("antsibull-changelog is not installed (requirements-dev.txt)")
    return found


def fragments() -> list:
    return sorted((ROOT / "changelogs" / "fragments").glob("*.y*ml"))


def test_fragments_lint():
    result = subprocess.run(
        [changelog_tool(), "lint"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> str:
    copy = tmp_path_factory.mktemp("changelog") / "ansible_collections" / "dockyard" / "ecr"
    copy.mkdir(parents=True)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__", ".plugin-cache.yaml"))
        elif source.exists():
            shutil.copy2(source, copy / name)
    # antsibull-changelog finds the new modules with the ansible-doc beside it
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [changelog_tool(), "release", "-v", "--version", VERSION, "--date", "2026-01-01"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return (copy / "CHANGELOG.rst").read_text()


def test_release_renders_every_fragment(rendered):
    assert f"v{VERSION}" in rendered
    for fragment in fragments():
        data = yaml.safe_load(fragment.read_text()) or {}
        for section, entries in data.items():
            if section == "trivial" or section.startswith("add "):
                continue
            for entry in [entries] if isinstance(entries, str) else entries:
                words = " ".join(str(entry).split())[:60]
                assert words in " ".join(rendered.split()), f"{fragment.name}: {section} entry missing: {words}"


def test_release_lists_every_module(rendered):
    for module in MODULES:
        assert f"dockyard.ecr.{module} - " in rendered, f"{module} is not under New Modules"


def test_changelog_is_valid_restructuredtext(rendered):
    try:
        docutils.core.publish_doctree(
            rendered, settings_overrides={"report_level": 2, "halt_level": 2, "warning_stream": False}
        )
    except docutils.utils.SystemMessage as error:
        pytest.fail(f"CHANGELOG.rst does not render: {error}")
