"""The command line: `localaws up | down [--purge] | env [--format json] | status` (README.md)."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from .config import MOTO_DEFAULT_ACCOUNT, Config, LocalAWSError, load_config
from .services import CLI
from .stack import LocalAWS

DESCRIPTION = "localaws: a local stand-in for Amazon ECR."


def display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def cmd_up(config: Config, _args: argparse.Namespace) -> int:
    states = LocalAWS(config).up()
    if config.accounts[0] != MOTO_DEFAULT_ACCOUNT:
        print(
            f"localaws: note: the dummy keys act in moto's default account {MOTO_DEFAULT_ACCOUNT}; "
            f"to act in {config.accounts[0]} assume a role there (arn:aws:iam::{config.accounts[0]}:role/...)",
            file=sys.stderr,
        )
    print(f"localaws is up (state: {config.home})")
    for state in states:
        print(f"  {state.label:<26} {state.url:<26} pid {state.pid} ({state.state})")
    print(f"  {'CA certificate':<26} {config.ca_file}")
    print(f'Point clients at it: eval "$({display_path(Path(sys.executable))} {display_path(CLI)} env)"')
    return 0


def cmd_down(config: Config, args: argparse.Namespace) -> int:
    if not config.home.is_dir():
        print("localaws: nothing was running")
        return 0
    stopped = LocalAWS(config).down(purge=args.purge)
    print(f"localaws: stopped {', '.join(stopped)}" if stopped else "localaws: nothing was running")
    if args.purge:
        print(f"localaws: removed registry storage under {config.home / 'registry'} and the certs.d entries")
    return 0


def cmd_env(config: Config, args: argparse.Namespace) -> int:
    stack = LocalAWS(config)
    if args.format == "json":
        print(json.dumps(stack.env_json(), indent=2))
    else:
        for name, value in stack.env().items():
            print(f"export {name}={shlex.quote(value)}")
    return 0


def cmd_status(config: Config, _args: argparse.Namespace) -> int:
    states = LocalAWS(config).status()
    for state in states:
        pid = f"pid {state.pid}" if state.pid else ""
        print(f"{state.name:<22} {state.state:<10} {state.url:<26} {pid}")
    return 0 if all(state.state == "up" for state in states) else 3


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="localaws", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="start what is not running (idempotent)").set_defaults(func=cmd_up)
    down = commands.add_parser("down", help="stop what up started")
    down.add_argument("--purge", action="store_true", help="also remove registry storage and certs.d entries")
    down.set_defaults(func=cmd_down)
    env = commands.add_parser("env", help="print the environment that points clients at the emulator")
    env.add_argument("--format", choices=("shell", "json"), default="shell")
    env.set_defaults(func=cmd_env)
    commands.add_parser("status", help="exit 0 when everything is up, 3 otherwise").set_defaults(func=cmd_status)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    # The parts `up` starts, run through this command line: not for users, not in --help.
    if argv[:1] == ["bridge"]:
        from .bridge import serve  # pylint: disable=import-outside-toplevel

        bridge = argparse.ArgumentParser(prog="localaws bridge")
        bridge.add_argument("--config", required=True)
        return serve(bridge.parse_args(argv[1:]).config)
    if argv[:1] == ["moto"]:
        from .motoserver import main as moto_main  # pylint: disable=import-outside-toplevel

        return moto_main(argv[1:])
    args = parse_args(argv)
    try:
        return args.func(load_config(dict(os.environ)), args)
    except LocalAWSError as error:
        print(f"localaws: error: {error}", file=sys.stderr)
        return 1
