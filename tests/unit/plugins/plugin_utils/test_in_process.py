# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The in-process module action (plugins/plugin_utils/in_process.py): when it runs a module in the worker, and
what the task gets back when it does.

The action runs with ansible-core's real Task, PlayContext, local connection, DataLoader and Templar, and a small
module (fixtures/fake_ecr_module.py) that reports what it saw."""

import json
import os
import pathlib
import resource
import subprocess
import sys

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.loader import connection_loader
from ansible.release import __version__ as core_version
from ansible.template import Templar
from ansible_collections.dockyard.ecr.plugins.plugin_utils import in_process

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core before 2.19 templates every string
    trust_as_template = str

CORE_2_19 = tuple(int(part) for part in core_version.split(".")[:2]) >= (2, 19)
# The tests that run a module in-process; on ansible-core 2.17 and 2.18 every task takes the normal path.
in_process_core = pytest.mark.skipif(not CORE_2_19, reason="in-process execution needs ansible-core 2.19 or later")

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
# The collection's own directory (tests/unit/plugins/plugin_utils/ is four levels below it).
COLLECTION_ROOT = pathlib.Path(__file__).resolve().parents[4]
SECRET = "s3cr3t-Value-of-the-test"


def decide(**overrides):
    facts = dict(
        connection="local",
        become=False,
        async_val=0,
        interpreter=sys.executable,
        executable=sys.executable,
        switch=None,
        environment_switch=None,
        core_supported=True,
        extensions=(),
        keep_remote_files=False,
        import_errors={},
    )
    facts.update(overrides)
    return in_process.refusal(**facts)


# -- the decision ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("connection", ["local", "ansible.builtin.local", "ansible.legacy.local"])
def test_in_process_when_equivalent(connection):
    assert decide(connection=connection) is None


@pytest.mark.parametrize(
    "overrides, reason",
    [
        (dict(connection="ssh"), "the connection is ssh, not local"),
        (dict(connection="ansible.builtin.paramiko_ssh"), "the connection is ansible.builtin.paramiko_ssh, not local"),
        (dict(become=True), "become is set"),
        (dict(async_val=30), "async is set"),
        (dict(interpreter=None), "ansible_python_interpreter is not set (interpreter discovery)"),
        (dict(interpreter="auto"), "the task's Python (auto) is not the controller's"),
        (dict(interpreter="/usr/bin/python3"), "the task's Python (/usr/bin/python3) is not the controller's"),
        (dict(switch=False), "dockyard_ecr_in_process is false"),
        (dict(switch="no"), "dockyard_ecr_in_process is false"),
        (dict(environment_switch="false"), "DOCKYARD_ECR_IN_PROCESS is false"),
        (dict(environment_switch="0"), "DOCKYARD_ECR_IN_PROCESS is false"),
        (dict(core_supported=False), "this ansible-core cannot run modules in-process"),
        (dict(extensions=("_coverage",)), "AnsiballZ extensions are configured (_coverage)"),
        (dict(keep_remote_files=True), "ANSIBLE_KEEP_REMOTE_FILES is set"),
        (dict(import_errors={"boto3": "ModuleNotFoundError: No module named 'boto3'"}), "importing failed: boto3"),
    ],
)
def test_new_process_otherwise(overrides, reason):
    assert decide(**overrides).startswith(reason)


def test_the_variable_wins_over_the_environment():
    assert decide(switch=True, environment_switch="false") is None
    assert decide(switch="false", environment_switch="true") == "dockyard_ecr_in_process is false"
    assert decide(environment_switch="true") is None
    assert decide(environment_switch="") is None


def test_the_same_python_by_another_spelling():
    spelled = os.path.join(os.path.dirname(sys.executable), ".", os.path.basename(sys.executable))
    assert decide(interpreter=spelled) is None


def test_this_core():
    # ansible-core 2.17 and 2.18 have no AnsiballZ loader with run_module: every task takes the normal path
    assert (in_process._core_loader() is not None) == CORE_2_19


@in_process_core
def test_old_core_falls_back(monkeypatch):
    from ansible.module_utils._internal._ansiballz import _loader

    assert in_process._core_loader() is _loader
    monkeypatch.delattr(_loader, "run_module")
    assert in_process._core_loader() is None


@in_process_core
def test_core_without_the_profile_falls_back(monkeypatch):
    from ansible.module_utils import basic

    monkeypatch.delattr(basic, "_ANSIBLE_PROFILE")
    assert in_process._core_loader() is None


def test_the_module_and_preload_are_imported_by_the_action_class():
    action = in_process.module_action("ansible_collections.dockyard.ecr.plugins.action.ecr_repo_info")
    assert action._module_fqn == "ansible_collections.dockyard.ecr.plugins.modules.ecr_repo_info"
    assert action._module_fqn in sys.modules
    # each import succeeded, or its failure is recorded (the modules then run the normal way)
    assert set(in_process.PRELOAD) <= set(sys.modules) | set(in_process._PRELOAD_ERRORS)
    if CORE_2_19:
        assert in_process._PRELOAD_ERRORS == {}


@in_process_core
def test_a_module_that_cannot_be_imported_runs_the_normal_way():
    action = in_process.module_action("ansible_collections.dockyard.ecr.plugins.action.no_such_module")
    reason = make_action(action, {}).refusal()
    assert reason.startswith("importing failed: ansible_collections.dockyard.ecr.plugins.modules.no_such_module")


# -- the run -----------------------------------------------------------------------------------------------------


class Run:
    """The action of the fixture module on a real local connection; run() returns what the task gets."""

    def __init__(self, action_class, args, connection="local", **task_fields):
        self.task = Task()
        self.task.action = "dockyard.ecr.fake_ecr_module"
        self.task.args = dict(args)
        for name, value in task_fields.items():
            setattr(self.task, name, value)
        self.play_context = PlayContext()
        self.play_context.become = task_fields.get("become", False)
        self.connection = connection_loader.get(connection, self.play_context, "/dev/null")
        # as an inventory sets it (inventory variables are trusted templates)
        self.task_vars = dict(ansible_python_interpreter=trust_as_template("{{ ansible_playbook_python }}"))
        self.task_vars["ansible_playbook_python"] = sys.executable
        self.action_class = action_class

    def action(self):
        loader = DataLoader()
        templar = Templar(loader=loader, variables=self.task_vars)
        return self.action_class(self.task, self.connection, self.play_context, loader, templar, None)

    def refusal(self):
        return self.action()._refusal(self.task_vars)

    def run(self):
        return self.action().run(task_vars=self.task_vars)


def make_action(action_class, args, **task_fields):
    return Run(action_class, args, **task_fields)


@pytest.fixture
def fake(monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(FIXTURES)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv(in_process.SWITCH_ENVIRONMENT, raising=False)
    action_class = type("ActionModule", (in_process.ModuleAction,), {"_module_fqn": "fake_ecr_module"})

    def run(args=None, **task_fields):
        return Run(action_class, args or {}, **task_fields)

    return run


@in_process_core
def test_the_fixture_runs_in_process(fake):
    run = fake()
    assert run.refusal() is None
    result = run.run()
    assert result["changed"] is True
    # the worker's own process: no new Python process was started for the module
    assert result["seen"]["pid"] == os.getpid()


@in_process_core
@pytest.mark.parametrize("check_mode, diff", [(False, False), (True, False), (False, True), (True, True)])
def test_check_mode_and_diff_reach_the_module(fake, check_mode, diff):
    seen = fake(check_mode=check_mode, diff=diff).run()["seen"]
    assert (seen["check_mode"], seen["diff"]) == (check_mode, diff)


@in_process_core
def test_no_log_values_are_not_in_the_result(fake):
    result = fake(dict(secret=SECRET)).run()
    assert SECRET not in json.dumps(result)
    assert result["seen"]["message"] == "the secret is ********"
    # ansible-core 2.21 returns the invocation only with INJECT_INVOCATION
    if "invocation" in result:
        assert result["invocation"]["module_args"]["secret"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


@in_process_core
def test_no_log_task_reaches_the_module(fake):
    result = fake(dict(secret=SECRET), no_log=True).run()
    assert result["seen"]["no_log"] is True
    assert SECRET not in json.dumps(result)


@in_process_core
def test_a_failing_module(fake):
    result = fake(dict(behaviour="fail", secret=SECRET)).run()
    assert result["failed"] is True
    assert result["msg"] == "the module failed"
    assert result["exception"].event.msg == "the module failed"
    assert SECRET not in json.dumps(result, default=repr)


@in_process_core
def test_a_module_that_raises(fake):
    result = fake(dict(behaviour="raise")).run()
    assert result["failed"] is True
    # the shape _loader._handle_exception gives, as from a module process
    assert result["exception"].event.msg == "the module raised"


@in_process_core
def test_a_module_that_does_not_exit(fake):
    result = fake(dict(behaviour="no_exit")).run()
    assert result["failed"] is True
    assert "did not handle its own exit" in json.dumps(result, default=str)


@in_process_core
def test_warnings_and_deprecations_are_carried_once(fake):
    run = fake(dict(behaviour="warn"))
    result = run.run()
    # as from a module process: in the result (the task executor shows them), not on the controller's display
    assert [w.event.msg for w in result["warnings"]] == ["a warning from the module"]
    assert [(d.event.msg, d.version, d.deprecator.resolved_name) for d in result["deprecations"]] == [
        ("a deprecation from the module", "99.0.0", "dockyard.ecr")
    ]
    # the next loop item in the same worker starts with none
    assert "warnings" not in fake().run()


@in_process_core
def test_the_task_environment_and_process_state(fake, tmp_path, monkeypatch):
    # the current directory on sys.path, as with `python -c`: not for the module (AnsiballZ strips it)
    monkeypatch.syspath_prepend("")
    before = dict(os.environ)
    cwd = os.getcwd()
    path = list(sys.path)
    result = fake(
        dict(set_environment="from-the-module", chdir=str(tmp_path)),
        environment=[{"FAKE_ECR_TASK_ENVIRONMENT": "from-the-task"}],
    ).run()
    assert result["seen"]["environment"] == "from-the-task"
    assert dict(os.environ) == before
    assert os.getcwd() == cwd
    assert sys.path == path
    assert "" not in result["seen"]["path"]
    # the next run in the same worker does not see what the last one set
    assert fake().run()["seen"]["set_before"] is None


@in_process_core
def test_a_private_tmpdir_removed_after(fake, tmp_path):
    seen = fake().run()["seen"]
    assert seen["tmpdir_exists"] is True
    assert seen["tmpdir"].startswith(str(tmp_path / ".ansible" / "tmp" / "ansible-tmp-"))
    assert not os.path.exists(seen["tmpdir"])


@in_process_core
def test_the_opt_out_variable_takes_the_normal_path(fake):
    run = fake()
    run.task_vars[in_process.SWITCH_VARIABLE] = trust_as_template("{{ false }}")
    assert run.refusal() == "dockyard_ecr_in_process is false"


@in_process_core
def test_a_delegated_task_uses_the_delegated_host_interpreter(fake):
    run = fake(delegate_to="elsewhere")
    run.task_vars["ansible_delegated_vars"] = {"elsewhere": {"ansible_python_interpreter": "/usr/bin/python3"}}
    assert run.refusal().startswith("the task's Python (/usr/bin/python3)")
    run.task_vars["ansible_delegated_vars"] = {"elsewhere": {"ansible_python_interpreter": sys.executable}}
    assert run.refusal() is None


@in_process_core
def test_the_open_files_limit_as_ansiballz_sets_it(fake):
    before = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(before[1], 512)
    run = fake()
    # ansible-test sets it (ANSIBLE_PYTHON_MODULE_RLIMIT_NOFILE); the AnsiballZ wrapper lowers the soft limit to it
    run.task_vars["ansible_python_module_rlimit_nofile"] = wanted
    assert run.refusal() is None
    assert run.run()["seen"]["nofile"] == [wanted, before[1]]
    assert resource.getrlimit(resource.RLIMIT_NOFILE) == before


@in_process_core
@pytest.mark.parametrize(
    "task_fields, reason",
    [
        (dict(connection="ssh"), "the connection is ssh, not local"),
        (dict(become=True), "become is set"),
        (dict(async_val=30), "async is set"),
    ],
)
def test_the_action_reads_the_task(fake, task_fields, reason):
    assert fake(**task_fields).refusal() == reason


@in_process_core
def test_without_boto3_the_module_runs_the_normal_way(fake, monkeypatch):
    # the parent could not import boto3: the module's own process says what is missing, as always
    monkeypatch.setitem(in_process._PRELOAD_ERRORS, "boto3", "ModuleNotFoundError: No module named 'boto3'")
    assert fake().refusal() == "importing failed: boto3 (ModuleNotFoundError: No module named 'boto3')"


@in_process_core
def test_the_environment_switch(fake, monkeypatch):
    monkeypatch.setenv(in_process.SWITCH_ENVIRONMENT, "false")
    assert fake().refusal() == "DOCKYARD_ECR_IN_PROCESS is false"


WARM_CHECK = """
import sys
from ansible.plugins.loader import filter_loader, init_plugin_loader, test_loader

