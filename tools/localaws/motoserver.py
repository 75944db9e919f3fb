"""moto's server with the ECR extensions of this package installed (`localaws moto -H HOST -p PORT`)."""

from __future__ import annotations

from .ecr_extensions import install


def main(argv: list[str]) -> int:
    install()
    from moto.server import main as moto_main  # pylint: disable=import-outside-toplevel

    moto_main(argv)
    return 0
