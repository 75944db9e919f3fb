# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The module in the Ansible worker process when that is equivalent (plugins/plugin_utils/in_process.py).
from ansible_collections.dockyard.ecr.plugins.plugin_utils.in_process import module_action

ActionModule = module_action(__name__)
