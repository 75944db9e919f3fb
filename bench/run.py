#!/usr/bin/env python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""make bench: dockyard.ecr against community.aws.ecs_ecr and a re-publish, on the local emulator.

Starts its own emulator (moto; with tools/localaws's registries and push bridge when the publish
playbook is there) and a counting proxy (bench/countproxy.py) between every AWS client and moto,
then, for N repositories and each account count:

- converge: the dockyard.ecr.repositories role (one ecr_repositories call per account; the module
  directly when the role is not in the collection yet), first run and no-op run;
- the baseline: community.aws.ecs_ecr in a loop with the same settings, first run and no-op run;
- publish (when playbooks/publish.yml and roles/publish exist): a first run and a second run of
  publish.yml with nothing changed.

It prints a table (wall seconds, API calls by operation, write calls, bytes uploaded to the
registry, ratios, the issue's targets) and writes the results as JSON under bench/results/.

Environment (see bench/README.md): N (100), ACCOUNTS ("1 3"), BASELINE_ACCOUNTS ("1": the account
counts the ecs_ecr loop runs for; "all", or "0" for none), REPEAT (3: dockyard's converge runs, the
median is reported), FLEET ("1 3": configure.yml's account counts), FLEET_REPEAT (3: its no-op runs, the median
is reported), FLEET_FORKS (10), PUBLISH ("auto"; "0" skips it), BENCH_CONCURRENCY (the module's default when
unset), BENCH_MOTO_PORT (45260), BENCH_PROXY_PORT (45261), BENCH_BRIDGE_PORT (45262),
BENCH_REGISTRY_PORT (45263; one port per account from there), BENCH_KEEP (1: leave the emulator up).
"""

import datetime
import functools
import hashlib
import json
import math
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import time
import urllib.request
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
WORK = ROOT / ".build" / "bench"
PYTHON = Path(sys.executable)
VENV_BIN = PYTHON.parent
REGION = "us-east-1"
CONSUMER = "111122223333"  # the account every repository grants pull to
sys.path.insert(0, str(ROOT / "tests"))
# pylint: disable-next=wrong-import-position
from support import Emulator, MotoServer, Process, wait_http  # noqa: E402

LIFECYCLE_PRESETS = {"expire_untagged_after_days": 7, "keep_last": 30}
ECR_READ = re.compile(r"^(Describe|Get|List|BatchGet|BatchCheck)")
ACCESS_LOG = re.compile(r'"(?P<method>[A-Z]+) (?P<uri>\S+) HTTP/[0-9.]+" (?P<status>\d{3}) ')


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def env_int(name, default):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        sys.exit(f"bench: {name}={raw!r} is not a number")
    return int(raw)


def account_counts(name="ACCOUNTS", default="1 3"):
    raw = os.environ.get(name, "").strip() or default
    counts = []
    for part in re.split(r"[\s,]+", raw):
        if not part.isdigit() or not 1 <= int(part) <= 9:
            sys.exit(f"bench: {name}={raw!r}: give account counts from 1 to 9, for example '1 3'")
        counts.append(int(part))
    return sorted(set(counts))


def fleet_counts():
    """The account counts of the fleet rows (configure.yml over registry accounts): FLEET (default "1 3"; 0: none)."""
    raw = os.environ.get("FLEET", "").strip() or "1 3"
    if raw == "0":
        return []
    counts = []
    for part in re.split(r"[\s,]+", raw):
        if not part.isdigit() or not 1 <= int(part) <= 99:
            sys.exit(f"bench: FLEET={raw!r}: give account counts from 1 to 99, for example '1 3 50'")
        counts.append(int(part))
    return sorted(set(counts))


def baseline_counts(counts):
    """The account counts to run the ecs_ecr loop for: BASELINE_ACCOUNTS (default 1; 0: none; all)."""
    raw = os.environ.get("BASELINE_ACCOUNTS", "").strip() or "1"
    if raw == "0":
        return []
    if raw == "all":
        return counts
    return [c for c in account_counts("BASELINE_ACCOUNTS", raw) if c in counts]


def accounts_for(kind, count, repeat=0):
    """Distinct account IDs per tool, account count and repetition, so every first run starts from nothing."""
    base = {"dockyard": 21, "ecs_ecr": 22, "publish": 23, "fleet": 24, "scale": 25}[kind]
    return [f"{base:02d}{repeat:02d}{count:02d}{index:06d}" for index in range(1, count + 1)]


def process_cpu(pid):
    """CPU seconds (user + system) a live process has used, from /proc; 0.0 when it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------------------------------------
# The emulator and the proxy
# ---------------------------------------------------------------------------------------------


class Stack:
    """moto (alone, or as part of tools/localaws with registries and the bridge) and the counting proxy, started
    through tests/support like every test suite's emulator."""

    def __init__(self, ports, publish_accounts):
        self.ports = ports
        self.publish_accounts = publish_accounts
        self.home = WORK / "localaws"
        self.emulator = self.moto = self.proxy = None
        self.moto_pid = self.proxy_pid = None

    @property
    def moto_url(self):
        return f"http://127.0.0.1:{self.ports['moto']}"

    @property
    def proxy_url(self):
        return f"http://127.0.0.1:{self.ports['proxy']}"

    def start(self):
        WORK.mkdir(parents=True, exist_ok=True)
        if self.publish_accounts:
            self.emulator = Emulator(
                self.home,
                self.publish_accounts,
                REGION,
                port=self.ports["moto"],
                bridge_port=self.ports["bridge"],
                registry_port=self.ports["registry"],
            )
            self.emulator.down()  # a fresh moto and empty registries: the first runs must start from nothing
            self.moto_pid = self.emulator.up().pids()["moto"]
        else:
            self.moto = MotoServer(WORK, port=self.ports["moto"])
            self.moto_pid = self.moto.pid
        argv = [str(PYTHON), str(BENCH / "countproxy.py"), "--listen", f"127.0.0.1:{self.ports['proxy']}"]
        self.proxy = Process(argv + ["--upstream", self.moto_url], WORK / "countproxy.log")
        self.proxy_pid = self.proxy.pid
        wait_http(f"{self.proxy_url}/__bench__/health")

    def emulator_cpu(self):
        """CPU seconds moto and the counting proxy have used so far."""
        return process_cpu(self.moto_pid), process_cpu(self.proxy_pid)

    def stop(self):
        for part in (self.proxy, self.moto):
            if part is not None:
                part.stop()
        if self.emulator is not None:
            self.emulator.down()

    def registry_host(self, account):
        return f"127.0.0.1:{self.ports['registry'] + self.publish_accounts.index(account)}"

    def counts(self):
        with urllib.request.urlopen(f"{self.proxy_url}/__bench__/counts", timeout=10) as response:
            return json.loads(response.read())

    def reset(self):
        request = urllib.request.Request(f"{self.proxy_url}/__bench__/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass


# ---------------------------------------------------------------------------------------------
# Registry uploads (publish): from the registries' access logs and blob storage
# ---------------------------------------------------------------------------------------------


class Uploads:
    """Blob uploads the registries received since ``mark()``: sessions, completed blobs and their bytes."""

    def __init__(self, stack):
        self.stack = stack
        self.offsets = {}

    def _log(self, account):
        return self.stack.home / "logs" / f"registry-{account}.log"

    def mark(self):
        for account in self.stack.publish_accounts:
            path = self._log(account)
            self.offsets[account] = path.stat().st_size if path.exists() else 0

    def _blob_size(self, account, digest):
        algorithm, hexdigest = digest.split(":", 1) if ":" in digest else ("sha256", digest)
        blobs = self.stack.home / "registry" / account / "storage" / "docker" / "registry" / "v2" / "blobs"
        path = blobs / algorithm / hexdigest[:2] / hexdigest / "data"
        return path.stat().st_size if path.exists() else 0

    def since_mark(self):
        totals = {"upload_sessions": 0, "blob_uploads": 0, "bytes_uploaded": 0, "manifest_puts": 0}
        for account in self.stack.publish_accounts:
            path = self._log(account)
            if not path.exists():
                continue
            with open(path, "rb") as handle:
                handle.seek(self.offsets.get(account, 0))
                lines = handle.read().decode("utf-8", "replace").splitlines()
            for line in lines:
                match = ACCESS_LOG.search(line)
                if not match or not match.group("status").startswith("2"):
                    continue
                method, uri = match.group("method"), match.group("uri")
                if method == "POST" and "/blobs/uploads/" in uri:
                    totals["upload_sessions"] += 1
                elif method == "PUT" and "/blobs/uploads/" in uri:
                    digest = re.search(r"[?&]digest=([^&]+)", uri)
                    totals["blob_uploads"] += 1
                    if digest:
                        digest = urllib.request.unquote(digest.group(1))
                        totals["bytes_uploaded"] += self._blob_size(account, digest)
                elif method == "PUT" and "/manifests/" in uri:
                    totals["manifest_puts"] += 1
        return totals


# ---------------------------------------------------------------------------------------------
# Playbook runs
# ---------------------------------------------------------------------------------------------


def write_json(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def inventory(stack, group, accounts, extra_host_vars=None):
    hosts = {}
    for account in accounts:
        host = {"aws_account_id": account, "aws_region": REGION, "aws_role_arn": f"arn:aws:iam::{account}:role/bench"}
        host.update((extra_host_vars or {}).get(account, {}))
        hosts[f"account-{account}"] = host
    return {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": str(PYTHON),
                "aws_endpoint_url": stack.proxy_url,
                "aws_access_key": "testing",
                "aws_secret_key": "testing",
                "aws_region": REGION,
            },
            "children": {group: {"hosts": hosts}},
        }
    }


def playbook_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="false",
        ANSIBLE_HOST_KEY_CHECKING="false",
        ANSIBLE_LOCALHOST_WARNING="false",
        BUILDAH_ISOLATION="chroot",
        # Credentials and endpoint come from the inventory only; no profile, no instance metadata.
        AWS_EC2_METADATA_DISABLED="true",
    )
    env.pop("PYTHONPATH", None)
    return env


