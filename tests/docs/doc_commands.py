# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The publishing commands of the documentation, exactly as written, for a test to run them.

Reads the shell blocks (```sh) of the guides, the READMEs of the examples and of the publish role,
and the header comments of the playbooks; joins continuation lines; keeps the commands that
publish (``ansible-playbook`` with ``publish.yml`` or ``dockyard.ecr.publish``). The integration
target ``publish`` runs every one of them against the emulator (``runme.sh``); ``test_doc_commands.py``
checks that the list is complete, so a command added to a page cannot escape the run.

    python tests/docs/doc_commands.py ROOT     # one JSON object per line: {"source", "line", "command"}
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

FENCE = re.compile(r"^```(\w*)\s*$")
SHELL_LANGUAGES = {"sh", "bash", "shell", "console"}
PUBLISHES = re.compile(r"(^|\s)(\S*/)?ansible-playbook\s.*(publish\.yml|dockyard\.ecr\.publish)(\s|$)")
# Commands that concern publishing but that the test cannot run, and why (test_doc_commands.py checks the list).
NOT_RUN = {
    # Real AWS accounts (inventories/example names them): nothing to run it against here.
    "ansible-playbook -i inventories/example dockyard.ecr.publish",
}


def sources(root: Path) -> list[Path]:
    pages = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
    pages += sorted((root / "examples").rglob("README.md"))
    pages += [root / "roles" / "publish" / "README.md"]
    pages = [p for p in pages if p.is_file() and "reference" not in p.relative_to(root).parts]
    return pages + sorted((root / "playbooks").glob("*.yml"))


def _logical_lines(lines):
    """(first line number, text) with backslash continuations joined and trailing comments dropped."""
    pending, start = [], None
    for number, line in lines:
        text = line.rstrip()
        if start is None:
            start = number
        if text.endswith("\\"):
            pending.append(text[:-1].strip())
            continue
        pending.append(text.strip())
        joined = " ".join(part for part in pending if part)
        joined = re.sub(r"\s+#\s.*$", "", joined).strip()
        if joined:
            yield start, joined
        pending, start = [], None


def markdown_commands(text: str):
    block, language = None, None
    for number, line in enumerate(text.splitlines(), 1):
        fence = FENCE.match(line.strip())
        if fence:
            if block is None:
                block, language = [], fence.group(1)
            else:
                if language in SHELL_LANGUAGES:
                    yield from _logical_lines(block)
                block, language = None, None
            continue
        if block is not None:
            block.append((number, line))


def playbook_header_commands(text: str):
    """Commands in a playbook's leading comment: lines indented after ``#`` (``#   ansible-playbook ...``)."""
    header = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("---"):
            continue
        if not line.startswith("#"):
            break
        match = re.match(r"^#\s{3,}(\S.*)$", line)
        if match:
            header.append((number, match.group(1)))
        elif header and header[-1][1].endswith("\\"):
            header.append((number, line.lstrip("#").strip()))
    yield from _logical_lines(header)


def commands(root: Path) -> list[dict]:
    found = []
    for path in sources(root):
        text = path.read_text(encoding="utf-8")
        lines = playbook_header_commands(text) if path.suffix == ".yml" else markdown_commands(text)
        for number, command in lines:
            if PUBLISHES.search(command):
                found.append({"source": str(path.relative_to(root)), "line": number, "command": command})
    return found


def runnable(root: Path) -> list[dict]:
    return [c for c in commands(root) if not any(c["command"].startswith(prefix) for prefix in NOT_RUN)]


if __name__ == "__main__":
    for item in runnable(Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()):
        print(json.dumps(item))
