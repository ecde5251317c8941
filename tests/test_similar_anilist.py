"""AniList's community recommendations: asked for in the detail query, parsed from recorded answers (and
hostile ones), kept by the enrichment store for similar-anime to use offline."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared_data import FIXTURES, require_shared

from anime_mcp.adapters.enrichment_sqlite import SqliteEnrichmentStore
from anime_mcp.core.enriched import RECOMMENDATIONS, values_from_record
from anime_mcp.core.errors import SourceError
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.sources import SourceRecord
from anime_mcp.plugins.sources.anilist import parse
from anime_mcp.plugins.sources.anilist.source import media_query

AT = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
BEBOP = "anilist/anime/media_1_cowboy-bebop.json"


def recorded(name: str) -> bytes:
    path = FIXTURES / name
    require_shared(path)
    return Path(path).read_bytes()


def test_the_detail_query_asks_for_what_the_recorded_answers_hold() -> None:
    query = " ".join(media_query(frozenset()).split())
    assert "recommendations(sort: [RATING_DESC, ID], perPage: 25) { nodes { rating" in query
    assert "mediaRecommendation { id idMal type format title { romaji userPreferred } }" in query


def test_cowboy_bebop_recommendations_from_the_recorded_answer() -> None:
    record = parse.parse_anime(recorded(BEBOP), fetched_at=AT)
    assert "recommendations" in record.fields
    top = record.recommendations[0]
    assert (top.platform_id, top.votes, top.title) == (
        PlatformId(Platform.ANILIST, "205"),
        1140,
        "Samurai Champloo",
    )
    votes = [r.votes for r in record.recommendations]
    assert votes == sorted(votes, reverse=True) and all(v > 0 for v in votes)


def test_an_answer_without_the_block_says_nothing_about_recommendations() -> None:
    record = parse.parse_anime(recorded("anilist/anime/media_1_cowboy-bebop_small-query.json"), fetched_at=AT)
    assert record.recommendations == () and "recommendations" not in record.fields


def test_recommendations_go_to_the_enrichment_store_and_back(tmp_path: Path) -> None:
    record = parse.parse_anime(recorded(BEBOP), fetched_at=AT)
    values = values_from_record(record, "anilist")
    stored = [v for v in values if v.field == RECOMMENDATIONS]
    assert stored and stored[0].value[0] == {
        "platform_id": "anilist:205",
        "votes": 1140,
        "title": "Samurai Champloo",
    }
    store = SqliteEnrichmentStore(tmp_path)
    try:
        store.put([("mal-1", values)])
        anime = store.get("mal-1")
        assert anime is not None
        assert anime.recommended()[0] == ("anilist", "anilist:205", 1140)
    finally:
        store.close()


def test_term_counts_count_anime_per_genre(tmp_path: Path) -> None:
    record = parse.parse_anime(recorded(BEBOP), fetched_at=AT)
    store = SqliteEnrichmentStore(tmp_path)
    try:
        store.put(
            [("mal-1", values_from_record(record, "anilist")), ("mal-2", values_from_record(record, "x"))]
        )
        counts, total = store.term_counts()
        assert total == 2 and counts["action"] == 2
    finally:
        store.close()


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner, max_size=4),
    max_leaves=20,
)
_NODE = st.fixed_dictionaries(
    {},
    optional={
        "rating": _JSON,
        "mediaRecommendation": _JSON
        | st.fixed_dictionaries({"id": _JSON}, optional={"type": _JSON, "title": _JSON}),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(block=_JSON | st.fixed_dictionaries({"nodes": _JSON | st.lists(_NODE | _JSON, max_size=5)}))
def test_a_hostile_recommendations_block_is_a_record_or_a_typed_error(block: Any) -> None:
    doc = json.loads(recorded(BEBOP))
    doc["data"]["Media"]["recommendations"] = block
    try:
        record = parse.parse_anime(json.dumps(doc), fetched_at=AT)
    except SourceError:
        return
    assert isinstance(record, SourceRecord)
    assert all(r.votes > 0 and r.platform_id.platform is Platform.ANILIST for r in record.recommendations)
