# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: session_token
version_added: 0.1.0
short_description: The AWS session token of the controller's environment, as AWX injects it
description:
  - Returns the session token of the temporary credentials in the controller's environment,
    E(AWS_SESSION_TOKEN) when it is set and not empty, else E(AWS_SECURITY_TOKEN), else an empty string.
  - AWX's (and Tower's) Amazon Web Services credential type injects the token as E(AWS_SECURITY_TOKEN);
    amazon.aws 10 and later read only E(AWS_SESSION_TOKEN), so an amazon.aws module (for example
    M(amazon.aws.sts_assume_role)) run from AWX would sign with the key pair and no token.
    The dockyard.ecr modules read both by themselves; this lookup gives the amazon.aws modules of a play
    the same token through O(amazon.aws.sts_assume_role#module:session_token), with the same rule.
  - Give it with C(or omit), so that credentials without a token (long-term keys, a profile) are left alone.
author:
  - dockyard.ecr developers (@dockyard)
options: {}
notes:
  - The token is a secret; the modules' O(amazon.aws.sts_assume_role#module:session_token) option is
    C(no_log), so Ansible masks it in the output.
seealso:
  - name: AWX credential types
    description: The environment variables AWX's AWS credential type injects.
    link: https://docs.ansible.com/automation-controller/latest/html/userguide/credentials.html#amazon-web-services
"""

EXAMPLES = r"""
- name: Assume a role with the credentials AWX injected (AWS_SECURITY_TOKEN or AWS_SESSION_TOKEN)
  amazon.aws.sts_assume_role:
    role_arn: arn:aws:iam::111111111111:role/dockyard-configure
    role_session_name: dockyard
    session_token: "{{ lookup('dockyard.ecr.session_token') or omit }}"
  register: assumed
"""

RETURN = r"""
_raw:
  description: The token (one element), or an empty string when the environment holds none.
  type: list
  elements: str
"""

import os

from ansible.plugins.lookup import LookupBase
from ansible_collections.dockyard.ecr.plugins.module_utils._common.credentials import session_token_variable


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        # No options: nothing to set; the token comes from the controller's environment only.
        name = session_token_variable(os.environ)
        return [os.environ[name] if name else ""]
