# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Run dockyard.ecr's modules inside the Ansible worker process when that is equivalent.

Every dockyard.ecr module has an action plugin of the same name (``plugins/action/<module>.py``, one line:
``ActionModule = module_action(__name__)``), so Ansible uses it for the module's tasks. The action runs the module
the way AnsiballZ runs it in a new Python process (``ansible.module_utils._internal._ansiballz._loader``: the
arguments in ``basic._ANSIBLE_ARGS``, the module executed with ``runpy`` as ``__main__``, its printed JSON read
back), but in the worker process Ansible forked for the task, where the module's imports (ansible.module_utils,
amazon.aws, boto3 and botocore, our module_utils) are already loaded: the strategy loads the action plugin class in
the parent ``ansible-playbook`` process, which imports this file and :data:`PRELOAD` once, and every worker it forks
inherits them. A module process of a no-op ``ecr_repositories`` run spends about two thirds of its CPU importing.

It runs in-process only when that is equivalent to the normal execution (:func:`refusal` says why not otherwise):

- the connection is ``local`` (after ``delegate_to``), without ``become`` and without ``async``;
- the task's Python interpreter (``ansible_python_interpreter`` of the host the task executes on, templated) is
  the controller's own Python (``sys.executable``, which is ``ansible_playbook_python``); not with interpreter
  discovery (``auto``), which may pick another Python;
- ansible-core offers what it needs (2.19 and later: ``_loader.run_module`` and ``basic._ANSIBLE_PROFILE``; on
  2.17 and 2.18 every task takes the normal path), no AnsiballZ extension (debugger, coverage) is configured, and
  ``ANSIBLE_KEEP_REMOTE_FILES`` is not set;
- the module and :data:`PRELOAD` imported without error (a missing boto3 takes the normal path, where the module
  reports it as it always does);
- it is not switched off: the variable ``dockyard_ecr_in_process: false`` (any level: host, group, play, task) or
  the environment variable ``DOCKYARD_ECR_IN_PROCESS=false`` of ``ansible-playbook``; the variable wins when set.

Otherwise the task takes ``ActionBase._execute_module``, as without this plugin. Everything else about the task is
the same either way: the module arguments after core merged ``module_defaults`` into them and
``_update_module_args`` added check mode, diff, no_log, verbosity and the other ``_ansible_*`` keys; the arguments
serialized with the module's serialization profile; the task's ``environment:`` in ``os.environ`` for the run; a
private temporary directory as ``_ansible_tmpdir``, removed afterwards (``atexit`` does not run in forked workers);
the soft limit of open files set from ``PYTHON_MODULE_RLIMIT_NOFILE`` for the run, as the AnsiballZ wrapper sets it;
the module's stdout read with ``_parse_returned_data`` and cleaned as ``_execute_module`` cleans it; an exception
turned into the failed result AnsiballZ makes of it (``_loader.run_module`` does it in both cases).

