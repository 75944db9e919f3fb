# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # role_arn and role_session_name: the module assumes a role in the account it works in.
    DOCUMENTATION = r"""
options:
  role_arn:
    description:
      - The ARN of an IAM role to assume (C(sts:AssumeRole)) with the module's credentials before anything
        else; every AWS call of the module is then made as that role, in that role's account.
      - Saves a separate M(amazon.aws.sts_assume_role) task per account (a second Python process on the
        controller, and temporary credentials in a registered variable); C(playbooks/configure.yml) uses it.
      - The role's temporary credentials stay inside the module and are never returned.
      - A role that cannot be assumed fails the module with a message naming the role.
      - If not set, or empty, the module's credentials are used as they are.
    type: str
    version_added: 0.1.0
  role_session_name:
    description:
      - The session name of the assumed role (it appears in CloudTrail). Only used with O(role_arn).
    type: str
    default: dockyard-ecr
    version_added: 0.1.0
"""