def recap(output):
    """{host: {ok, changed, failed, ...}} from the PLAY RECAP."""
    hosts = {}
    for line in output.splitlines():
        match = re.match(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", line.strip())
        if match:
            hosts[match.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2))}
    return hosts


def run_playbook(name, playbook, inventory_data, extra_vars, forks, extra_args=(), env=None):
    WORK.mkdir(parents=True, exist_ok=True)
    inventory_path = write_json(WORK / f"{name}.inventory.json", inventory_data)
    vars_path = write_json(WORK / f"{name}.vars.json", extra_vars)
    argv = [
        str(VENV_BIN / "ansible-playbook"),
        "-i",
        str(inventory_path),
        "-e",
        f"@{vars_path}",
        "-f",
        str(forks),
        *extra_args,
        str(playbook),
    ]
    started = time.monotonic()
    process = subprocess.run(
        argv, env=dict(playbook_env(), **(env or {})), capture_output=True, text=True, check=False, cwd=ROOT
    )
    seconds = time.monotonic() - started
    (WORK / f"{name}.log").write_text(process.stdout + process.stderr)
    hosts = recap(process.stdout)
    return {
        "seconds": round(seconds, 2),
        "rc": process.returncode,
        "changed_tasks": sum(h.get("changed", 0) for h in hosts.values()),
        "failed_tasks": sum(h.get("failed", 0) + h.get("unreachable", 0) for h in hosts.values()),
        "log": str((WORK / f"{name}.log").relative_to(ROOT)),
    }


