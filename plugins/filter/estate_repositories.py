# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: estate_repositories
version_added: 0.1.0
short_description: The repositories of one registry of the estate, with the registry's defaults filled in
description:
  - From C(ecr_registries) (a list of C({name, account_id, region, repository_defaults, repositories})), the
    repositories of the registry of this account and region (or of the registry named O(name)), each with
    C(repository_defaults) filled in; a key an entry gives replaces the default's whole.
  - Also merges a plain list of repositories with defaults (O(defaults)), as the C(repositories) role does.
  - Fails when the estate has no such registry.
author:
  - dockyard.ecr developers (@dockyard)
options:
  _input:
    description: C(ecr_registries), or with O(defaults) a list of repository entries.
    type: list
    elements: dict
    required: true
  account_id:
    description: The registry's account ID.
    type: str
  region:
    description: The registry's region.
    type: str
  name:
    description: The registry's name, instead of O(account_id) and O(region).
    type: str
  defaults:
    description: Merge the input, a list of repository entries, with these defaults instead.
    type: dict
"""

EXAMPLES = r"""
- name: Converge this registry's repositories
  dockyard.ecr.ecr_repositories:
    repositories: "{{ ecr_registries | dockyard.ecr.estate_repositories(account_id=aws_account_id, region=aws_region) }}"
"""

RETURN = r"""
_value:
  description: The repository entries, as M(dockyard.ecr.ecr_repositories) takes them.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

# The model is imported when the filter runs, not when the file is loaded: ansible-core loads every filter file
# of the collection, in every worker process, until it finds the one a template asks for (docs/performance.md).


def estate_repositories(data, account_id=None, region=None, name=None, defaults=None):
    from ansible_collections.dockyard.ecr.plugins.module_utils._models import estate

    if defaults is not None:
        if not defaults and isinstance(data, list):
            # Nothing to fill in (configure.yml: the data check merged them already): the list as given, not a
            # copy of each of its entries.
            return data
        return estate.merged_repositories({"repository_defaults": defaults, "repositories": data})
    try:
        return estate.registry_repositories(data, account_id, region, name)
    except estate.EstateError as e:
        raise AnsibleFilterError(e.message) from e


class FilterModule:
    def filters(self):
        return {"estate_repositories": estate_repositories}
