# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for tests/docs: the reference generator (tools/docs/reference.py) and what it discovers."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_reference_tool():
    spec = importlib.util.spec_from_file_location("dockyard_docs_reference", ROOT / "tools" / "docs" / "reference.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


reference = _load_reference_tool()
MODULES = reference.module_names(ROOT)
ROLES = reference.role_names(ROOT)
# Lookup and inventory plugins: {ansible-doc type: [short names]}.
PLUGINS = {kind: reference.plugin_names(kind, ROOT) for kind, _title in reference.PLUGIN_TYPES}


def _docs(env: dict, plugin_type: str, names: list) -> dict:
    """{short name: ansible-doc JSON}, or {short name: ReferenceError} for one whose documentation is broken."""
    try:
        data = reference.ansible_doc(env, plugin_type, names)
        return {name: data[f"{reference.COLLECTION}.{name}"] for name in names}
    except reference.ReferenceError:
        docs = {}
        for name in names:  # one at a time, so one broken page does not hide the others
            try:
                docs[name] = reference.ansible_doc(env, plugin_type, [name])[f"{reference.COLLECTION}.{name}"]
            except reference.ReferenceError as error:
                docs[name] = error
        return docs


def usable(docs: dict, name: str) -> dict:
    """The documentation of NAME, failing the test that asks if ansible-doc could not read it."""
    if isinstance(docs[name], Exception):
        pytest.fail(str(docs[name]))
    return docs[name]


def only_usable(docs: dict) -> dict:
    return {name: data for name, data in docs.items() if not isinstance(data, Exception)}
