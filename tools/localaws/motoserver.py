"""moto's server with the ECR extensions of this package installed (`localaws moto -H HOST -p PORT`)."""

from __future__ import annotations

import functools

from .ecr_extensions import install


def list_moto_modules_once() -> None:
    """moto's server looks at its package directory (a listdir and ~150 isdir calls) on every request, under the lock
    that serialises its dispatch, to see whether a host name is a moto module (moto.backends.list_of_moto_modules).
    The directory does not change while the server runs: list it once. At fleet scale (thousands of calls a run) the
    listing was about a tenth of moto's CPU (bench/README.md)."""
    from moto import backends  # pylint: disable=import-outside-toplevel

    listing = getattr(backends.list_of_moto_modules, "__wrapped__", backends.list_of_moto_modules)
    backends.list_of_moto_modules = functools.wraps(listing)(functools.cache(lambda: tuple(listing())))


def main(argv: list[str]) -> int:
    install()
    list_moto_modules_once()
    from moto.server import main as moto_main  # pylint: disable=import-outside-toplevel

    moto_main(argv)
    return 0
