# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Free loopback ports and waiting for an HTTP service to answer."""

from __future__ import annotations

import http.client
import random
import socket
import time
import urllib.error
import urllib.request

# Below Linux's ephemeral ports (32768-60999 here): a connection to a port nobody listens on yet can then never be
# connected to itself (a client socket given that same port as its source), which reads back its own request.
# Also away from the fixed ports of make integration, demo, molecule and bench (45000-46999).
PORT_RANGE = (20000, 30000)


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


def wait_http(url: str, timeout: float = 30.0, alive=None) -> None:
    """Wait until URL answers at all (any HTTP status), never through a proxy; raise the last error after TIMEOUT.
    ALIVE (a callable) says whether the server is still running: when it says no, stop waiting at once."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while True:
        try:
            with opener.open(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except (OSError, http.client.HTTPException) as failure:
            if alive is not None and not alive():
                raise RuntimeError(f"the server for {url} exited while starting") from failure
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
