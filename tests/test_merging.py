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
    catalogue_filled,
    merge,
)
from anime_mcp.core.models import Status
from anime_mcp.core.sources import CharacterCredit


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
    # every synopsis is kept, in its language: all three write English, Kitsu's (SYNOPSIS_PRIORITY) first
    (english,) = merged.synopses
    assert english.language == "en"
    assert [(t.sources, t.text) for t in english.texts] == [
        ((p,), records[p].synopsis) for p in ("kitsu", "anidb", "notify")
    ]


def test_titles_are_kept_per_language_with_every_source_that_gave_them() -> None:
    records = death_note_records()
    entry = death_note_entry()
    merged = merge(records.values(), entry, catalogue=origin())
    by_language = {group.language: group.texts for group in merged.titles}
    # AniDB, Kitsu and notify all give the romaji title "Death Note"; AniDB calls it its main title
    romaji = by_language["ja-Latn"]
    assert romaji[0].text == records["anidb"].title == "Death Note"
    assert romaji[0].sources == ("kitsu", "anidb", "notify") and romaji[0].kinds[0] == "official"
    assert "main" in romaji[0].kinds
    assert [t.text for t in by_language["ja"]][:2] == [
        "デスノート",
        "DEATH NOTE",
    ]  # Kitsu before AniDB (IDENTITY_PRIORITY)
    # AniDB's languages only it gives (Arabic, Polish, ...) keep AniDB as their one source
    anidb_only = {t.language for t in records["anidb"].localized_titles} - {"ja-Latn", "ja", "en"}
    for language in anidb_only:
        assert all(t.sources == ("anidb",) for t in by_language[language])
    # the catalogue states no language: its titles known in some language are not repeated under "und"
    known = {t.text for group in merged.titles if group.language != "und" for t in group.texts}
    undetermined = [t for t in by_language.get("und", ()) if CATALOGUE in t.sources]
    assert {t.text for t in undetermined} == {entry.title, *entry.synonyms} - known
    assert merged.titles[-1].language == "und"
    assert [g.language for g in merged.titles[:-1]] == sorted(g.language for g in merged.titles[:-1])


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


def test_characters_and_staff_come_from_the_best_source_by_the_credits_priority() -> None:
    records = death_note_records()
    anidb = records["anidb"]
    assert anidb.characters and anidb.staff  # read from the same AniDB document (see test_parse_anidb)
    few = (CharacterCredit("L Lawliet", role="main"),)
    notify = attrs.evolve(records["notify"], characters=few, fields=records["notify"].fields | {"characters"})
    merged = merge([notify, *records.values()], death_note_entry())
    assert merged.characters is not None
    assert (merged.characters.source, merged.characters.value) == ("anidb", anidb.characters)
    assert [(a.source, a.value) for a in merged.characters.alternatives] == [("notify", few)]
    assert merged.staff is not None and merged.staff.value == anidb.staff
    assert merged.staff.provenance.url == anidb.url
    # the priority is data: a policy naming notify first takes notify's list
    policy = DEFAULT_POLICY.with_rule("characters", FieldRule(("notify",)))
    chosen = merge([notify, anidb], policy=policy).characters
    assert chosen is not None and chosen.source == "notify"
    # a record that was not asked for credits has none, and nothing is merged
    bare = attrs.evolve(anidb, characters=(), staff=(), fields=anidb.fields - {"characters", "staff"})
    assert merge([bare]).characters is None and merge([bare]).staff is None


def test_what_the_catalogue_fills_alone_is_what_merging_it_alone_fills() -> None:
    full = death_note_entry()
    sparse = attrs.evolve(full, episodes=0, studios=(), tags=(), synonyms=())
    for entry in (full, sparse):
        alone = merge((), entry)
        assert catalogue_filled(entry) == {n for n in MERGED_FIELDS if alone.get(n) is not None}
    assert "studios" in catalogue_filled(full) and "studios" not in catalogue_filled(sparse)


def test_merging_without_texts_leaves_titles_and_synopses_out_and_changes_nothing_else() -> None:
    records = death_note_records()
    with_texts = merge(records.values(), death_note_entry())
    without = merge(records.values(), death_note_entry(), texts=False)
    assert with_texts.titles and with_texts.synopses and without.titles == () == without.synopses
    assert all(with_texts.get(n) == without.get(n) for n in MERGED_FIELDS)


def test_merging_some_fields_gives_those_fields_as_merging_all_does_and_nothing_else() -> None:
    records = death_note_records()
    entry = death_note_entry()
    everything = merge(records.values(), entry, texts=False)
    some = merge(records.values(), entry, texts=False, fields={"synopsis", "episodes", "score"})
    assert some.get("synopsis") == everything.get("synopsis") and some.synopsis is not None
    assert some.get("episodes") == everything.get("episodes") and some.episodes is not None
    assert all(some.get(name) is None for name in MERGED_FIELDS if name not in {"synopsis", "episodes"})
    assert some.sources == everything.sources
