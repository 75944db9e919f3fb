# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: estate_summary
version_added: 0.1.0
short_description: The plan (check mode) or record (real run) of one account, as a person reads it
description:
  - Lines saying what C(playbooks/configure.yml) would do (in check mode) or did in one account, from the
    results of M(dockyard.ecr.ecr_repositories) (repositories created, updated, deleted; grants added and removed
    in repository policies; how many images and bytes the changed lifecycle policies would expire, per
    repository, from each result's C(lifecycle_preview)) and M(dockyard.ecr.ecr_remote_access) (grants added
    and removed in IAM, roles no longer listed).
author:
  - dockyard.ecr developers (@dockyard)
options:
  _input:
    description: The host's name.
    type: str
    required: true
  account_id:
    description: The account ID.
    type: str
  region:
    description: The region.
    type: str
  registry_result:
    description: The registered result of M(dockyard.ecr.ecr_repositories), if the host is a registry.
    type: dict
  consumer_result:
    description: The registered result of M(dockyard.ecr.ecr_remote_access), if the host is a consumer.
    type: dict
  check_mode:
    description: Whether the run was in check mode (C(ansible_check_mode)).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Show the plan
  ansible.builtin.debug:
    msg: >-
      {{ inventory_hostname | dockyard.ecr.estate_summary(account_id=aws_account_id, region=aws_region,
         registry_result=repositories_result | default(none), check_mode=ansible_check_mode) }}
"""

RETURN = r"""
_value:
  description: The lines, the first naming the account.
  type: list
  elements: str
"""

# The model is imported when the filter runs, not when the file is loaded: ansible-core loads every filter file
# of the collection, in every worker process, until it finds the one a template asks for (docs/performance.md).


def estate_summary(host, account_id=None, region=None, registry_result=None, consumer_result=None, check_mode=False):
    from ansible_collections.dockyard.ecr.plugins.module_utils._models.estate import summary_lines

    return summary_lines(account_id, region, host, registry_result or None, consumer_result or None, bool(check_mode))


class FilterModule:
    def filters(self):
        return {"estate_summary": estate_summary}
