"""core/merging.py on real records: Death Note from Kitsu, AniDB and notify.moe (the real parsers on the
recordings in ../shared/fixtures) merged with the catalogue entry of death-note.aod.json.

Expected values are read from the recordings and the catalogue file here.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st
from shared_data import DATA, require_shared
from test_ratings import AOD, FETCHED_AT, death_note_entry, death_note_records

from anime_mcp.core.merging import (
    CATALOGUE,
    DEFAULT_POLICY,
    MERGED_FIELDS,
    CatalogueOrigin,
    Fetched,
    FieldRule,
    MergePolicy,
    merge,
)
from anime_mcp.core.models import Status


def aod_document() -> Any:
    return json.loads(require_shared(DATA / AOD).read_bytes())


def origin() -> CatalogueOrigin:
    doc = aod_document()
    return CatalogueOrigin(
        doc["repository"], dt.datetime.fromisoformat(doc["lastUpdate"]).replace(tzinfo=dt.UTC)
    )


def test_identity_fields_come_from_the_catalogue_with_the_others_as_alternatives() -> None:
    records = death_note_records()
    doc = aod_document()["data"][0]
    merged = merge(records.values(), death_note_entry(), catalogue=origin())
    assert merged.title is not None and merged.title.value == doc["title"]
    assert merged.title.provenance == origin().provenance()
    assert [a.source for a in merged.title.alternatives] == ["kitsu", "anidb", "notify"]  # IDENTITY_PRIORITY
    assert merged.value("episodes") == doc["episodes"] and merged.value("type") == doc["type"]
    episodes = merged.get("episodes")
    assert episodes is not None and episodes.source == CATALOGUE and not episodes.conflict
    assert {a.value for a in episodes.alternatives} == {r.episodes for r in records.values()}
    duration = merged.duration_seconds
    assert duration is not None and duration.value == doc["duration"]["value"]
    assert duration.conflict  # AniDB says 25 minutes, the catalogue 23
    anidb = next(a for a in duration.alternatives if a.source == "anidb")
    assert anidb.value == records["anidb"].duration_seconds
    assert anidb.provenance.url == records["anidb"].url


def test_synopsis_prefers_the_sites_that_write_them_and_keeps_every_one_per_source() -> None:
    records = death_note_records()
    merged = merge(records.values(), death_note_entry(), catalogue=origin())
    assert merged.synopsis is not None
    assert (merged.synopsis.value, merged.synopsis.source) == (records["kitsu"].synopsis, "kitsu")
    assert merged.synopsis.provenance.url == records["kitsu"].url
    assert merged.synopsis.provenance.fetched_at == FETCHED_AT
    assert [a.source for a in merged.synopsis.alternatives] == ["anidb", "notify"]
    assert [(s.source, s.texts) for s in merged.synopses] == [
        (p, (records[p].synopsis,)) for p in ("anidb", "kitsu", "notify")
    ]


def test_titles_are_kept_per_source() -> None:
    records = death_note_records()
    entry = death_note_entry()
    merged = merge(records.values(), entry, catalogue=origin())
    by_source = {t.source: t.texts for t in merged.titles}
    assert set(by_source) == {CATALOGUE, "anidb", "kitsu", "notify"}
    assert by_source[CATALOGUE][0] == entry.title and set(entry.synonyms) <= set(by_source[CATALOGUE])
    assert by_source["anidb"][0] == records["anidb"].title
    assert set(records["anidb"].titles) <= set(by_source["anidb"])


def test_a_field_only_one_source_has_comes_from_it() -> None:
    records = death_note_records()
    merged = merge(records.values(), death_note_entry())
    assert merged.streaming is not None and merged.streaming.source == "anidb"
    assert merged.streaming.value == records["anidb"].streaming and merged.streaming.alternatives == ()
    assert merged.start_date is not None and merged.start_date.source == "kitsu"  # catalogue has no dates


def test_status_newest_fetched_at_wins_over_priority() -> None:
    records = death_note_records()
    later = attrs.evolve(
        records["notify"], fetched_at=FETCHED_AT + dt.timedelta(hours=2), status=Status.ONGOING
    )
    merged = merge([records["kitsu"], records["anidb"], later], death_note_entry(), catalogue=origin())
    assert merged.status is not None
    assert (merged.status.value, merged.status.source) == (Status.ONGOING, "notify")
    assert merged.status.provenance.fetched_at == later.fetched_at
    assert merged.status.conflict
    assert merged.status.alternatives[-1].source == CATALOGUE  # the oldest (released 2025-05-02)
    # An identity field is not newest-wins: the catalogue still names the type.
    assert merged.type is not None and merged.type.source == CATALOGUE


def test_ties_are_broken_by_source_id() -> None:
    records = death_note_records()
    policy = DEFAULT_POLICY.with_rule("status", FieldRule(newest_wins=True))
    merged = merge(reversed(list(records.values())), policy=policy)
    assert merged.status is not None
    assert [merged.status.source, *(a.source for a in merged.status.alternatives)] == [
        "anidb",
        "kitsu",
        "notify",
    ]


def test_the_policy_is_data() -> None:
    records = death_note_records()
    policy = DEFAULT_POLICY.with_rule("synopsis", FieldRule(("anidb",))).with_rule(
        "title", FieldRule(("notify",))
    )
    merged = merge(records.values(), death_note_entry(), policy=policy)
    assert merged.synopsis is not None and merged.synopsis.source == "anidb"
    assert merged.title is not None and merged.title.source == "notify"
    assert policy.rule("episodes") == DEFAULT_POLICY.rule("episodes")
    assert MergePolicy((), default=FieldRule(("kitsu",))).rule("anything") == FieldRule(("kitsu",))


def test_cached_records_say_so_and_inputs_are_listed() -> None:
    records = death_note_records()
    merged = merge([Fetched(records["kitsu"], from_cache=True), records["anidb"]])
    assert merged.synopsis is not None and merged.synopsis.provenance.from_cache is True
    assert merged.title is not None and merged.title.source == "kitsu"  # no catalogue: then the priority list
    assert [(p.source, p.from_cache) for p in merged.sources] == [("anidb", False), ("kitsu", True)]


def test_nothing_given_merges_to_nothing() -> None:
    merged = merge([])
    assert all(merged.get(name) is None for name in MERGED_FIELDS)
    assert merged.titles == () and merged.synopses == () and merged.sources == ()


@settings(max_examples=30)
@given(st.permutations(["kitsu", "anidb", "notify"]), st.lists(st.booleans(), min_size=3, max_size=3))
def test_merging_does_not_depend_on_the_order_of_records(order: list[str], cached: list[bool]) -> None:
    records = death_note_records()
    inputs = {
        p: Fetched(records[p], from_cache=c)
        for p, c in zip(("kitsu", "anidb", "notify"), cached, strict=True)
    }
    entry = death_note_entry()
    assert merge([inputs[p] for p in order], entry) == merge(inputs.values(), entry)
