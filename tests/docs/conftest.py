# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared fixtures for the documentation, execution environment and changelog tests.

The collection's modules and roles are discovered at run time (plugins/modules/*.py,
roles/*/meta/argument_specs.yml), and their documentation is read the way users read it:
`ansible-doc --json`, with dockyard.ecr resolving to this checkout.
"""

from __future__ import annotations

import pytest
from docs_support import MODULES, ROLES, ROOT, _docs, reference


@pytest.fixture(scope="session")
def collections_env(tmp_path_factory) -> dict:
    """Environment in which `dockyard.ecr` is this checkout (ANSIBLE_COLLECTIONS_PATH)."""
    return reference.collections_env(ROOT, tmp_path_factory.mktemp("collections"))


@pytest.fixture(scope="session")
def module_docs(collections_env) -> dict:
    """`ansible-doc --json` of every module: {short name: {doc, examples, return, metadata}}."""
    return _docs(collections_env, "module", MODULES)


@pytest.fixture(scope="session")
def role_docs(collections_env) -> dict:
    """`ansible-doc -t role --json` of every role with an argument spec: {short name: {entry_points, ...}}."""
    return _docs(collections_env, "role", ROLES)