def call_stats(counts):
    ecr = {k.split(":", 1)[1]: v for k, v in counts.items() if k.startswith("ecr:")}
    reads = sum(v for k, v in ecr.items() if ECR_READ.match(k))
    return {
        "calls": counts,
        "ecr_calls": sum(ecr.values()),
        "ecr_reads": reads,
        "ecr_writes": sum(ecr.values()) - reads,
        "get_authorization_token": ecr.get("GetAuthorizationToken", 0),
        "describe_repositories": ecr.get("DescribeRepositories", 0),
    }


# ---------------------------------------------------------------------------------------------
# The scenarios
# ---------------------------------------------------------------------------------------------


def desired_repositories(n):
    """The same repositories for both tools: ours as ecr_repositories entries, ecs_ecr's as documents."""
    sys.path.insert(0, str(ROOT / ".build" / "collections"))
    from ansible_collections.dockyard.ecr.plugins.module_utils._models import (  # noqa: E402
        lifecycle_presets,
        lifecycle_validation,
        policy_grants,
    )

    ours, theirs = [], []
    policy_document = policy_grants.grants_to_document({"pull": [CONSUMER]})
    lifecycle_document = lifecycle_validation.validate_rules(lifecycle_presets.presets_to_rules(**LIFECYCLE_PRESETS))
    for index in range(n):
        ours.append(
            {
                "name": f"bench/dockyard-{index:04d}",
                "image_tag_mutability": "immutable",
                "scan_on_push": True,
                "pull": [CONSUMER],
                "lifecycle": dict(LIFECYCLE_PRESETS),
            }
        )
        theirs.append(
            {"name": f"bench/ecs-ecr-{index:04d}", "policy": policy_document, "lifecycle_policy": lifecycle_document}
        )
    return ours, theirs


def measure(stack, record, runner):
    stack.reset()
    load = os.getloadavg()[0]
    moto, proxy, ansible = *stack.emulator_cpu(), children_cpu()
    record.update(runner())
    moto_after, proxy_after = stack.emulator_cpu()
    record.update(call_stats(stack.counts()))
    record["load_before"] = round(load, 2)
    # CPU seconds: Ansible (the playbook, its workers, the modules), moto, the proxy. With a busy
    # machine the wall seconds vary; these much less.
    record["cpu_seconds"] = {
        "ansible": round(children_cpu() - ansible, 2),
        "moto": round(moto_after - moto, 2),
        "proxy": round(proxy_after - proxy, 2),
    }
    log(
        f"{record['tool']:8} {record['accounts']} account(s) {record['run']:6}: {record['seconds']:7.2f} s, "
        f"{record['ecr_calls']} ECR calls ({record['ecr_writes']} writes), rc={record['rc']}"
    )
    return record


