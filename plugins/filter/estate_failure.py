# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: estate_failure
version_added: 0.1.0
short_description: Why a task failed for an account, named after the real cause
description:
  - From a failed task's result (C(ansible_failed_result)), a message naming the real cause where it can be
    told, an expired session token, credentials that are not valid or missing, an AWS endpoint that cannot be
    reached, or a role that cannot be assumed (only for C(amazon.aws.sts_assume_role)), and otherwise the
    task's own message.
author:
  - dockyard.ecr developers (@dockyard)
options:
  _input:
    description: The failed task's result.
    type: dict
    required: true
  action:
    description: The failed task's action (C(ansible_failed_task.action)).
    type: str
  role_arn:
    description: The role that was being assumed.
    type: str
"""

EXAMPLES = r"""
- name: Fail this account with the real cause
  ansible.builtin.fail:
    msg: "{{ ansible_failed_result | dockyard.ecr.estate_failure(ansible_failed_task.action, aws_role_arn | default('')) }}"
"""

RETURN = r"""
_value:
  description: The message.
  type: str
"""

# The model is imported when the filter runs, not when the file is loaded: ansible-core loads every filter file
# of the collection, in every worker process, until it finds the one a template asks for (docs/performance.md).


def estate_failure(result, action=None, role_arn=None):
    from ansible_collections.dockyard.ecr.plugins.module_utils._models.estate import failure_cause

    return failure_cause(result if isinstance(result, dict) else {}, action, role_arn)


class FilterModule:
    def filters(self):
        return {"estate_failure": estate_failure}
