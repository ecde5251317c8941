"""On-demand answers fill the enrichment store: what get_anime_details fetched live (Kitsu's Death Note
recording, test_rest_api's in-process client) is written beside the catalogue; a repeat served from the
response cache writes nothing more."""

from __future__ import annotations

from pathlib import Path

from serve_support import ingested_home
from test_rest_api import home, make_client

from anime_mcp.adapters.enrichment_sqlite import SqliteEnrichmentStore

__all__ = ["home", "ingested_home"]  # the ingested, indexed home (MiniLM): marks the module integration


def test_get_anime_details_writes_what_arrived_live_to_the_store(home: Path) -> None:
    with make_client(home, deadline=2.5) as client:
        response = client.post(
            "/api/tools/get_anime_details", json={"anime_id": "mal:1535", "fields": ["synopsis", "score"]}
        )
        assert response.status_code == 200, response.text
        store = SqliteEnrichmentStore(home)
        try:
            anime = store.get("mal-1535")
            assert anime is not None
            kitsu = {v.field: v for v in anime.values if v.source == "kitsu"}
            assert "shinigami" in kitsu["synopsis"].value and kitsu["synopsis"].language == "en"
            assert kitsu["score"].value["scale"] == 100.0 and "kitsu.app" in (kitsu["synopsis"].url or "")
            written = store.counts()
            again = client.post(
                "/api/tools/get_anime_details", json={"anime_id": "mal:1535", "fields": ["synopsis"]}
            )
            assert again.status_code == 200 and store.counts() == written
        finally:
            store.close()
