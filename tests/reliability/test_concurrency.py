# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Concurrent logins into the same docker and podman auth files: always valid JSON, no entry lost.

Eight processes log in to eight registries, 50 rounds each, through ecr_login's merge (read, merge,
atomic write under a lock on FILE.lock), while a ninth reads both files without the lock. Then the
module itself, run by eight forks of ansible-playbook, logs in and out of eight registries.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import ACCESS_KEY, ARTIFACTS, AUTH_DIRS, HERE, SECRET_KEY, remember_account_secrets

WORKERS = 8
ROUNDS = 50
WORKER = HERE / "authfile_worker.py"
FOREIGN = {
    "auths": {"registry.example.com": {"auth": "Zm9vOmJhcg=="}},
    "credsStore": "desktop",
    "psFormat": "table {{.ID}}",
}


def test_eight_processes_fifty_rounds(tmp_path):
    docker, podman = tmp_path / "docker" / "config.json", tmp_path / "containers" / "auth.json"
    AUTH_DIRS.extend([docker.parent, podman.parent])
    for path in (docker, podman):
        path.parent.mkdir()
        path.write_text(json.dumps(FOREIGN, indent="\t"))
    stop = tmp_path / "stop"
    watcher = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, str(WORKER), "watch", str(stop), str(docker), str(podman), str(tmp_path / "watch.json")]
    )
    workers = [
        subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, str(WORKER), "login", str(index), str(ROUNDS), str(docker), str(podman),
             str(tmp_path / f"worker-{index}.json")]
        )  # fmt: skip
        for index in range(WORKERS)
    ]
    codes = [worker.wait(timeout=300) for worker in workers]
    stop.touch()
    assert watcher.wait(timeout=60) == 0
    assert codes == [0] * WORKERS

    reports = [json.loads((tmp_path / f"worker-{index}.json").read_text()) for index in range(WORKERS)]
    watched = json.loads((tmp_path / "watch.json").read_text())
    assert [problem for report in reports for problem in report["problems"]] == []
    assert watched["problems"] == []
    assert watched["reads"] > 100, "the watcher hardly read the files while they were written"

    hosts = {f"registry-{index}.concurrency.test:5000" for index in range(WORKERS)}
    for path in (docker, podman):
        document = json.loads(path.read_text())
        assert set(document["auths"]) == hosts | {"registry.example.com"}
        assert document["credsStore"] == "desktop" and document["psFormat"] == "table {{.ID}}"
        cache = json.loads(Path(f"{path}.dockyard-ecr.json").read_text())
        assert set(cache["registries"]) == hosts
        assert oct(path.stat().st_mode & 0o777) == "0o600"
    leftovers = [p.name for p in tmp_path.rglob("*.tmp")]
    assert leftovers == [], f"temporary files left behind: {leftovers}"
    print(f"{WORKERS} workers x {ROUNDS} rounds; watcher read the files {watched['reads']} times")


def test_eight_forks_of_the_module(emulators, ansible, tmp_path):
    """ecr_login itself, eight hosts in parallel (forks): log in, log out, log in again."""
    remember_account_secrets("123456789012")
    moto = emulators.moto()
    auth_dir = tmp_path / "auth"
    AUTH_DIRS.append(auth_dir)
    for path in (auth_dir / "docker" / "config.json", auth_dir / "containers" / "auth.json"):
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(FOREIGN))
    inventory = tmp_path / "inventory.json"
    inventory.write_text(
        json.dumps({"all": {"hosts": {f"worker{i}": {"worker_index": i} for i in range(WORKERS)}}}, indent=1)
    )
    run = ansible.run(
        HERE / "playbooks" / "logins.yml",
        "concurrent-logins",
        inventory=str(inventory),
        extra_vars={
            "aws_endpoint_url": moto.url,
            "aws_access_key": ACCESS_KEY,
            "aws_secret_key": SECRET_KEY,
            "auth_dir": str(auth_dir),
        },
        env={"ANSIBLE_FORKS": str(WORKERS)},
    )
    assert run.rc == 0, run.tail()
    hosts = {f"registry-{index}.forks.test:5000" for index in range(WORKERS)}
    for path in (auth_dir / "docker" / "config.json", auth_dir / "containers" / "auth.json"):
        document = json.loads(path.read_text())
        assert set(document["auths"]) == hosts | {"registry.example.com"}, run.recap()
        assert document["credsStore"] == "desktop"
    ARTIFACTS.append(inventory)
