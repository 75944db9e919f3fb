# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

import os
import subprocess
import sys

import pytest
from ansible_collections.dockyard.ecr.plugins.module_utils._common import lazy_imports, partitions

COLLECTIONS = os.path.abspath(os.path.join(os.path.dirname(partitions.__file__), *[".."] * 6))


def test_available_does_not_import():
    assert lazy_imports.available("json")
    assert not lazy_imports.available("no_such_library_dockyard")
    with pytest.raises(ImportError):
        lazy_imports.load("no_such_library_dockyard")


def test_package_file():
    path = lazy_imports.package_file("botocore", "data", "endpoints.json")
    assert path and path.endswith(os.path.join("botocore", "data", "endpoints.json")) and os.path.isfile(path)
    assert lazy_imports.package_file("botocore", "data", "no-such-file.json") is None
    assert lazy_imports.package_file("no_such_library_dockyard", "x") is None


def test_endpoint_data_is_botocores():
    botocore_loaders = pytest.importorskip("botocore.loaders")
    assert partitions._endpoint_data() == botocore_loaders.create_loader().load_data("endpoints")


@pytest.mark.parametrize(
    "module",
    [
        "ansible_collections.dockyard.ecr.plugins.module_utils._models.estate",
        "ansible_collections.dockyard.ecr.plugins.module_utils._models.policy_document",
        "ansible_collections.dockyard.ecr.plugins.module_utils._models.lifecycle_validation",
    ],
)
def test_the_models_import_neither_jsonschema_nor_botocore(module):
    """What the filter plugins import in every Ansible worker stays light: jsonschema and botocore's submodules
    (loaders, client...) come on first use; botocore's own small package (errors.py's exception types) is fine."""
    code = (
        "import sys, json; import " + module + "; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('jsonschema', 'botocore', 'boto3') and m != 'botocore')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=dict(os.environ, PYTHONPATH=COLLECTIONS),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "[]"