def converge_runs(stack, counts, n, ours, theirs, use_role, baseline, concurrency, repeat):
    """First and no-op runs per tool and account count, dockyard's ``repeat`` times (fresh accounts each).

    The repetitions are interleaved (1 account, 3 accounts, 1 account, ...) so that a machine whose load
    changes during the benchmark weighs on both account counts alike; the median of each is reported.
    """
    playbooks = {"dockyard": BENCH / "playbooks" / "converge.yml", "ecs_ecr": BENCH / "playbooks" / "ecs_ecr.yml"}
    extra_vars = {
        "dockyard": {"bench_repositories": ours, "bench_use_role": use_role, "bench_concurrency": concurrency},
        "ecs_ecr": {"bench_ecs_ecr": theirs},
    }
    samples = {}
    for rep in range(repeat):
        for count in counts:
            tools = ["dockyard"] + (["ecs_ecr"] if rep == 0 and count in baseline else [])
            for tool in tools:
                data = inventory(stack, "bench_accounts", accounts_for(tool, count, rep))
                for run in ("first", "noop"):
                    record = {"scenario": "converge", "tool": tool, "accounts": count, "run": run, "repositories": n}
                    name = f"converge-{tool}-{count}-{run}-{rep}"
                    runner = functools.partial(
                        run_playbook, name, playbooks[tool], data, extra_vars[tool], max(3, count)
                    )
                    samples.setdefault((count, tool, run), []).append(measure(stack, record, runner))
    return [combine(samples[key]) for key in sorted(samples, key=lambda k: (k[0], k[1], k[2] != "first"))]


def fleet_runs(stack, counts, n, ours, repeat=1):
    """playbooks/configure.yml over ``count`` registry accounts of ``n`` repositories each (the estate in
    ecr_registries, as a user keeps it), first run and no-op run: the whole path a platform team runs, with
    the estate checks, the role assumption, one ecr_repositories call per account and the plan.

    The first runs once per count (it creates the repositories); the no-op ``repeat`` times, interleaved (1, 10,
    50, 1, 10, 50, ...) so that a machine whose load changes during the benchmark weighs on every count alike. On
    a shared machine one run's controller CPU moves by 10 to 20% with the other tenants' load; the record of a
    count is its median no-op (``combine_fleet``), with every sample in the JSON."""
    data, forks, records, samples = {}, {}, [], {}
    for count in counts:
        accounts = accounts_for("fleet", count)
        data[count] = inventory(stack, "registries", accounts)
        data[count]["all"]["vars"]["ecr_registries"] = [
            {"name": f"registry-{index:02d}", "account_id": account, "region": REGION, "repositories": ours}
            for index, account in enumerate(accounts)
        ]
        forks[count] = min(count, env_int("FLEET_FORKS", 10))
    for count in counts:
        record = {"scenario": "fleet", "tool": "configure", "accounts": count, "run": "first", "repositories": n}
        runner = functools.partial(
            run_playbook, f"fleet-{count}-first", ROOT / "playbooks" / "configure.yml", data[count], {}, forks[count]
        )
        records.append(measure(stack, record, runner))
    for rep in range(repeat):
        for count in counts:
            record = {"scenario": "fleet", "tool": "configure", "accounts": count, "run": "noop", "repositories": n}
            runner = functools.partial(
                run_playbook,
                f"fleet-{count}-noop-{rep}",
                ROOT / "playbooks" / "configure.yml",
                data[count],
                {},
                forks[count],
            )
            samples.setdefault(count, []).append(measure(stack, record, runner))
    return records + [combine_fleet(samples[count]) for count in counts]


