# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check YAML documentation examples against the real module and role argument specs.

A document is a list of plays, a list of tasks, or a mapping of variables (an inventory or
group_vars). For every task that calls a dockyard.ecr module, each option (and suboption) must be
one the module documents, by name or alias, literal values must be among the choices, and the
required options must be given (by the task or the play's module_defaults). Every task has a
`name`, and modules are called by their FQCN. Variables handed to a dockyard.ecr role, and play
or inventory variables that carry a role's prefix, must be options of the role's argument spec.
"""

from __future__ import annotations

import re

from ansible.playbook.block import Block
from ansible.playbook.play import Play
from ansible.playbook.task import Task

COLLECTION = "dockyard.ecr"
ACTION_GROUP = f"group/{COLLECTION}.ecr"
TASK_KEYWORDS = set(Task.fattributes) | set(Block.fattributes) | {"local_action", "listen"}
PLAY_KEYWORDS = set(Play.fattributes) | {"import_playbook", "ansible.builtin.import_playbook"}
ROLE_INCLUDES = {
    "include_role",
    "import_role",
    "ansible.builtin.include_role",
    "ansible.builtin.import_role",
    "ansible.legacy.include_role",
    "ansible.legacy.import_role",
}
ROLE_ENTRY_KEYWORDS = {"role", "name", "vars", "tags", "when", "become", "become_user", "environment", "tasks_from"}
ROLE_ENTRY_KEYWORDS |= {"delegate_to", "ignore_errors", "any_errors_fatal", "module_defaults", "no_log", "collections"}


def templated(value) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def spec_for(options: dict, key: str):
    if key in options:
        return options[key]
    for spec in options.values():
        if key in ((spec or {}).get("aliases") or []):
            return spec
    return None


def common_prefix(names) -> str:
    names = sorted(names)
    if not names:
        return ""
    first, last = names[0], names[-1]
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]


class Checker:
    """Collects problems in `self.problems` as "WHERE: MESSAGE" strings."""

    def __init__(self, module_docs: dict, role_docs: dict, playbooks=None):
        self.playbooks = set(playbooks) if playbooks is not None else None
        self.modules = {
            f"{COLLECTION}.{name}": (data["doc"].get("options") or {}) for name, data in module_docs.items()
        }
        self.roles = {
            f"{COLLECTION}.{name}": {
                entry: (spec or {}).get("options") or {} for entry, spec in (data.get("entry_points") or {}).items()
            }
            for name, data in role_docs.items()
        }
        self.role_prefixes = {}
        for fqcn, entries in self.roles.items():
            names = {option for options in entries.values() for option in options}
            prefixes = {fqcn.rsplit(".", 1)[1] + "_"}
            shared = common_prefix(names)
            if len(names) > 1 and len(shared) >= 4:
                prefixes.add(shared)
            self.role_prefixes[fqcn] = (prefixes, names)
        self.problems: list = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    # -------------------------------------------------------------------------------- documents

    def document(self, data, where: str, kind: str = "auto") -> None:
        """Check one YAML document. kind: "tasks" (module EXAMPLES), "auto" (guessed from the shape)."""
        if data is None:
            return
        if isinstance(data, list):
            plays = all(isinstance(item, dict) and ("hosts" in item or self.imported(item)) for item in data)
            if kind != "tasks" and data and plays:
                for index, play in enumerate(data):
                    self.play(play, f"{where} play {index + 1}")
            elif kind == "tasks" or any(self.task_like(item) for item in data):
                self.tasks(data, where, {})
            # otherwise data (a module's or role's result, a list of values): nothing to check
        elif isinstance(data, dict):
            self.variables(data, where)
        else:
            self.problem(where, f"expected a list of plays or tasks, or a mapping, not {type(data).__name__}")

    def task_like(self, item) -> bool:
        """A mapping with a dotted (FQCN) key, a block, or the short name of one of our modules; a list of
        data (a result, repository entries) has none of those."""
        if not isinstance(item, dict):
            return False
        short = {fqcn.rsplit(".", 1)[1] for fqcn in self.modules}
        return any("." in str(key) or key in ("block", "rescue", "always") or key in short for key in item)

    @staticmethod
    def imported(play: dict):
        return play.get("import_playbook") or play.get("ansible.builtin.import_playbook")

    def play(self, play: dict, where: str) -> None:
        imported = self.imported(play)
        if imported:
            if isinstance(imported, str) and imported.startswith(f"{COLLECTION}.") and self.playbooks is not None:
                if imported.split(".", 2)[2] not in self.playbooks:
                    self.problem(
                        where, f"{imported} is not a playbook of the collection (have: {sorted(self.playbooks)})"
                    )
            return
        where = f"{where} ({play.get('name')!r})" if play.get("name") else where
        if "name" not in play:
            self.problem(where, "play without a name")
        unknown = sorted(set(play) - PLAY_KEYWORDS)
        if unknown:
            self.problem(where, f"not play keywords: {unknown}")
        defaults = self.defaults(play.get("module_defaults"), {})
        self.variables(play.get("vars") or {}, f"{where} vars")
        for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            self.tasks(play.get(section) or [], f"{where} {section}", defaults)
        for index, entry in enumerate(play.get("roles") or []):
            self.role_entry(entry, f"{where} roles[{index}]")

    def variables(self, data: dict, where: str) -> None:
        """Variables (play vars, group_vars, an inventory) that carry a role's prefix must be its options."""
        for key, value in data.items():
            if key in ("all", "children", "hosts", "vars") and isinstance(value, dict):
                self.variables(value, f"{where}.{key}")
                continue
            if isinstance(value, dict) and key not in self.all_role_options():
                # a host or group of an inventory: its variables
                if all(isinstance(k, str) for k in value) and self.looks_like_host(value):
                    self.variables(value, f"{where}.{key}")
                continue
            for fqcn, (prefixes, names) in self.role_prefixes.items():
                if any(key.startswith(prefix) for prefix in prefixes) and key not in names:
                    self.problem(where, f"variable {key!r} looks like {fqcn}'s but the role has no such option")

    def all_role_options(self) -> set:
        return {name for entry in self.role_prefixes.values() for name in entry[1]}

    @staticmethod
    def looks_like_host(value: dict) -> bool:
        return any(key in value for key in ("hosts", "children", "vars")) or not any(
            isinstance(v, dict) for v in value.values()
        )

    # -------------------------------------------------------------------------------- tasks

    def defaults(self, module_defaults, inherited: dict) -> dict:
        merged = {key: dict(value) for key, value in inherited.items()}
        for key, value in (module_defaults or {}).items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
        return merged

    def tasks(self, tasks, where: str, defaults: dict) -> None:
        if not isinstance(tasks, list):
            self.problem(where, f"expected a list of tasks, not {type(tasks).__name__}")
            return
        for index, task in enumerate(tasks):
            self.task(task, f"{where}[{index}]", defaults)

    def task(self, task, where: str, defaults: dict) -> None:
        if not isinstance(task, dict):
            self.problem(where, f"a task must be a mapping, not {type(task).__name__}")
            return
        where = f"{where} ({task.get('name')!r})" if task.get("name") else where
        defaults = self.defaults(task.get("module_defaults"), defaults)
        if any(section in task for section in ("block", "rescue", "always")):
            for section in ("block", "rescue", "always"):
                self.tasks(task.get(section) or [], f"{where} {section}", defaults)
            return
        if "name" not in task:
            self.problem(where, "task without a name")
        actions = [key for key in task if key not in TASK_KEYWORDS and not key.startswith("with_")]
        if len(actions) != 1:
            self.problem(where, f"expected one module, found {actions or 'none'}")
            return
        action = actions[0]
        args = task[action]
        if isinstance(task.get("args"), dict) and isinstance(args, (dict, type(None))):
            args = {**task["args"], **(args or {})}
        if "." not in action:
            self.problem(where, f"call modules by their FQCN: {action!r}")
            if f"{COLLECTION}.{action}" in self.modules:
                action = f"{COLLECTION}.{action}"
        if action in ROLE_INCLUDES:
            self.role_include(task, args or {}, where)
        elif action.startswith(f"{COLLECTION}."):
            self.module_call(action, args, where, defaults)

    def module_call(self, fqcn: str, args, where: str, defaults: dict) -> None:
        if fqcn not in self.modules:
            self.problem(where, f"{fqcn} is not a module of the collection (have: {sorted(self.modules)})")
            return
        if args is None:
            args = {}
        if not isinstance(args, dict):
            self.problem(where, f"{fqcn}: give the options as a mapping, not {args!r}")
            return
        options = self.modules[fqcn]
        self.options(fqcn, options, args, where, [])
        given = set(args) | set(defaults.get(ACTION_GROUP, {})) | set(defaults.get(fqcn, {}))
        given |= set(defaults.get("group/amazon.aws.aws", {})) & {"region", "endpoint_url", "profile"}
        for name, spec in options.items():
            names = {name, *((spec or {}).get("aliases") or [])}
            if (spec or {}).get("required") and not names & given:
                self.problem(where, f"{fqcn}: required option {name!r} is missing")

    def options(self, owner: str, options: dict, args: dict, where: str, path: list) -> None:
        for key, value in args.items():
            spec = spec_for(options, key)
            dotted = ".".join([*path, str(key)])
            if spec is None:
                self.problem(where, f"{owner}: no option {dotted!r} (options here: {sorted(options)})")
                continue
            if value is None or templated(value):
                continue
            choices = spec.get("choices")
            if choices:
                values = value if isinstance(value, list) else [value]
                for item in values:
                    if not templated(item) and item not in choices and str(item) not in map(str, choices):
                        self.problem(where, f"{owner}: {dotted}={item!r} is not one of {list(choices)}")
            sub = spec.get("suboptions") or spec.get("options")
            if not sub:
                continue
            if isinstance(value, dict):
                self.suboptions(owner, sub, value, where, [*path, str(key)])
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    if isinstance(item, dict):
                        self.suboptions(owner, sub, item, where, [*path, f"{key}[{index}]"])

    def suboptions(self, owner: str, options: dict, value: dict, where: str, path: list) -> None:
        self.options(owner, options, value, where, path)
        for name, spec in options.items():
            names = {name, *((spec or {}).get("aliases") or [])}
            if (spec or {}).get("required") and not names & set(value):
                self.problem(where, f"{owner}: required option {'.'.join([*path, name])!r} is missing")

    # -------------------------------------------------------------------------------- roles

    def role_entry(self, entry, where: str) -> None:
        if isinstance(entry, str):
            self.role_reference(entry, "main", {}, where)
            return
        if not isinstance(entry, dict):
            self.problem(where, f"a role entry must be a name or a mapping, not {entry!r}")
            return
        name = entry.get("role") or entry.get("name")
        params = {key: value for key, value in entry.items() if key not in ROLE_ENTRY_KEYWORDS}
        params.update(entry.get("vars") or {})
        self.role_reference(name, entry.get("tasks_from") or "main", params, where)

    def role_include(self, task: dict, args: dict, where: str) -> None:
        self.role_reference(args.get("name"), args.get("tasks_from") or "main", task.get("vars") or {}, where)

    def role_reference(self, name, entrypoint: str, params: dict, where: str) -> None:
        if not isinstance(name, str) or templated(name):
            return
        if not name.startswith(f"{COLLECTION}."):
            if "." not in name and f"{COLLECTION}.{name}" in self.roles:
                self.problem(where, f"refer to the role by its FQCN: {COLLECTION}.{name}")
            return
        if name not in self.roles:
            self.problem(where, f"{name} is not a role of the collection (have: {sorted(self.roles)})")
            return
        entries = self.roles[name]
        if entrypoint not in entries:
            self.problem(where, f"{name} has no entry point {entrypoint!r} (have: {sorted(entries)})")
            return
        self.options(f"{name} ({entrypoint})", entries[entrypoint], params, where, [])


FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)


def yaml_blocks(markdown: str) -> list:
    """(line number, text) of every ```yaml / ```yml fenced block of a Markdown text."""
    blocks = []
    for match in FENCE.finditer(markdown):
        info = match.group("info").strip().split()
        if info and info[0].lower() in ("yaml", "yml"):
            indent = match.group("indent")
            body = "\n".join(
                line[len(indent) :] if line.startswith(indent) else line for line in match.group("body").splitlines()
            )
            blocks.append((markdown.count("\n", 0, match.start()) + 1, body))
    return blocks
