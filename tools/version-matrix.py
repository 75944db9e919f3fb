# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make matrix`: the collection against the oldest and the newest ansible-core and amazon.aws it claims.

For each leg of tools/version-matrix.yml, under .build/matrix/<leg>/ (kept, so a second run only runs):
  1. a venv with the leg's Python and ansible-core plus requirements-matrix.txt;
  2. amazon.aws at the leg's version, extracted from the `ansible` package's wheel (downloaded once
     into .build/matrix/wheels) into a collections root of its own, beside a copy of this checkout
     (tools/test-tree.sh);
  3. the unit suite, `ansible-doc` of every module and role (no warning allowed), and one integration
     target against the emulator whose ansible-test cloud configuration --cloud-config names.
The legs run side by side (one process each, output in .build/matrix/<leg>.log) unless --serial.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
MATRIX = ROOT / ".build" / "matrix"
WHEELS = MATRIX / "wheels"
REQUIREMENTS = ROOT / "requirements-matrix.txt"
COLLECTION = "amazon/aws"


def log(message: str) -> None:
    print(f"matrix: {message}", flush=True)


def run(argv: list, env: dict | None = None, cwd: Path | None = None, capture: bool = False):
    result = subprocess.run([str(a) for a in argv], env=env, cwd=cwd, check=False, text=True, capture_output=capture)
    if result.returncode != 0:
        if capture:
            sys.stdout.write(result.stdout + result.stderr)
        raise SystemExit(f"matrix: failed ({result.returncode}): {' '.join(str(a) for a in argv)}")
    return result


def find_python(version: str) -> str:
    """An interpreter of the given X.Y: on PATH, or one pyenv installed."""
    candidates = [shutil.which(f"python{version}") or ""]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(glob.glob(str(pyenv / "versions" / f"{version}*" / "bin" / f"python{version}")), reverse=True)
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys, ssl, venv; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    raise SystemExit(f"matrix: no working Python {version} (install it, e.g. with pyenv, or move the leg)")


def clean_env(venv: Path, collections: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        ANSIBLE_COLLECTIONS_PATH=str(collections),
        PYTHONPATH=str(collections),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCAL_TEMP=str(collections.parent / "tmp"),
    )
    return env


def ensure_venv(leg: dict, base: Path) -> Path:
    venv = base / "venv"
    want = hashlib.sha256(f"{leg['python']} {leg['ansible_core']}\n".encode() + REQUIREMENTS.read_bytes()).hexdigest()
    stamp = venv / ".matrix.sha256"
    if stamp.is_file() and stamp.read_text() == want:
        return venv
    log(f"{leg['name']}: venv with Python {leg['python']} and ansible-core {leg['ansible_core']}")
    shutil.rmtree(venv, ignore_errors=True)
    run([find_python(leg["python"]), "-m", "venv", venv])
    run(
        [
            venv / "bin" / "python",
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            f"ansible-core=={leg['ansible_core']}",
            "-r",
            REQUIREMENTS,
        ],
        capture=True,
    )
    stamp.write_text(want)
    return venv


def ensure_collection(leg: dict, venv: Path, base: Path) -> Path:
    """amazon.aws at the leg's version, from the `ansible` package wheel, in .build/matrix/<leg>/collections."""
    dest = base / "collections" / "ansible_collections" / COLLECTION
    manifest = dest / "MANIFEST.json"
    if manifest.is_file() and json.loads(manifest.read_text())["collection_info"]["version"] == leg["amazon_aws"]:
        return dest
    wheel = WHEELS / f"ansible-{leg['ansible_package']}-py3-none-any.whl"
    if not wheel.is_file():
        log(f"{leg['name']}: downloading the ansible {leg['ansible_package']} wheel (once) for its amazon.aws")
        WHEELS.mkdir(parents=True, exist_ok=True)
        run(
            [
                venv / "bin" / "python",
                "-m",
                "pip",
                "download",
                "-q",
                "--disable-pip-version-check",
                "--no-deps",
                "-d",
                WHEELS,
                f"ansible=={leg['ansible_package']}",
            ],
            capture=True,
        )
    shutil.rmtree(dest, ignore_errors=True)
    prefix = f"ansible_collections/{COLLECTION}/"
    with zipfile.ZipFile(wheel) as archive:
        members = [name for name in archive.namelist() if name.startswith(prefix)]
        archive.extractall(base / "collections", members)
    found = json.loads(manifest.read_text())["collection_info"]["version"]
    if found != leg["amazon_aws"]:
        raise SystemExit(
            f"matrix: ansible {leg['ansible_package']} bundles amazon.aws {found}, not {leg['amazon_aws']}:"
            " fix tools/version-matrix.yml"
        )
    return dest


def ensure_tree(leg: dict, venv: Path, base: Path) -> Path:
    """A copy of the checkout in .build/matrix/<leg>/test/ansible_collections/dockyard/ecr, amazon.aws beside it."""
    env = dict(
        os.environ,
        VENV=str(venv),
        TEST_TREE=str(base / "test"),
        TEST_TREE_DEPENDENCIES="amazon/aws",
        TEST_TREE_SOURCES=str(base / "collections" / "ansible_collections"),
    )
    result = run(["bash", ROOT / "tools" / "test-tree.sh"], env=env, capture=True)
    return Path(result.stdout.strip().splitlines()[-1])


