# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import pytest
from ansible.module_utils.basic import env_fallback
from ansible_collections.amazon.aws.plugins.module_utils.modules import aws_argument_spec
from ansible_collections.dockyard.ecr.plugins.module_utils._common.credentials import (
    honour_security_token,
    session_token_variable,
)


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({}, None),
        ({"AWS_SESSION_TOKEN": "s"}, "AWS_SESSION_TOKEN"),
        ({"AWS_SECURITY_TOKEN": "x"}, "AWS_SECURITY_TOKEN"),
        ({"AWS_SESSION_TOKEN": "s", "AWS_SECURITY_TOKEN": "x"}, "AWS_SESSION_TOKEN"),
        ({"AWS_SESSION_TOKEN": "", "AWS_SECURITY_TOKEN": "x"}, "AWS_SECURITY_TOKEN"),
        ({"AWS_SESSION_TOKEN": "", "AWS_SECURITY_TOKEN": ""}, None),
        ({"EC2_SECURITY_TOKEN": "e"}, None),
    ],
)
def test_session_token_variable(environ, expected):
    assert session_token_variable(environ) == expected


def test_awx_security_token_becomes_the_session_token():
    environ = {"AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SECURITY_TOKEN": "awx-token"}
    assert honour_security_token(environ) is True
    assert environ["AWS_SESSION_TOKEN"] == "awx-token"
    assert environ["AWS_SECURITY_TOKEN"] == "awx-token"


def test_empty_session_token_is_replaced():
    environ = {"AWS_SESSION_TOKEN": "", "AWS_SECURITY_TOKEN": "awx-token"}
    assert honour_security_token(environ) is True
    assert environ["AWS_SESSION_TOKEN"] == "awx-token"


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"AWS_SESSION_TOKEN": "session"},
        {"AWS_SESSION_TOKEN": "session", "AWS_SECURITY_TOKEN": "other"},
        {"AWS_SECURITY_TOKEN": ""},
    ],
)
def test_nothing_changes_otherwise(environ):
    before = dict(environ)
    assert honour_security_token(environ) is False
    assert environ == before


def test_defaults_to_the_process_environment(monkeypatch):
    # set (empty) first, so that monkeypatch restores the real value after the test
    monkeypatch.setenv("AWS_SESSION_TOKEN", "")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "from-awx")
    assert honour_security_token() is True
    # what AnsibleAWSModule's session_token option then falls back to
    (names,) = aws_argument_spec()["session_token"]["fallback"][1:]
    assert "AWS_SESSION_TOKEN" in names
    assert env_fallback(*names) == "from-awx"


def _module_files():
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[5] / "plugins" / "modules"
    return sorted(root.glob("*.py"))


@pytest.mark.parametrize("path", _module_files(), ids=lambda path: path.name)
def test_every_module_honours_the_awx_token_before_it_reads_its_options(path):
    import ast

    tree = ast.parse(path.read_text())
    main = next((node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "main"), None)
    if main is None:
        # Documentation only: an action that runs on the controller (plugins/action) and calls no AWS API.
        assert (path.parents[1] / "action" / path.name).is_file(), f"{path.name}: no main() and no action plugin"
        assert "ACTIONGROUP" not in path.read_text() and "actiongroup" not in path.read_text()
        return
    first = main.body[0]
    assert isinstance(first, ast.Expr) and isinstance(first.value, ast.Call), f"{path.name}: main() starts otherwise"
    assert getattr(first.value.func, "id", None) == "honour_security_token", f"{path.name}: main() must call it first"
