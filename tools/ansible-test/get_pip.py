"""Offline stand-in for the get-pip bootstrap script that ansible-test downloads.

ansible-test bootstraps pip into each of its virtual environments with a script it fetches
from a host that is not reachable from every network. Before downloading it looks for a cached
copy in ``~/.ansible/test/cache/get_pip_<VERSION>.py``; ``make setup`` puts this file there.

ansible-test runs it as ``__main__`` with pip's install arguments plus get-pip's own
``--no-setuptools``/``--no-wheel`` flags, which pip itself rejects. So: bootstrap pip from the
interpreter's bundled wheel (ensurepip), then ``pip install`` the remaining arguments.
ensurepip sets PIP_CONFIG_FILE=/dev/null, which hides the machine's pip configuration (a CA
bundle, an index mirror): the environment is restored before pip runs.
"""

import ensurepip
import os
import subprocess
import sys


def main(argv):
    saved = dict(os.environ)
    ensurepip.bootstrap(upgrade=True)
    os.environ.clear()
    os.environ.update(saved)
    args = [arg for arg in argv if arg not in ("--no-setuptools", "--no-wheel")]
    packages = [arg for arg in args if not arg.startswith("-")]
    if not packages:
        return 0
    return subprocess.call([sys.executable, "-m", "pip", "install"] + args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