def ansible_test_bootstrap(venv: Path) -> None:
    """The offline pip bootstrap this leg's ansible-test looks for (as tools/setup.sh does for the main venv)."""
    code = (
        "import re, ansible_test, pathlib;"
        "src = (pathlib.Path(ansible_test.__file__).parent / '_internal' / 'python_requirements.py').read_text();"
        "print(re.search(r\"pip='([0-9.]+)'\", src).group(1))"
    )
    version = run([venv / "bin" / "python", "-c", code], capture=True).stdout.strip()
    cache = Path.home() / ".ansible" / "test" / "cache" / f"get_pip_{version.replace('.', '_')}.py"
    source = ROOT / "tools" / "ansible-test" / "get_pip.py"
    if not cache.is_file() or cache.read_bytes() != source.read_bytes():
        cache.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, cache)


def units(venv: Path, tree: Path, env: dict) -> None:
    run([venv / "bin" / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit"], env=env, cwd=tree)


def ansible_doc(venv: Path, tree: Path, env: dict) -> int:
    """Every module's and role's documentation renders, with no warning (a missing fragment is one)."""
    modules = sorted(
        f"dockyard.ecr.{p.stem}" for p in (tree / "plugins" / "modules").glob("*.py") if p.stem != "__init__"
    )
    roles = sorted(
        f"dockyard.ecr.{p.name}" for p in (tree / "roles").iterdir() if (p / "meta" / "argument_specs.yml").is_file()
    )
    checked = 0
    for kind, names in (("module", modules), ("role", roles)):
        if not names:
            continue
        result = run([venv / "bin" / "ansible-doc", "-t", kind, "--json", *names], env=env, capture=True)
        docs = json.loads(result.stdout)
        missing = [
            name for name in names if not (docs.get(name) or {}).get("doc" if kind == "module" else "entry_points")
        ]
        # ansible-core 2.21 warns about its own internal collection (ansible._protomatter) having no
        # MANIFEST.json when it lists roles: not ours to fix, and not about this collection.
        noise = [
            line
            for line in result.stderr.splitlines()
            if line.strip() and "/ansible/_internal/ansible_collections/" not in line
        ]
        if missing or noise:
            raise SystemExit(f"matrix: ansible-doc -t {kind}: no documentation for {missing}; stderr: {noise}")
        checked += len(names)
    return checked


def integration(leg: dict, venv: Path, tree: Path, env: dict, cloud_config: Path, target: str) -> None:
    shutil.copyfile(cloud_config, tree / "tests" / "integration" / "cloud-config-aws.ini")
    run(
        [venv / "bin" / "ansible-test", "integration", "--python", leg["python"], "--local", "--color", "no", target],
        env=env,
        cwd=tree,
    )


def run_leg(leg: dict, matrix: dict, cloud_config: Path | None) -> None:
    started = time.monotonic()
    base = MATRIX / leg["name"]
    base.mkdir(parents=True, exist_ok=True)
    venv = ensure_venv(leg, base)
    ensure_collection(leg, venv, base)
    tree = ensure_tree(leg, venv, base)
    ansible_test_bootstrap(venv)
    env = clean_env(venv, base / "test")
    core = run([venv / "bin" / "python", "-c", "import ansible; print(ansible.__version__)"], capture=True)
    label = (
        f"{leg['name']} (Python {leg['python']}, ansible-core {core.stdout.strip()}, amazon.aws {leg['amazon_aws']})"
    )
    log(f"{label}: unit suite")
    units(venv, tree, env)
    log(f"{label}: ansible-doc")
    checked = ansible_doc(venv, tree, env)
    if cloud_config:
        log(f"{label}: integration target {matrix['integration_target']}")
        integration(leg, venv, tree, env, cloud_config, matrix["integration_target"])
    else:
        log(f"{label}: no --cloud-config, integration target skipped")
    log(f"{label}: passed ({checked} docs) in {time.monotonic() - started:.0f} s")


def run_in_parallel(legs: list, args: argparse.Namespace) -> int:
    """One process per leg (each mostly one busy core), each with its output in .build/matrix/<leg>.log."""
    started = time.monotonic()
    children = []
    for leg in legs:
        MATRIX.mkdir(parents=True, exist_ok=True)
        output = (MATRIX / f"{leg['name']}.log").open("w")
        argv = [sys.executable, __file__, "--serial", "--leg", leg["name"]]
        if args.cloud_config:
            argv += ["--cloud-config", str(args.cloud_config)]
        children.append((leg, output, subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT)))
    failed = []
    for leg, output, child in children:
        child.wait()
        output.close()
        text = (MATRIX / f"{leg['name']}.log").read_text()
        summary = [line for line in text.splitlines() if line.startswith("matrix: ")]
        print("\n".join(summary), flush=True)
        if child.returncode != 0:
            failed.append(leg["name"])
            print(f"matrix: {leg['name']} failed; the end of .build/matrix/{leg['name']}.log:\n" + text[-6000:])
    log(f"{len(legs) - len(failed)} of {len(legs)} legs passed in {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cloud-config", type=Path, help="ansible-test's cloud-config-aws.ini for the emulator")
    parser.add_argument("--leg", action="append", help="run only these legs (names in tools/version-matrix.yml)")
    parser.add_argument("--serial", action="store_true", help="run the legs one after the other, output to stdout")
    args = parser.parse_args()
    matrix = yaml.safe_load((ROOT / "tools" / "version-matrix.yml").read_text())
    legs = [leg for leg in matrix["legs"] if not args.leg or leg["name"] in args.leg]
    if len(legs) > 1 and not args.serial:
        return run_in_parallel(legs, args)
    for leg in legs:
        run_leg(leg, matrix, args.cloud_config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
