# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The documentation's publishing commands are found, and the integration target runs every one.

tests/integration/targets/publish/runme.sh executes the commands doc_commands.py lists, exactly as
written, against the emulator; these checks make sure the list is what the pages hold.
"""

from __future__ import annotations

import doc_commands
from docs_support import ROOT

RUNME = ROOT / "tests" / "integration" / "targets" / "publish" / "runme.sh"


def test_the_guides_publishing_commands_are_found():
    found = {(c["source"], c["command"]) for c in doc_commands.commands(ROOT)}
    sources = {source for source, _command in found}
    assert {"docs/getting-started.md", "examples/hello/README.md", "playbooks/publish.yml"} <= sources
    assert (
        "docs/getting-started.md",
        "ansible-playbook -i inventory.yml dockyard.ecr.publish -e publish_repository=team/api "
        "-e publish_context=path/to/api -e publish_extra_tags=v1.4.0,stable",
    ) in found


def test_survey_style_tags_are_among_the_commands_run():
    assert any("publish_extra_tags=v1.4.0,stable" in c["command"] for c in doc_commands.runnable(ROOT))


def test_every_command_left_out_is_still_in_the_docs():
    commands = [c["command"] for c in doc_commands.commands(ROOT)]
    for prefix in doc_commands.NOT_RUN:
        assert any(command.startswith(prefix) for command in commands), f"stale NOT_RUN entry: {prefix}"


def test_continuations_and_comments():
    text = "```sh\nansible-playbook -i i.yml playbooks/publish.yml \\\n  -e a=b   # a comment\nls\n```\n"
    assert list(doc_commands.markdown_commands(text)) == [
        (2, "ansible-playbook -i i.yml playbooks/publish.yml -e a=b"),
        (4, "ls"),
    ]
    header = "---\n# Title\n#\n#   ansible-playbook -i x playbooks/publish.yml \\\n#     -e a=b\n- name: x\n"
    assert list(doc_commands.playbook_header_commands(header)) == [
        (4, "ansible-playbook -i x playbooks/publish.yml -e a=b")
    ]


def test_the_publish_target_runs_them():
    text = RUNME.read_text(encoding="utf-8")
    assert "tests/docs/doc_commands.py" in text
    assert 'bash -euo pipefail -c "$command"' in text