init_plugin_loader(sys.argv[1:])
from ansible_collections.dockyard.ecr.plugins.plugin_utils import in_process

assert "ansible_collections.dockyard.ecr.plugins.filter.estate_summary" in sys.modules, "collection filters"
# ansible.plugins.filter.core_HASH (2.19), ansible.plugins.filter.HASH_core (2.17)
assert any(name.startswith("ansible.plugins.filter.") and "core" in name for name in sys.modules), "builtin filters"
loaded = set(sys.modules)
def again(*args, **kwargs):
    raise AssertionError("loaded again: %r" % (args,))
filter_loader._load_module_source = again
test_loader._load_module_source = again
for name in ("dockyard.ecr.estate_summary", "dockyard.ecr.replication_policy", "ansible.builtin.to_json", "bool"):
    assert filter_loader.get(name) is not None, name
assert test_loader.get("ansible.builtin.truthy") is not None
assert "ansible_collections.dockyard.ecr.plugins.lookup.session_token" in sys.modules, "lookup"
assert set(sys.modules) == loaded
in_process.warm_template_plugins((("filter", "dockyard.ecr.no_such_filter"), ("nothing", "x")))
print("warm")
"""


def test_the_template_plugins_are_loaded_in_the_controller(tmp_path):
    """Importing in_process (the controller's main process, through ansible-core's collection loader) leaves the
    builtin filters and tests and every filter file of the collection loaded, so that the forked workers find them
    instead of importing them again for each task and host; an unknown name is no error (best effort)."""
    root = tmp_path / "collections"
    (root / "ansible_collections" / "dockyard").mkdir(parents=True)
    (root / "ansible_collections" / "dockyard" / "ecr").symlink_to(COLLECTION_ROOT)
    # amazon.aws where this test process finds it (site-packages, or a collections directory as in the matrix).
    from ansible_collections.amazon.aws.plugins.module_utils import retries

    amazon_root = pathlib.Path(retries.__file__).resolve().parents[5]
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "ANSIBLE_COLLECTIONS_PATH")}
    done = subprocess.run(
        [sys.executable, "-c", WARM_CHECK, str(root), str(amazon_root)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "warm"
