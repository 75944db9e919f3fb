# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/reference is what tools/docs/reference.py generates from the sources today, and the links
between the documentation files lead somewhere."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from docs_support import MODULES, PLUGINS, ROLES, ROOT, reference

COMMITTED = ROOT / "docs" / "reference"
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
ANCHOR = re.compile(r'<a id="([^"]+)"></a>')
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*$", re.M)
FENCED = re.compile(r"^```.*?^```", re.M | re.S)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("reference")
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "docs" / "reference.py"), "--dest", str(dest)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return dest


def test_reference_is_current(generated):
    problems = reference.differences(reference.existing(generated), reference.existing(COMMITTED))
    assert not problems, "docs/reference is not current; run `make docs`:\n" + "\n".join(problems)


def test_reference_has_a_page_per_module_and_role(generated):
    pages = set(reference.existing(generated))
    plugins = {f"{kind}/{name}.md" for kind, names in PLUGINS.items() for name in names}
    assert pages == {"README.md"} | {f"modules/{m}.md" for m in MODULES} | {f"roles/{r}.md" for r in ROLES} | plugins
    index = (generated / "README.md").read_text()
    for page in plugins:
        assert f"({page})" in index
    for module in MODULES:
        assert f"(modules/{module}.md)" in index
    for role in ROLES:
        assert f"(roles/{role}.md)" in index


def test_generation_is_deterministic(generated, tmp_path):
    again = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "docs" / "reference.py"), "--dest", str(generated), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    for page in reference.existing(generated).values():
        assert str(ROOT) not in page and "/tmp/" not in page, "a path of this machine leaked into the reference"


def test_markup_of_every_page_parses(generated):
    broken = [path for path, page in reference.existing(generated).items() if "ERROR while parsing" in page]
    assert not broken, f"Ansible markup that does not parse (O(), M(), ... in the sources) in: {broken}"


def test_check_mode_names_a_stale_page(generated, tmp_path):
    stale = tmp_path / "reference"
    reference.write(stale, reference.existing(generated))
    victim = stale / "modules" / f"{MODULES[0]}.md"
    victim.write_text(victim.read_text() + "\nhand edit\n")
    (stale / "modules" / "gone.md").write_text("old\n")
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "docs" / "reference.py"), "--dest", str(stale), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1
    assert f"out of date: modules/{MODULES[0]}.md" in result.stderr
    assert "not generated any more (delete it): modules/gone.md" in result.stderr


# ------------------------------------------------------------------------------------------------ links


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"<[^>]+>", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set:
    text = path.read_text(encoding="utf-8")
    return set(ANCHOR.findall(text)) | {slug(h) for h in HEADING.findall(FENCED.sub("", text))}


DOCUMENTS = sorted(
    str(path.relative_to(ROOT))
    for path in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), *(ROOT / "roles").glob("*/README.md")]
)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_relative_links_resolve(document):
    source = ROOT / document
    text = FENCED.sub("", source.read_text(encoding="utf-8"))
    broken = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target):
            continue  # https:, mailto:
        path_part, fragment = (target.split("#", 1) + [""])[:2]
        path = (source.parent / path_part).resolve() if path_part else source
        if not path.exists():
            broken.append(f"{target}: no such file")
        elif fragment and path.suffix == ".md" and fragment not in anchors(path):
            broken.append(f"{target}: no anchor #{fragment} in {path.relative_to(ROOT)}")
    assert not broken, f"{document}:\n" + "\n".join(broken)
