# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Free loopback ports and waiting for an HTTP service to answer."""

from __future__ import annotations

import random
import socket
import time
import urllib.request

PORT_RANGE = (47000, 49000)  # above the fixed ports and port blocks of make integration, demo and molecule


class NoFreePorts(RuntimeError):
    """No block of consecutive free ports in the range."""


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_block(count: int, low: int = PORT_RANGE[0], high: int = PORT_RANGE[1]) -> int:
    """The first of COUNT consecutive free loopback ports between LOW and HIGH."""
    for base in random.sample(range(low, high - count), min(200, high - count - low)):
        if all(port_free(port) for port in range(base, base + count)):
            return base
    raise NoFreePorts(f"no {count} consecutive free ports between {low} and {high}")


def wait_http(url: str, timeout: float = 30.0) -> None:
    """Wait until URL answers at all (any HTTP status), never through a proxy; raise the last error after TIMEOUT."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while True:
        try:
            with opener.open(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
