# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Make ``ansible_collections.dockyard.ecr`` importable when pytest runs straight from the checkout.

ansible-test (``ansible-test units``) and ``make units`` (PYTHONPATH) already arrange this; a plain
``pytest tests/unit`` gets the collections roots from ANSIBLE_COLLECTIONS_PATH, or the checkout's
``.build/collections`` (whose ``ansible_collections/dockyard/ecr`` links back to the checkout).
"""

import os
import sys


def _add_collection_roots():
    try:
        import ansible_collections.dockyard.ecr.plugins.module_utils  # noqa: F401  pylint: disable=unused-import

        return
    except ImportError:
        pass
    checkout = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    roots = [p for p in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if p]
    roots.append(os.path.join(checkout, ".build", "collections"))
    for root in roots:
        if os.path.isdir(os.path.join(root, "ansible_collections")) and root not in sys.path:
            sys.path.append(root)


_add_collection_roots()
