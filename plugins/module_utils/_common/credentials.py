# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS credentials from the environment as AWX injects them.

AWX's (and Tower's) "Amazon Web Services" credential type injects the session token of temporary
credentials as ``AWS_SECURITY_TOKEN`` (older AWX and Tower only that name). amazon.aws 9 read it
(with a deprecation warning); amazon.aws 10 and later read only ``AWS_SESSION_TOKEN``. A module then
signs with the injected key pair and no token, and AWS answers ``InvalidClientTokenId``.

Every dockyard.ecr module calls :func:`honour_security_token` first in ``main()``, before it builds
``AnsibleAWSModule``, whose ``session_token`` option falls back to ``AWS_SESSION_TOKEN``:

    def main():
        honour_security_token()
        ...
        module = AnsibleAWSModule(argument_spec=argument_spec, ...)

The order of precedence is amazon.aws 9's: ``AWS_SESSION_TOKEN`` when set and not empty, then
``AWS_SECURITY_TOKEN``. The token itself never leaves the module's own environment.
"""

import os

SESSION_TOKEN = "AWS_SESSION_TOKEN"
# What AWX's credential type injects (awx/main/models/credential/injectors.py: aws()).
SECURITY_TOKEN = "AWS_SECURITY_TOKEN"


def session_token_variable(environ):
    """The name of the environment variable that holds the session token, or None when neither does."""
    for name in (SESSION_TOKEN, SECURITY_TOKEN):
        if environ.get(name):
            return name
    return None


def honour_security_token(environ=None):
    """Set AWS_SESSION_TOKEN from AWS_SECURITY_TOKEN when only the latter is set (and not empty).

    ``environ`` defaults to this process's environment. Returns True when it set AWS_SESSION_TOKEN.
    """
    environ = os.environ if environ is None else environ
    if session_token_variable(environ) != SECURITY_TOKEN:
        return False
    environ[SESSION_TOKEN] = environ[SECURITY_TOKEN]
    return True