def combine_fleet(samples):
    """One record for repeated fleet runs: ``combine`` by controller CPU (the median-CPU run's fields), with the
    median wall seconds and every sample's CPU and load beside the wall seconds ``combine`` lists."""
    record = combine(samples, key=lambda r: r["cpu_seconds"]["ansible"])
    walls = sorted(r["seconds"] for r in samples)
    record["seconds"] = walls[(len(walls) - 1) // 2]
    record["cpu_samples"] = [r["cpu_seconds"]["ansible"] for r in samples]
    record["load_samples"] = [r["load_before"] for r in samples]
    return record


def combine(samples, key=lambda r: r["seconds"]):
    """One record for repeated runs: the median's by ``key`` (wall seconds), with every sample's seconds (and calls,
    when they differ)."""
    ordered = sorted(samples, key=key)
    record = dict(ordered[(len(ordered) - 1) // 2])
    record["samples"] = [r["seconds"] for r in samples]
    if any(r["calls"] != samples[0]["calls"] for r in samples):
        record["sample_calls"] = [r["calls"] for r in samples]
    record["rc"] = max(r["rc"] for r in samples)
    return record


def publish_context():
    context = WORK / "publish-context"
    context.mkdir(parents=True, exist_ok=True)
    # 1 MiB that does not compress, the same on every run (so the image is the same on every run).
    payload, block, counter = bytearray(), b"", 0
    while len(payload) < 1 << 20:
        block = hashlib.sha256(block + counter.to_bytes(8, "big")).digest()
        payload += block
        counter += 1
    (context / "payload.bin").write_bytes(bytes(payload[: 1 << 20]))
    (context / "Containerfile").write_text("FROM scratch\nCOPY payload.bin /payload.bin\n")
    return context


def publish_once(name, data, extra_vars, forks, aws_env, uploads):
    result = run_playbook(name, ROOT / "playbooks" / "publish.yml", data, extra_vars, forks, env=aws_env)
    time.sleep(0.5)  # a registry writes its access log line after the response
    result.update(uploads.since_mark())
    return result


def publish_runs(stack, counts):
    runs = []
    # A first publish logs in: no token left over from an earlier benchmark.
    (WORK / "auth.json").unlink(missing_ok=True)
    uploads = Uploads(stack)
    context = publish_context()
    # As `eval "$(tools/localaws/localaws env)"` sets them, with the endpoint at the counting proxy: for the
    # modules that do not get the playbook's module_defaults (an action group without them).
    aws_env = {
        "AWS_ENDPOINT_URL": stack.proxy_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }
    for count in counts:
        accounts = stack.publish_accounts[:count]
        host_vars = {a: {"ecr_registry_host": stack.registry_host(a)} for a in accounts}
        data = inventory(stack, "registries", accounts, host_vars)
        extra_vars = {
            "publish_repository": f"bench/publish-{count}",
            "publish_context": str(context),
            "publish_version": "bench",
            "publish_source_date_epoch": 0,
            "publish_podman_auth_file": str(WORK / "auth.json"),
        }
        for run in ("first", "second"):
            record = {"scenario": "publish", "tool": "publish.yml", "accounts": count, "run": run, "repositories": 1}
            name = f"publish-{count}-{run}"
            uploads.mark()

            runner = functools.partial(publish_once, name, data, extra_vars, max(3, count), aws_env, uploads)
            runs.append(measure(stack, record, runner))
        aws = shell_aws()
        if aws is None:
            log("the shell workflow is not measured: no working `aws` command (pip install awscli)")
            continue
        targets = [f"{a}={stack.registry_host(a)}" for a in accounts]
        for run in ("first", "second"):
            record = {"scenario": "publish", "tool": "shell", "accounts": count, "run": run, "repositories": 1}
            name = f"publish-shell-{count}-{run}"
            uploads.mark()
            argv = [str(BENCH / "shell_publish.sh"), str(context), f"bench/shell-{count}", "bench"]
            argv += [str(WORK / "shell-auth.json"), REGION, *targets]
            runner = functools.partial(shell_once, name, argv, dict(aws_env, AWS=aws), uploads)
            runs.append(measure(stack, record, runner))
    return runs


def shell_aws():
    """The `aws` command for the shell workflow (AWS in the environment, else `aws` on PATH), if it runs."""
    command = os.environ.get("AWS") or shutil.which("aws")
    if not command:
        return None
    probe = subprocess.run([command, "--version"], capture_output=True, text=True, check=False)
    return command if probe.returncode == 0 else None


def shell_once(name, argv, env, uploads):
    """One run of the book's shell workflow (bench/shell_publish.sh), timed like a playbook run."""
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    process = subprocess.run(
        argv, env=dict(playbook_env(), **env), capture_output=True, text=True, check=False, cwd=ROOT
    )
    seconds = time.monotonic() - started
    (WORK / f"{name}.log").write_text(process.stdout + process.stderr)
    time.sleep(0.5)  # a registry writes its access log line after the response
    result = {
        "seconds": round(seconds, 2),
        "rc": process.returncode,
        # Every run logs in and pushes every tag again: as the shell sees it, each run changes the registry.
        "changed_tasks": 0,
        "failed_tasks": int(process.returncode != 0),
        "log": str((WORK / f"{name}.log").relative_to(ROOT)),
    }
    result.update(uploads.since_mark())
    return result


def scale_runs(stack, n, use_role, concurrency):
    """The scale row: n repositories in one account with ecr_repositories (the role), first and no-op."""
    ours, _theirs = desired_repositories(n)
    extra_vars = {"bench_repositories": ours, "bench_use_role": use_role, "bench_concurrency": concurrency}
    data = inventory(stack, "bench_accounts", accounts_for("scale", 1))
    runs = []
    for run in ("first", "noop"):
        record = {"scenario": "scale", "tool": "dockyard", "accounts": 1, "run": run, "repositories": n}
        playbook = BENCH / "playbooks" / "converge.yml"
        runner = functools.partial(run_playbook, f"scale-{n}-{run}", playbook, data, extra_vars, 3)
        runs.append(measure(stack, record, runner))
    return runs


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def find(runs, **where):
    for run in runs:
        if all(run.get(k) == v for k, v in where.items()):
            return run
    return None


def targets(runs, n, counts):
    checks = []
    one = find(runs, scenario="converge", tool="dockyard", accounts=1, run="noop")
    base = find(runs, scenario="converge", tool="ecs_ecr", accounts=1, run="noop")
    if one and base:
        checks.append(
            {
                "target": "no-op, 1 account: at least 10x faster than the ecs_ecr loop",
                "value": round(base["seconds"] / one["seconds"], 1),
                "unit": "x",
                "passed": base["seconds"] >= 10 * one["seconds"],
            }
        )
    if one:
        overhead = math.ceil(n / 100)
        checks.append(
            {
                "target": "no-op, 1 account: at most 2 read calls per repository plus batching overhead",
                "value": round(one["ecr_reads"] / n, 2),
                "unit": "reads/repository",
                "passed": one["ecr_reads"] <= 2 * n + overhead,
            }
        )
        checks.append(
            {
                "target": "no-op, 1 account: zero write calls",
                "value": one["ecr_writes"],
                "unit": "writes",
                "passed": one["ecr_writes"] == 0,
            }
        )
    for run in ("first", "noop"):
        single = find(runs, scenario="converge", tool="dockyard", accounts=1, run=run)
        for count in counts:
            if count < 3:
                continue
            multi = find(runs, scenario="converge", tool="dockyard", accounts=count, run=run)
            if single and multi:
                checks.append(
                    {
                        "target": f"{run} run, {count} accounts (forks >= 3): at most 1.5x the time of 1 account",
                        "value": round(multi["seconds"] / single["seconds"], 2),
                        "unit": "x",
                        "passed": multi["seconds"] <= 1.5 * single["seconds"],
                    }
                )
    one_second = find(runs, scenario="publish", tool="publish.yml", accounts=1, run="second")
    shell_second = find(runs, scenario="publish", tool="shell", accounts=1, run="second")
    if one_second:
        checks.append(
            {
                "target": "second publish, 1 account, nothing changed: at most 3 s",
                "value": one_second["seconds"],
                "unit": "s",
                "passed": one_second["seconds"] <= 3.0,
            }
        )
    if one_second and shell_second:
        checks.append(
            {
                "target": "second publish, 1 account: no slower than the shell workflow in the same run",
                "value": f"{one_second['seconds']:.2f} s vs {shell_second['seconds']:.2f} s",
                "unit": "",
                "passed": one_second["seconds"] <= shell_second["seconds"],
            }
        )
    fleet = sorted((r for r in runs if r["scenario"] == "fleet" and r["run"] == "noop"), key=lambda r: r["accounts"])
    if len(fleet) >= 2:
        low, high = fleet[0], fleet[-1]
        per_account = (high["cpu_seconds"]["ansible"] - low["cpu_seconds"]["ansible"]) / (
            high["accounts"] - low["accounts"]
        )
        checks.append(
            {
                "target": f"fleet no-op ({n} repositories per account): controller CPU per further account at most 1 s",
                "value": round(per_account, 2),
                "unit": "CPU s/account",
                "passed": per_account <= 1.0,
            }
        )
    for record in fleet:
        if record["accounts"] >= 50:
            checks.append(
                {
                    "target": f"fleet no-op, {record['accounts']} accounts x {n} repositories: within 60 s",
                    "value": record["seconds"],
                    "unit": "s",
                    "passed": record["seconds"] <= 60 and record["rc"] == 0,
                }
            )
    for count in counts:
        if count < 2 or not one_second:
            continue
        multi = find(runs, scenario="publish", tool="publish.yml", accounts=count, run="second")
        if multi:
            added = further_account_cpu(one_second, multi)
            checks.append(
                {
                    "target": f"second publish, {count} accounts: each further account adds at most 0.5 s of controller CPU",
                    "value": round(added, 2),
                    "unit": "s/account",
                    "passed": added <= 0.5,
                }
            )
    for count in counts:
        second = find(runs, scenario="publish", tool="publish.yml", accounts=count, run="second")
        if second:
            checks.append(
                {
                    "target": f"second publish, {count} account(s): 0 layer uploads, 0 GetAuthorizationToken, "
                    "changed=false",
                    "value": f"{second['blob_uploads']} uploads, {second['get_authorization_token']} tokens, "
                    f"{second['changed_tasks']} changed",
                    "unit": "",
                    "passed": second["blob_uploads"] == 0
                    and second["get_authorization_token"] == 0
                    and second["changed_tasks"] == 0
                    and second["rc"] == 0,
                }
            )
    scale = find(runs, scenario="scale", run="noop")
    if scale:
        size = scale["repositories"]
        checks.append(
            {
                "target": f"scale no-op, {size} repositories in one account: at most 2 reads per repository plus "
                "batching overhead, zero writes",
                "value": f"{scale['ecr_reads']} reads, {scale['ecr_writes']} writes",
                "unit": "",
                "passed": scale["ecr_reads"] <= 2 * size + math.ceil(size / 100) and scale["ecr_writes"] == 0,
            }
        )
    for run in runs:
        if run["rc"] != 0:
            checks.append(
                {
                    "target": f"{run['scenario']} {run['tool']} {run['accounts']} {run['run']} succeeds",
                    "value": f"rc={run['rc']}",
                    "unit": "",
                    "passed": False,
                }
            )
    return checks


def table(runs):
    header = [
        "scenario",
        "tool",
        "accts",
        "run",
        "seconds",
        "load",
        "ctrl CPU s",
        "all CPU s",
        "ECR calls",
        "reads",
        "writes",
        "calls/repo",
        "changed",
    ]
    rows = []
    for run in runs:
        per_repo = run["ecr_calls"] / (run["repositories"] * run["accounts"])
        extra = ""
        if run["scenario"] == "publish":
            extra = (
                f"  uploads={run['blob_uploads']} bytes={run['bytes_uploaded']} "
                f"GetAuthorizationToken={run['get_authorization_token']}"
            )
        rows.append(
            [
                run["scenario"],
                run["tool"],
                str(run["accounts"]),
                run["run"],
                f"{run['seconds']:.2f}",
                f"{run.get('load_before', 0):.1f}",
                f"{run['cpu_seconds']['ansible']:.2f}",
                f"{sum(run['cpu_seconds'].values()):.1f}",
                str(run["ecr_calls"]),
                str(run["ecr_reads"]),
                str(run["ecr_writes"]),
                f"{per_repo:.2f}",
                str(run["changed_tasks"]) + ("" if run["rc"] == 0 else f" (rc={run['rc']})") + extra,
            ]
        )
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def further_account_cpu(single, multi):
    """Controller CPU seconds each account past the first adds (the Ansible side: playbook, workers, modules)."""
    return (multi["cpu_seconds"]["ansible"] - single["cpu_seconds"]["ansible"]) / (multi["accounts"] - 1)


def cpu_per_account(runs):
    """Lines: for each scenario, tool and run measured at 1 and more accounts, the CPU each further account adds;
    and what a no-op publish costs in controller CPU, which the machine's load moves much less than wall time."""
    lines = []
    for run in runs:
        if run["scenario"] == "publish" and run["run"] == "second":
            lines.append(
                f"publish {run['tool']} second, {run['accounts']} account(s): {run['seconds']:.2f} s wall at load "
                f"{run.get('load_before', 0):.1f}, {run['cpu_seconds']['ansible']:.2f} s controller CPU"
            )
    for run in runs:
        if run.get("cpu_samples"):
            lines.append(
                f"{run['scenario']} {run['tool']} {run['run']}, {run['accounts']} account(s): controller CPU "
                f"{', '.join(f'{v:.2f}' for v in run['cpu_samples'])} s (median {run['cpu_seconds']['ansible']:.2f}), "
                f"wall {', '.join(f'{v:.2f}' for v in run['samples'])} s, at loads "
                f"{', '.join(f'{v:.1f}' for v in run['load_samples'])}"
            )
    for run in runs:
        if run["accounts"] < 2:
            continue
        single = find(runs, scenario=run["scenario"], tool=run["tool"], accounts=1, run=run["run"])
        if single:
            lines.append(
                f"{run['scenario']} {run['tool']} {run['run']}: each further account adds "
                f"{further_account_cpu(single, run):.2f} s controller CPU ({run['accounts']} accounts vs 1)"
            )
    return "\n".join(lines)


def operations_table(runs):
    operations = sorted({op for run in runs for op in run["calls"]})
    header = ["operation"] + [f"{r['tool']}/{r['accounts']}/{r['run']}" for r in runs]
    rows = [[op] + [str(r["calls"].get(op, 0)) for r in runs] for op in operations]
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in [header] + rows)


def ratios(runs, counts):
    lines = []
    for count in counts:
        for run in ("first", "noop"):
            ours = find(runs, scenario="converge", tool="dockyard", accounts=count, run=run)
            theirs = find(runs, scenario="converge", tool="ecs_ecr", accounts=count, run=run)
            if ours and theirs:
                lines.append(
                    f"{count} account(s), {run:5}: ecs_ecr/dockyard time {theirs['seconds'] / ours['seconds']:.1f}x, "
                    f"API calls {theirs['ecr_calls'] / max(ours['ecr_calls'], 1):.1f}x"
                )
    return "\n".join(lines)


def versions():
    out = {"python": platform.python_version()}
    for package in ("moto", "boto3", "botocore", "ansible-core", "ansible"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = None
    return out


def machine():
    info = {"cpus": os.cpu_count(), "platform": platform.platform(), "load_at_start": os.getloadavg()}
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                info["os"] = line.split("=", 1)[1].strip('"')
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        info["memory_gb"] = round(int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return info


def commit():
    try:
        sha = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    n = env_int("N", 100)
    counts = account_counts()
    fleet = fleet_counts() if (ROOT / "playbooks" / "configure.yml").exists() else []
    baseline = baseline_counts(counts)
    repeat = max(1, env_int("REPEAT", 3))
    fleet_repeat = max(1, env_int("FLEET_REPEAT", 3))
    ports = {
        "moto": env_int("BENCH_MOTO_PORT", 45260),
        "proxy": env_int("BENCH_PROXY_PORT", 45261),
        "bridge": env_int("BENCH_BRIDGE_PORT", 45262),
        "registry": env_int("BENCH_REGISTRY_PORT", 45263),
    }
    concurrency = env_int("BENCH_CONCURRENCY", 0)
    scale = env_int("SCALE", 1000)
    use_role = (ROOT / "roles" / "repositories" / "tasks" / "main.yml").exists()
    has_publish = (ROOT / "playbooks" / "publish.yml").exists() and (ROOT / "roles" / "publish").is_dir()
    want_publish = os.environ.get("PUBLISH", "auto").strip() != "0"
    if want_publish and has_publish and not shutil.which("docker-registry"):
        log("publish skipped: Debian's docker-registry is not installed (make setup installs it)")
        has_publish = False
    publish = want_publish and has_publish
    publish_accounts = accounts_for("publish", max(counts)) if publish else []

    started = datetime.datetime.now(datetime.timezone.utc)
    info = {
        "date": started.isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": machine(),
        "versions": versions(),
        "config": {
            "repositories": n,
            "accounts": counts,
            "fleet_accounts": fleet,
            "fleet_repeat": fleet_repeat,
            "baseline_accounts": baseline,
            "repeat": repeat,
            "converge_with": "roles/repositories" if use_role else "dockyard.ecr.ecr_repositories (no role yet)",
            "publish": publish,
            "scale": scale,
            "concurrency": concurrency or "module default",
            "settings": "immutable tags, scan on push, a pull grant to one account, lifecycle policy "
            "(expire untagged after 7 days, keep the last 30)",
        },
    }
    log(f"N={n} ACCOUNTS={' '.join(map(str, counts))} converge with {info['config']['converge_with']}")
    if not publish:
        log("publish.yml is not measured (" + ("PUBLISH=0" if not want_publish else "no playbook/role yet") + ")")

    ours, theirs = desired_repositories(n)
    stack = Stack(ports, publish_accounts)
    runs = []
    try:
        stack.start()
        if os.environ.get("CONVERGE", "1").strip() != "0":
            runs += converge_runs(stack, counts, n, ours, theirs, use_role, baseline, concurrency, repeat)
        runs += fleet_runs(stack, fleet, n, ours, fleet_repeat)
        if publish:
            runs += publish_runs(stack, counts)
        if scale:
            runs += scale_runs(stack, scale, use_role, concurrency)
    finally:
        if os.environ.get("BENCH_KEEP", "0") != "1":
            stack.stop()

    info["machine"]["load_at_end"] = os.getloadavg()
    info["seconds"] = round((datetime.datetime.now(datetime.timezone.utc) - started).total_seconds(), 1)
    info["runs"] = runs
    info["targets"] = targets(runs, n, counts)

    print()
    print(table(runs))
    print()
    print("API calls by operation (through the counting proxy):")
    print(operations_table(runs))
    print()
    print(ratios(runs, counts))
    print()
    print("Controller CPU (wall seconds vary with the machine's load; CPU seconds much less):")
    print(cpu_per_account(runs))
    print()
    for check in info["targets"]:
        print(f"{'PASS' if check['passed'] else 'FAIL'}  {check['target']}: {check['value']} {check['unit']}".rstrip())

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{stamp}-{info['commit']}-n{n}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(info, indent=2) + "\n")
    tmp.replace(path)
    print(f"\nresults: {path.relative_to(ROOT)} ({info['seconds']} s in all)")
    return 0 if all(c["passed"] for c in info["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
