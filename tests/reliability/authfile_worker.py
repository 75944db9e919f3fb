#!/usr/bin/env python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A process of test_concurrency.py: logs in to one registry ROUNDS times, or watches the auth files.

    PYTHON authfile_worker.py login INDEX ROUNDS DOCKER_FILE PODMAN_FILE REPORT
    PYTHON authfile_worker.py watch STOP_FILE DOCKER_FILE PODMAN_FILE REPORT

``login`` goes through ``module_utils._converge.login.login`` (what ecr_login runs) with a stand-in ECR client
whose token is new every round, and with the clock moved on a day per round, so that every round
fetches and writes. After each round it reads both files without the lock: they must be valid JSON,
hold its own latest token, and still hold every other worker's registry it saw before.
``watch`` reads both files in a loop, without the lock, until STOP_FILE exists: every read must be a
valid JSON object, and no registry that appeared may disappear.
The report (JSON) lists the problems found; an empty list means none.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.append(os.environ.get("DOCKYARD_COLLECTIONS_PATH", os.path.join(ROOT, ".build", "collections")))

# pylint: disable=wrong-import-position
from ansible_collections.dockyard.ecr.plugins.module_utils._converge import login as conv_login  # noqa: E402
from ansible_collections.dockyard.ecr.plugins.module_utils._models import auth_file, login_plan  # noqa: E402

# pylint: enable=wrong-import-position

DAY = 86400
FOREIGN_HOST = "registry.example.com"


def host_of(index: int) -> str:
    return f"registry-{index}.concurrency.test:5000"


def token_of(index: int, round_: int) -> str:
    return base64.b64encode(f"AWS:worker-{index}-round-{round_}".encode()).decode()


class FakeECR:
    """Answers GetAuthorizationToken with the token of the current round, valid 12 hours."""

    def __init__(self, index: int):
        self.index = index
        self.round = 0
        self.now = 0.0

    def get_authorization_token(self, aws_retry=False):  # pylint: disable=unused-argument
        expires = datetime.datetime.fromtimestamp(self.now + 12 * 3600, tz=datetime.timezone.utc)
        return {"authorizationData": [{"authorizationToken": token_of(self.index, self.round), "expiresAt": expires}]}


def read(path: str):
    with open(path, "rb") as handle:
        return json.loads(handle.read().decode("utf-8"))


def hosts_in(document: dict) -> set:
    return set((document.get("auths") or {}).keys())


def login(index: int, rounds: int, docker: str, podman: str) -> dict:
    files = [auth_file.AuthFile("docker", docker), auth_file.AuthFile("podman", podman)]
    registry = login_plan.Registry("123456789012", "us-east-1", host_of(index))
    client = FakeECR(index)
    problems, seen = [], {docker: set(), podman: set()}
    base = time.time()
    started = time.monotonic()
    for round_ in range(rounds):
        client.round, client.now = round_, base + round_ * DAY
        result = conv_login.login([registry], files, lambda region: client, min_validity=60, now=client.now)
        if not result["changed"]:
            problems.append(f"round {round_}: login reported no change")
        for path in (docker, podman):
            try:
                document = read(path)
            except (OSError, ValueError) as error:
                problems.append(f"round {round_}: {path} unreadable: {error!r}")
                continue
            entry = (document.get("auths") or {}).get(host_of(index)) or {}
            if entry.get("auth") != token_of(index, round_):
                problems.append(f"round {round_}: {path} lost this round's token: {entry}")
            if FOREIGN_HOST not in hosts_in(document) or document.get("credsStore") != "desktop":
                problems.append(f"round {round_}: {path} lost the entries another tool wrote")
            lost = seen[path] - hosts_in(document)
            if lost:
                problems.append(f"round {round_}: {path} lost {sorted(lost)}")
            seen[path] |= hosts_in(document)
    return {"problems": problems, "seconds": time.monotonic() - started, "rounds": rounds}


def watch(stop_file: str, docker: str, podman: str) -> dict:
    problems, seen, reads = [], {docker: set(), podman: set()}, 0
    while not os.path.exists(stop_file):
        for path in (docker, podman):
            try:
                document = read(path)
            except FileNotFoundError:
                continue
            except ValueError as error:
                problems.append(f"{path} was not valid JSON: {error}")
                continue
            reads += 1
            if not isinstance(document, dict):
                problems.append(f"{path} held a JSON {type(document).__name__}")
                continue
            lost = seen[path] - hosts_in(document)
            if lost:
                problems.append(f"{path} lost {sorted(lost)}")
            seen[path] |= hosts_in(document)
    return {"problems": problems, "reads": reads}


def main(argv: list[str]) -> int:
    if argv[0] == "login":
        report = login(int(argv[1]), int(argv[2]), argv[3], argv[4])
    else:
        report = watch(argv[1], argv[2], argv[3])
    with open(argv[-1], "w", encoding="utf-8") as handle:
        json.dump(report, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
