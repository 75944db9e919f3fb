# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one way to say "the caller has not read it": ``current=UNREAD`` (the default of every converge function).

A bulk caller that read the current state in a batch passes it as ``current`` (``None`` meaning: known not
to exist / no policy); anything else is read by the converge function itself.
"""

UNREAD = object()
