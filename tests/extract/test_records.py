"""records.replace: the harvest's fast `dataclasses.replace`."""
from __future__ import annotations

import dataclasses

import pytest

from extract.records import replace


def test_replace_is_dataclasses_replace(seed_records):
    events = [e for record in seed_records.values() for e in record.events]
    assert events
    for event in events:
        for changes in ({}, {"places": ()}, {"certainty": "negated", "agents": event.targets}):
            mine, theirs = replace(event, **changes), dataclasses.replace(event, **changes)
            assert mine == theirs and type(mine) is type(theirs)
            assert mine is not event
        for claim in event.claims:
            assert replace(claim, killed=7) == dataclasses.replace(claim, killed=7)


def test_replace_refuses_unknown_fields(seed_records):
    event = next(e for record in seed_records.values() for e in record.events)
    with pytest.raises(TypeError):
        replace(event, no_such_field=1)