Process state: Ansible forks a worker per task and host, so nothing a module run leaves behind (module globals,
``os.environ``, the working directory) reaches another task. The items of a loop run one after the other in the same
worker, so the state a module run can change is saved and restored around each run: ``os.environ`` (modules set
``AWS_SESSION_TOKEN`` from ``AWS_SECURITY_TOKEN``; AnsibleModule may set the locale), the working directory,
``sys.path`` (without the current and the script's directory for the run, as in AnsiballZ),
``sys.stdout``/``sys.stderr``, the module-side warning and deprecation lists, ``basic._ANSIBLE_ARGS``. The module
source runs afresh as ``__main__`` each time, as in its own process.

One difference remains by design: warnings and deprecations that module_utils give while they are imported (for
example ansible-core 2.21's deprecation of ``ansible.module_utils._text`` imports, which amazon.aws 10 makes) are
given once, when ``ansible-playbook`` loads the action plugin and imports them, on the controller's display,
instead of in the result of every task.
"""

import contextlib
import importlib
import inspect
import io
import os
import resource
import shutil
import sys
import tempfile

from ansible import constants as C
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.plugins.action.normal import ActionModule as NormalAction
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

display = Display()

# What the modules import, imported once by the parent ansible-playbook process (which loads the action plugin
# class of each task before forking its workers) so that every worker inherits it. Each action plugin adds its own
# module (module_action), and with it that module's module_utils. The one place for the collection's preload list:
# estate.py is what the estate filter plugins import in every worker that templates them (configure.yml).
PRELOAD = (
    "ansible.module_utils.basic",
    "ansible.module_utils._internal._ansiballz._loader",
    "boto3",
    "botocore.client",
    "botocore.session",
    "ansible_collections.amazon.aws.plugins.module_utils.modules",
    "ansible_collections.amazon.aws.plugins.module_utils.botocore",
    "ansible_collections.amazon.aws.plugins.module_utils.retries",
    "ansible_collections.dockyard.ecr.plugins.module_utils._models.estate",
)

# The variable and the environment variable that switch in-process execution off.
SWITCH_VARIABLE = "dockyard_ecr_in_process"
SWITCH_ENVIRONMENT = "DOCKYARD_ECR_IN_PROCESS"

# Shown at -vvv when a module runs in-process (tests look for it).
IN_PROCESS_MESSAGE = "dockyard.ecr: running module %s in-process (in the worker, with the controller's Python)"

_PRELOAD_ERRORS = {}
_LOCAL_CONNECTIONS = frozenset(("local", "ansible.builtin.local", "ansible.legacy.local"))


def _import(name):
    """Import a module for the workers to inherit; remember why it failed (the module then runs the normal way)."""
    try:
        importlib.import_module(name)
    except Exception as e:  # pylint: disable=broad-except  # any failure means: take the normal path, which reports it
        _PRELOAD_ERRORS[name] = "%s: %s" % (type(e).__name__, e)


# Imported too when present, but optional: their absence never sends a task to the normal path. jsonschema is what
# the lifecycle validation imports lazily in every worker that checks a lifecycle policy (about 0.1 s of CPU each).
OPTIONAL_PRELOAD = ("jsonschema",)


def preload(names=PRELOAD):
    for name in names:
        if name not in sys.modules:
            _import(name)


def preload_optional(names=OPTIONAL_PRELOAD):
    """What helps but is never needed, for the workers to inherit: the optional imports, the Jinja plugins
    (warm_template_plugins), our partition table (_common/partitions.py) and, when the modules' imports succeeded,
    botocore's data files (endpoints, partitions, the ECR, STS and IAM models) parsed into the loader that every
    botocore session of the process shares (module_utils/_common/clients.py). Once per process, when this file is
    imported (not again for each module's action plugin, module_action)."""
    for name in names:
        if name not in sys.modules:
            try:
                importlib.import_module(name)
            except Exception:  # pylint: disable=broad-except  # optional: the module imports it (or not) itself
                pass
    warm_template_plugins()
    try:
        from ansible_collections.dockyard.ecr.plugins.module_utils._common import partitions

        partitions.warm()
    except Exception:  # pylint: disable=broad-except  # best effort: a worker loads them when it needs them
        pass
    if _PRELOAD_ERRORS:
        return
    try:
        from ansible_collections.dockyard.ecr.plugins.module_utils._common.clients import warm_botocore_data
    except Exception:  # pylint: disable=broad-except  # best effort, as warm_botocore_data itself
        return
    warm_botocore_data()


# A filter of each kind the collection's roles and playbooks template: asking for one makes ansible-core load every
# file of its kind (the builtin ones, then each file of the collection's plugins/filter), and keep them; and the
# lookup that configure.yml's and publish.yml's module_defaults call for every module task.
WARM_TEMPLATE_PLUGINS = (
    ("filter", "dockyard.ecr.estate_repositories"),
    ("filter", "ansible.builtin.bool"),
    ("test", "ansible.builtin.truthy"),
    ("lookup", "dockyard.ecr.session_token"),
)


def warm_template_plugins(names=WARM_TEMPLATE_PLUGINS):
    """Load the Jinja filter, test and lookup plugins in the controller's main process. ansible-core loads them on
    first use in each process, and the workers (one per task and host, forked from the main process) template the
    task arguments: each worker that templates a filter otherwise imports the builtin filter files and every filter
    file of the collection again (about 0.04 s of CPU per task and host)."""
    try:
        from ansible.plugins import loader
    except Exception:  # pylint: disable=broad-except  # best effort: a worker loads what it needs anyway
        return
    for kind, name in names:
        try:
            getattr(loader, f"{kind}_loader").get(name)
        except Exception:  # pylint: disable=broad-except
            pass


preload()
preload_optional()


def _core_loader():
    """ansible-core's AnsiballZ loader when it offers what in-process execution needs (2.19+), else None."""
    try:
        from ansible.module_utils import basic
        from ansible.module_utils._internal._ansiballz import _loader
    except ImportError:
        return None
    if not hasattr(basic, "_ANSIBLE_PROFILE") or not hasattr(_loader, "run_module"):
        return None
    parameters = inspect.signature(_loader.run_module).parameters
    if not {"json_params", "profile", "module_fqn", "modlib_path", "extensions"} <= set(parameters):
        return None
    return _loader


def refusal(
    *,
    connection,
    become,
    async_val,
    interpreter,
    executable,
    switch,
    environment_switch,
    core_supported,
    extensions,
    keep_remote_files,
    import_errors,
):
    """Why the module must run in a new process (the normal way), or None when in-process is equivalent."""
    if switch is not None:
        if not boolean(switch, strict=False):
            return "%s is false" % SWITCH_VARIABLE
    elif environment_switch not in (None, "") and not boolean(environment_switch, strict=False):
        return "%s is false" % SWITCH_ENVIRONMENT
    if connection not in _LOCAL_CONNECTIONS:
        return "the connection is %s, not local" % connection
    if become:
        return "become is set"
    if async_val:
        return "async is set"
    if not isinstance(interpreter, str) or not interpreter:
        return "ansible_python_interpreter is not set (interpreter discovery)"
    if os.path.abspath(interpreter) != os.path.abspath(executable):
        return "the task's Python (%s) is not the controller's (%s)" % (interpreter, executable)
    if not core_supported:
        return "this ansible-core cannot run modules in-process (2.19 or later can)"
    if extensions:
        return "AnsiballZ extensions are configured (%s)" % ", ".join(extensions)
    if keep_remote_files:
        return "ANSIBLE_KEEP_REMOTE_FILES is set"
    if import_errors:
        return "importing failed: %s" % "; ".join("%s (%s)" % item for item in sorted(import_errors.items()))
    return None


def _set_nofile(rlimit_nofile):
    """The soft limit of open files as AnsiballZ's wrapper sets it; the limits before, or None when unchanged."""
    if not rlimit_nofile:
        return None
    existing_soft, existing_hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    requested_soft = min(existing_hard, rlimit_nofile)
    if requested_soft == existing_soft:
        return None
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (requested_soft, existing_hard))
    except ValueError:
        return None
    return existing_soft, existing_hard


@contextlib.contextmanager
def _process_state(environment, rlimit_nofile):
    """The task's environment in os.environ for the run; what a module run can change, restored after it.

    ansible.module_utils behaves as in a module process: module_utils' ``_internal.is_controller`` false (else a
    module's warnings and deprecations would go to the controller's display instead of the module's result) and
    tracebacks enabled as the module arguments say (``_ansible_tracebacks_for``, which the controller computed
    from the same configuration). The soft limit of open files as the AnsiballZ wrapper sets it (_wrapper.py).
    """
    # Imported here: ansible-core 2.17 and 2.18 never get this far (_core_loader()).
    from ansible.module_utils import _internal, basic
    from ansible.module_utils._internal import _traceback
    from ansible.module_utils.common import warnings as module_warnings

    saved_environ = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_path = list(sys.path)
    # As the AnsiballZ wrapper strips the current directory and its own directory from sys.path.
    script_dir = os.path.dirname(os.path.realpath(sys.argv[0])) if sys.argv and sys.argv[0] else None
    sys.path[:] = [entry for entry in sys.path if entry not in ("", ".", script_dir)]
    saved_warnings = dict(module_warnings._global_warnings)
    saved_deprecations = dict(module_warnings._global_deprecations)
    saved_args = basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, basic._PARSED_MODULE_ARGS
    saved_controller = _internal.is_controller
    saved_traceback = _traceback._is_traceback_enabled, _traceback._module_tracebacks_enabled_events
    module_warnings._global_warnings.clear()
    module_warnings._global_deprecations.clear()
    _internal.is_controller = False
    _traceback._is_traceback_enabled = _traceback._is_module_traceback_enabled
    _traceback._module_tracebacks_enabled_events = None
    stdout, stderr = io.StringIO(), io.StringIO()
    saved_nofile = _set_nofile(rlimit_nofile)
    try:
        os.environ.update((str(k), str(v)) for k, v in environment.items())
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            yield stdout, stderr
    finally:
        if saved_nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, saved_nofile)
        _internal.is_controller = saved_controller
        _traceback._is_traceback_enabled, _traceback._module_tracebacks_enabled_events = saved_traceback
        os.environ.clear()
        os.environ.update(saved_environ)
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        module_warnings._global_warnings.clear()
        module_warnings._global_warnings.update(saved_warnings)
        module_warnings._global_deprecations.clear()
        module_warnings._global_deprecations.update(saved_deprecations)
        basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, basic._PARSED_MODULE_ARGS = saved_args


class ModuleAction(NormalAction):
    """The action plugin of a dockyard.ecr module: the module in-process when equivalent, else ansible-core's
    ``normal`` action (what runs a module that has no action plugin), unchanged."""

    # ansible_collections.dockyard.ecr.plugins.modules.<name>, set by module_action().
    _module_fqn = None

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        reason = self._refusal(task_vars)
        if reason is not None:
            display.vvvv("dockyard.ecr: running module %s in a new process: %s" % (self._task.action, reason))
            return super().run(tmp, task_vars)
        # What the normal action does (no async here: refusal() says so), with the module run in-process.
        result = ActionBase.run(self, tmp, task_vars)
        return merge_hash(result, self._execute_module_in_process(task_vars))

    # -- the decision -------------------------------------------------------------------------------------------

    def _refusal(self, task_vars):
        if self._task.delegate_to:
            host_vars = (task_vars.get("ansible_delegated_vars") or {}).get(self._task.delegate_to) or {}
        else:
            host_vars = task_vars
        interpreter = host_vars.get("ansible_python_interpreter")
        if interpreter is not None:
            interpreter = self._templar.template(interpreter)
        switch = task_vars.get(SWITCH_VARIABLE)
        if switch is not None:
            switch = self._templar.template(switch)
        loader = _core_loader()
        return refusal(
            connection=self._connection_name(),
            become=bool(self._play_context.become or getattr(self._connection, "become", None)),
            async_val=self._task.async_val,
            interpreter=interpreter,
            executable=sys.executable,
            switch=switch,
            environment_switch=os.environ.get(SWITCH_ENVIRONMENT),
            core_supported=loader is not None,
            extensions=self._extensions(task_vars) if loader is not None else (),
            keep_remote_files=C.DEFAULT_KEEP_REMOTE_FILES,
            import_errors={
                name: _PRELOAD_ERRORS[name] for name in PRELOAD + (self._module_fqn,) if name in _PRELOAD_ERRORS
            },
        )

    def _connection_name(self):
        return getattr(self._connection, "_load_name", None) or getattr(self._connection, "transport", None)

    @staticmethod
    def _extensions(task_vars):
        from ansible._internal._ansiballz import _builder

        return _builder.ExtensionManager.create(task_vars=task_vars).extension_names

    # -- the run ------------------------------------------------------------------------------------------------

    def _module_profile(self):
        # Module METADATA (serialization profiles) is experimental in ansible-core and off unless configured; our
        # modules declare none, so the profile is 'legacy' as module_common._get_module_metadata would say.
        return "legacy"

    def _rlimit_nofile(self, task_vars):
        # As module_common._find_module_utils reads it for the AnsiballZ wrapper.
        value = C.config.get_config_value("PYTHON_MODULE_RLIMIT_NOFILE", variables=task_vars)
        if not isinstance(value, int):
            value = int(self._templar.template(value) or 0)
        return value

    def _tmp_root(self):
        remote_tmp = self.get_shell_option("remote_tmp", default="~/.ansible/tmp")
        root = os.path.expanduser(os.path.expandvars(remote_tmp))
        os.makedirs(root, mode=0o700, exist_ok=True)
        return root

    def _execute_module_in_process(self, task_vars):
        """ActionBase._execute_module with the module run by _loader.run_module in this worker process."""
        import json

        from ansible.module_utils.common.json import Direction, get_module_encoder

        loader = _core_loader()
        module_name = self._task.action
        module_args = self._task.args
        self._update_module_args(module_name, module_args, task_vars)
        tmpdir = tempfile.mkdtemp(prefix="ansible-tmp-", dir=self._tmp_root())
        module_args["_ansible_tmpdir"] = tmpdir
        profile = self._module_profile()
        encoder = get_module_encoder(profile, Direction.CONTROLLER_TO_MODULE)
        json_params = json.dumps(dict(ANSIBLE_MODULE_ARGS=module_args), cls=encoder).encode()
        environment = {}
        self._compute_environment_string(environment)
        rlimit_nofile = self._rlimit_nofile(task_vars)
        display.vvv(IN_PROCESS_MESSAGE % module_name)
        # The parent imported the module under its own name (for its imports); runpy runs it as __main__ and
        # warns when the name is already imported.
        sys.modules.pop(self._module_fqn, None)
        rc = 0
        keep_tmpdir = False
        try:
            with _process_state(environment, rlimit_nofile) as (stdout, stderr):
                try:
                    loader.run_module(
                        json_params=json_params,
                        profile=profile,
                        module_fqn=self._module_fqn,
                        modlib_path=tmpdir,
                        extensions={},
                    )
                except SystemExit as e:
                    rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            out, err = stdout.getvalue(), stderr.getvalue()
            res = dict(rc=rc, stdout=out, stdout_lines=out.splitlines(), stderr=err, stderr_lines=err.splitlines())
            data, keep_tmpdir = _returned_data(self._parse_returned_data(res, profile))
            return data
        finally:
            if not keep_tmpdir:
                shutil.rmtree(tmpdir, ignore_errors=True)


def _returned_data(parsed):
    """What ActionBase._execute_module does with the parsed module result after _parse_returned_data: the result,
    and whether the module asked to keep its temporary directory."""
    if not isinstance(parsed, dict):
        # ansible-core 2.21 and later: a UnifiedTaskResult (ansible._internal._task)
        keep_tmpdir = bool(getattr(parsed, "suppress_tmpdir_delete", False))
        parsed.remove_internal_keys()
        return parsed.as_result_dict(for_round_trip=True), keep_tmpdir
    # ansible-core 2.19 and 2.20
    from collections.abc import Sequence

    from ansible.vars.clean import remove_internal_keys

    data = parsed
    keep_tmpdir = bool(data.pop("_ansible_suppress_tmpdir_delete", False))
    if "results" in data and (not isinstance(data["results"], Sequence) or isinstance(data["results"], str)):
        data["ansible_module_results"] = data["results"]
        del data["results"]
        display.warning("Found internal 'results' key in module return, renamed to 'ansible_module_results'.")
    remove_internal_keys(data)
    for name in ("stdout", "stderr"):
        if name in data and "%s_lines" % name not in data:
            data["%s_lines" % name] = (data.get(name, None) or "").splitlines()
    return data, keep_tmpdir


def module_action(action_module_name):
    """The ActionModule class for the action plugin module named ``action_module_name`` (its ``__name__``).

    The module of the same name is imported here, in the parent process, so that the workers inherit its imports.
    """
    module_fqn = action_module_name.replace(".plugins.action.", ".plugins.modules.")
    preload((module_fqn,))
    return type("ActionModule", (ModuleAction,), {"_module_fqn": module_fqn, "__module__": action_module_name})
