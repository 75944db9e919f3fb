# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Optional libraries imported on first use, not when a module_util is imported.

The filter plugins of ``configure.yml`` import the estate model in every Ansible worker (one process per
task and host), and a module imports every model its module_utils name; jsonschema (about 0.08 s of CPU)
and botocore's loaders (0.06 s) are only needed by the few functions that validate a document or read
botocore's endpoint data. ``available`` says whether a library is installed without importing it, so
modules can still fail early with ``missing_required_lib``.
"""

import importlib
import importlib.util
import os


def available(name):
    """True when the library ``name`` can be imported (it is not imported here)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def load(name):
    """The library ``name``, imported now (a no-op after the first time); ImportError when it is missing."""
    return importlib.import_module(name)


def package_file(name, *parts):
    """The path of a data file shipped inside the installed package ``name`` (not imported), or None."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = os.path.join(location, *parts)
        if os.path.isfile(path):
            return path
    return None
