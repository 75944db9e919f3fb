# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The versions the collection claims agree with each other and with what `make matrix` tests.

Claims: meta/runtime.yml (requires_ansible), galaxy.yml and requirements.yml (amazon.aws and the other
collections), requirements-dev.txt and execution-environment.yml (ansible-core). The matrix
(tools/version-matrix.yml) tests the oldest of each claim exactly and the newest inside it.
"""

import re
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def load(name):
    return yaml.safe_load((ROOT / name).read_text())


def pip_spec(text, package):
    match = re.search(rf"^{re.escape(package)}\s*([<>=!~][^\s#]*)", text, re.M)
    assert match, f"{package} has no version range"
    return SpecifierSet(match.group(1))


MATRIX = load("tools/version-matrix.yml")
LEGS = {leg["name"]: leg for leg in MATRIX["legs"]}
REQUIRES_ANSIBLE = SpecifierSet(load("meta/runtime.yml")["requires_ansible"])
GALAXY = {name: SpecifierSet(spec) for name, spec in load("galaxy.yml")["dependencies"].items()}


def floor(spec):
    (low,) = [s for s in spec if s.operator == ">="]
    return Version(low.version)


def test_the_matrix_has_an_oldest_and_a_newest_leg():
    assert set(LEGS) == {"oldest", "newest"}
    assert Version(LEGS["oldest"]["ansible_core"]) < Version(LEGS["newest"]["ansible_core"])
    assert Version(LEGS["oldest"]["amazon_aws"]) < Version(LEGS["newest"]["amazon_aws"])


def test_requires_ansible_starts_at_the_oldest_leg_and_holds_the_newest():
    assert floor(REQUIRES_ANSIBLE) == Version(LEGS["oldest"]["ansible_core"])
    assert LEGS["newest"]["ansible_core"] in REQUIRES_ANSIBLE
    # An upper bound: a release the matrix has not run is not claimed.
    assert any(s.operator == "<" for s in REQUIRES_ANSIBLE)


def test_galaxy_amazon_aws_range_starts_at_the_oldest_leg_and_holds_the_newest():
    spec = GALAXY["amazon.aws"]
    assert floor(spec) == Version(LEGS["oldest"]["amazon_aws"])
    assert LEGS["newest"]["amazon_aws"] in spec
    (cap,) = [Version(s.version) for s in spec if s.operator == "<"]
    assert cap.major == Version(LEGS["newest"]["amazon_aws"]).major + 1, "claim no major release the matrix skips"


def test_requirements_yml_repeats_galaxy_yml():
    listed = {item["name"]: SpecifierSet(item["version"]) for item in load("requirements.yml")["collections"]}
    assert listed == GALAXY


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param(pip_spec((ROOT / "requirements-dev.txt").read_text(), "ansible-core"), id="requirements-dev.txt"),
        pytest.param(
            pip_spec(load("execution-environment.yml")["dependencies"]["ansible_core"]["package_pip"], "ansible-core"),
            id="execution-environment.yml",
        ),
        pytest.param(
            pip_spec((ROOT / "requirements-galaxy-importer.txt").read_text(), "ansible-core"),
            id="requirements-galaxy-importer.txt",
        ),
    ],
)
def test_ansible_core_ranges_equal_requires_ansible(spec):
    """Same releases admitted: the floor and the cap of requires_ansible, written as pip ranges."""
    assert floor(spec) == floor(REQUIRES_ANSIBLE)
    caps = {Version(s.version) for s in spec if s.operator == "<"}
    assert caps == {Version(s.version) for s in REQUIRES_ANSIBLE if s.operator == "<"}


def test_the_execution_environment_python_runs_the_newest_ansible_core():
    """ansible-core 2.20 and later need Python 3.12: an EE on an older Python would never get them."""
    python = load("execution-environment.yml")["dependencies"]["python_interpreter"]["python_path"]
    version = re.search(r"python(\d+\.\d+)$", python).group(1)
    assert Version(version) >= Version("3.12")


def test_collection_requirements_carry_no_cap():
    """requirements.txt (read by ansible-builder from every installed collection) only sets floors:
    a cap or a pin makes EE builds that combine collections fail."""
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            assert not re.search(r"<|==|~=", line), line
