# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every documentation example is valid YAML that uses only real options, and ansible-doc renders.

Covers each module's EXAMPLES, each role's README, the guides under docs/ and the top-level
README: YAML code blocks parse, tasks calling dockyard.ecr modules give only options (and
suboptions) the module documents, with valid choices and the required ones present, and
variables handed to dockyard.ecr roles are options of their argument specs.
"""

from __future__ import annotations

import subprocess

import pytest
import yaml
from doc_checks import Checker, yaml_blocks
from docs_support import MODULES, PLUGINS, ROLES, ROOT, only_usable, usable

GUIDES = sorted(
    str(path.relative_to(ROOT))
    for path in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
    if "reference" not in path.relative_to(ROOT).parts
)


@pytest.fixture(scope="session")
def checker_factory(module_docs, role_docs):
    playbooks = [path.stem for path in (ROOT / "playbooks").glob("*.yml")]
    return lambda: Checker(only_usable(module_docs), only_usable(role_docs), playbooks)


def ansible_doc_text(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [reference_ansible_doc(), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def reference_ansible_doc() -> str:
    from docs_support import reference

    return reference.ansible_doc_command()


@pytest.mark.parametrize("module", MODULES)
def test_module_examples_use_real_options(module, module_docs, checker_factory):
    data = usable(module_docs, module)
    assert data.get("examples", "").strip(), f"{module} has no EXAMPLES"
    try:
        examples = yaml.safe_load(data["examples"])
    except yaml.YAMLError as error:
        pytest.fail(f"{module} EXAMPLES is not valid YAML: {error}")
    assert isinstance(examples, list) and examples, f"{module} EXAMPLES should be a list of tasks"
    checker = checker_factory()
    checker.document(examples, f"{module} EXAMPLES", kind="tasks")
    calls = [task for task in examples if isinstance(task, dict) and f"dockyard.ecr.{module}" in yaml.safe_dump(task)]
    assert calls, f"{module} EXAMPLES never calls dockyard.ecr.{module}"
    assert not checker.problems, "\n".join(checker.problems)


@pytest.mark.parametrize("kind, name", [(kind, name) for kind, names in PLUGINS.items() for name in names])
def test_ansible_doc_renders_plugin(kind, name, collections_env):
    result = ansible_doc_text(collections_env, "-t", kind, f"dockyard.ecr.{name}")
    assert result.returncode == 0, result.stderr
    assert f"dockyard.ecr.{name}" in result.stdout
    assert "EXAMPLES" in result.stdout
    # A plugin without options (the session_token lookup) has no OPTIONS section.
    if plugin_options(collections_env, kind, name):
        assert "OPTIONS" in result.stdout
    assert "[WARNING]" not in result.stderr and "[ERROR]" not in result.stderr, result.stderr


def plugin_options(env: dict, kind: str, name: str) -> dict:
    from docs_support import reference

    return reference.ansible_doc(env, kind, [name])[f"{reference.COLLECTION}.{name}"]["doc"].get("options") or {}


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders_module(module, collections_env):
    result = ansible_doc_text(collections_env, f"dockyard.ecr.{module}")
    assert result.returncode == 0, result.stderr
    assert f"dockyard.ecr.{module}" in result.stdout
    assert "OPTIONS" in result.stdout and "EXAMPLES" in result.stdout and "RETURN VALUES" in result.stdout
    assert "[WARNING]" not in result.stderr and "[ERROR]" not in result.stderr, result.stderr


@pytest.mark.parametrize("module", MODULES)
def test_action_group_membership_matches_meta_runtime(module, module_docs):
    """A module whose documentation says `group/dockyard.ecr.ecr` reaches it is in that group, and back."""
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())
    group = [entry for entry in runtime["action_groups"]["ecr"] if isinstance(entry, str)]
    documented = usable(module_docs, module)["doc"].get("attributes", {}).get("action_group", {})
    claims = "dockyard.ecr.ecr" in (documented.get("membership") or [])
    if claims:
        assert module in group, f"{module} documents action group dockyard.ecr.ecr but meta/runtime.yml lacks it"
    else:
        assert (
            module not in group
        ), f"{module} is in the action group; document it (dockyard.ecr.attributes.actiongroup_ecr)"


@pytest.mark.parametrize("role", ROLES)
def test_ansible_doc_renders_role(role, collections_env):
    result = ansible_doc_text(collections_env, "-t", "role", f"dockyard.ecr.{role}")
    assert result.returncode == 0, result.stderr
    assert f"dockyard.ecr.{role}" in result.stdout
    assert "ENTRY POINT: main" in result.stdout.replace("*", "")
    assert "[WARNING]" not in result.stderr and "[ERROR]" not in result.stderr, result.stderr


@pytest.mark.parametrize("role", ROLES)
def test_role_readme_examples_use_real_options(role, role_docs, checker_factory):
    usable(role_docs, role)
    readme = ROOT / "roles" / role / "README.md"
    assert readme.is_file(), f"roles/{role} has no README.md (house style: a README per role)"
    blocks = yaml_blocks(readme.read_text(encoding="utf-8"))
    assert blocks, f"roles/{role}/README.md has no ```yaml example"
    check_blocks(checker_factory(), f"roles/{role}/README.md", blocks)


@pytest.mark.parametrize("guide", GUIDES)
def test_guide_examples_use_real_options(guide, checker_factory):
    blocks = yaml_blocks((ROOT / guide).read_text(encoding="utf-8"))
    check_blocks(checker_factory(), guide, blocks)


def check_blocks(checker: Checker, source: str, blocks: list) -> None:
    for line, text in blocks:
        where = f"{source}:{line}"
        try:
            documents = list(yaml.safe_load_all(text))
        except yaml.YAMLError as error:
            checker.problem(where, f"not valid YAML: {error}")
            continue
        for document in documents:
            checker.document(document, where)
    assert not checker.problems, "\n".join(checker.problems)


# ------------------------------------------------------------------------------------- the checker itself

SPECS = {
    "ecr_repo": {
        "doc": {
            "options": {
                "name": {"type": "str", "required": True},
                "state": {"type": "str", "choices": ["present", "absent"]},
                "encryption": {"type": "dict", "suboptions": {"type": {"type": "str", "choices": ["AES256", "KMS"]}}},
                "region": {"type": "str", "aliases": ["aws_region"]},
            }
        }
    }
}
ROLE_SPECS = {"publish": {"entry_points": {"main": {"options": {"publish_repository": {"type": "str"}}}}}}


@pytest.mark.parametrize(
    "document, problem",
    [
        ([{"name": "t", "dockyard.ecr.ecr_repo": {"name": "a", "colour": "red"}}], "no option 'colour'"),
        ([{"name": "t", "dockyard.ecr.ecr_repo": {"name": "a", "state": "gone"}}], "state='gone' is not one of"),
        ([{"name": "t", "dockyard.ecr.ecr_repo": {"name": "a", "encryption": {"kind": "KMS"}}}], "'encryption.kind'"),
        ([{"name": "t", "dockyard.ecr.ecr_repo": {"state": "present"}}], "required option 'name' is missing"),
        ([{"dockyard.ecr.ecr_repo": {"name": "a"}}], "task without a name"),
        ([{"name": "t", "ecr_repo": {"name": "a"}}], "FQCN"),
        ([{"name": "t", "dockyard.ecr.ecr_nothing": {}}], "not a module of the collection"),
        (
            [{"name": "p", "hosts": "all", "roles": [{"role": "dockyard.ecr.publish", "publish_repo": "x"}]}],
            "no option 'publish_repo'",
        ),
        ({"all": {"vars": {"publish_tag": "v1"}}}, "looks like dockyard.ecr.publish's"),
        (
            [{"name": "p", "ansible.builtin.import_playbook": "dockyard.ecr.nothing"}],
            "not a playbook of the collection",
        ),
        (
            [{"name": "t", "ansible.builtin.include_role": {"name": "dockyard.ecr.publish"}, "vars": {"publish_x": 1}}],
            "no option 'publish_x'",
        ),
    ],
)
def test_checker_finds(document, problem):
    checker = Checker(SPECS, ROLE_SPECS, ["configure", "publish"])
    checker.document(document, "example")
    assert any(problem in found for found in checker.problems), checker.problems


@pytest.mark.parametrize(
    "document",
    [
        [{"name": "t", "dockyard.ecr.ecr_repo": {"name": "a", "aws_region": "eu-west-1", "state": "{{ s }}"}}],
        [
            {
                "name": "p",
                "hosts": "all",
                "module_defaults": {"group/dockyard.ecr.ecr": {"region": "eu-west-1"}},
                "tasks": [{"name": "t", "dockyard.ecr.ecr_repo": {"name": "a", "encryption": {"type": "KMS"}}}],
                "roles": [{"role": "dockyard.ecr.publish", "vars": {"publish_repository": "x"}}],
            }
        ],
        [{"name": "b", "block": [{"name": "t", "dockyard.ecr.ecr_repo": {"name": "a"}}]}],
        [{"account": "123456789012", "region": "eu-west-1", "tags": ["v1"]}],
        {"all": {"children": {"registries": {"hosts": {"reg": {"aws_account_id": "1"}}}}}},
    ],
)
def test_checker_accepts(document):
    checker = Checker(SPECS, ROLE_SPECS)
    checker.document(document, "example")
    assert not checker.problems
