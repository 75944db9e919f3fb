# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The estate_repositories filter's defaults form: entries merged with defaults, or the list as given without any."""

from ansible_collections.dockyard.ecr.plugins.filter.estate_repositories import estate_repositories

ENTRIES = [{"name": "a"}, {"name": "b", "scan_on_push": False}]


def test_defaults_fill_in_what_an_entry_leaves_out():
    merged = estate_repositories(ENTRIES, defaults={"scan_on_push": True})
    assert merged == [{"scan_on_push": True, "name": "a"}, {"scan_on_push": False, "name": "b"}]
    assert ENTRIES == [{"name": "a"}, {"name": "b", "scan_on_push": False}]


def test_without_defaults_the_list_is_returned_as_given():
    assert estate_repositories(ENTRIES, defaults={}) is ENTRIES
    # Not a list: the same merging as with defaults (the module then names what is wrong).
    assert estate_repositories(None, defaults={}) == []
    assert estate_repositories(("x",), defaults={}) == ["x"]
