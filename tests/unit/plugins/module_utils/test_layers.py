# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The module_utils layers (docs/architecture.md): who may import whom, and one view of a lifecycle policy."""

import ast
import json
import os

import pytest

MODULE_UTILS = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "plugins", "module_utils"
)
PACKAGE = "ansible_collections.dockyard.ecr.plugins.module_utils."
# What each layer may import of the collection's own module_utils (common <- models <- api <- converge).
ALLOWED = {
    "_common": {"_common"},
    "_models": {"_common", "_models"},
    "_api": {"_common", "_models", "_api"},
    "_converge": {"_common", "_models", "_api", "_converge"},
}
# The pure models may use only these of the common layer (no clients, no AWS calls).
MODELS_COMMON = {"errors", "lazy_imports", "options", "partitions", "registry", "validators"}


def _imports(path):
    """(module names imported, top-level names of ``from X import name``) of a Python file."""
    tree = ast.parse(open(path, encoding="utf-8").read())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _files(layer):
    directory = os.path.join(MODULE_UTILS, layer)
    return sorted(os.path.join(directory, f) for f in os.listdir(directory) if f.endswith(".py"))


def test_no_flat_files_left():
    flat = sorted(f for f in os.listdir(MODULE_UTILS) if f.endswith(".py") and f != "__init__.py")
    assert flat == []


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layers_import_only_what_they_may(layer):
    wrong = []
    for path in _files(layer):
        for name in _imports(path):
            if not name.startswith(PACKAGE):
                continue
            target = name[len(PACKAGE) :].split(".")[0]
            if target not in ALLOWED[layer]:
                wrong.append(f"{os.path.basename(path)} imports {name}")
    assert wrong == []


def test_models_are_pure():
    wrong = []
    for path in _files("_models"):
        for name in _imports(path):
            root = name.split(".")[0]
            if root in ("boto3", "botocore"):
                wrong.append(f"{os.path.basename(path)} imports {name}")
            if name.startswith(PACKAGE + "_common."):
                module = name[len(PACKAGE + "_common.") :].split(".")[0]
                if module not in MODELS_COMMON:
                    wrong.append(f"{os.path.basename(path)} imports _common.{module}")
    assert wrong == []


# ---------------------------------------------------------------------------------------------
# One view of a stored lifecycle policy: normalised, rules sorted by priority, in every module
# ---------------------------------------------------------------------------------------------

STORED = {
    "rules": [
        {
            "rulePriority": 2,
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10},
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 1,
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 7,
            },
            "action": {"type": "expire"},
        },
    ]
}


def test_repo_info_and_bulk_show_the_same_rule_order(monkeypatch):
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry, RetryingBotoClientWrapper
    from ansible_collections.dockyard.ecr.plugins.module_utils._api import lifecycle_policy
    from ansible_collections.dockyard.ecr.plugins.module_utils._converge import bulk, repository_info
    from ansible_collections.dockyard.ecr.plugins.module_utils._models import bulk_request

    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with moto.mock_aws():
        raw = boto3.client("ecr", region_name="us-east-1")
        client = RetryingBotoClientWrapper(raw, AWSRetry.jittered_backoff())
        raw.create_repository(repositoryName="team/app")
        raw.put_lifecycle_policy(repositoryName="team/app", lifecyclePolicyText=json.dumps(STORED))

        info = repository_info.list_repositories(client, names=["team/app"], include_lifecycle_policy=True)
        shown_by_info = info[0]["lifecycle_policy"]
        requests = bulk_request.validate_params(
            {"repositories": [{"name": "team/app", "lifecycle": {"policy": STORED}}]}
        )
        result = bulk.Converger(client, check_mode=True).run(requests)[0]

        assert [r["rulePriority"] for r in shown_by_info["rules"]] == [1, 2]
        assert shown_by_info == result["lifecycle_policy"] == lifecycle_policy.get_lifecycle_policy(client, "team/app")
        assert result["changed"] is False
