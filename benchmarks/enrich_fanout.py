"""Enrichment fan-out: four sources replayed with injected latency each; the merged ``get_anime_details``
answer should arrive in about the time of the slowest source, not the sum (issue #10: at most 1.3 x).

    .venv/bin/python benchmarks/enrich_fanout.py [--latency 0.2] [--rounds 20]

Self-contained: a temporary home holding Cowboy Bebop's catalogue entry, and recordings from
../shared/fixtures added with ``anime-mcp sources recording add``: Cowboy Bebop's real answers from Kitsu,
AniList and MyAnimeList (through Jikan); AniDB has no Cowboy Bebop document there, so its request (aid 23)
is answered with the recorded Seikai no Monshou document (aid 1), a stand-in that is parsed and merged like
any answer (the timing is what this measures, not the merged content). One ``anime-mcp serve`` replays them
with ``ANIME_MCP_REPLAY_LATENCY``. The four sources are made uncacheable (``[sources.<id>] cacheable =
false``), so every round really waits for them, and get a generous rate limit, so that AniDB's one request
per 2 s does not turn a fan-out measurement into a politeness one. Each round times every source alone,
then all four together, over REST.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from replayed_deployment import catalogue_home, outcomes, record, serve
from stats import markdown_table, summary_ms

JIKAN = {"ANIME_MCP_JIKAN_URL": "https://api.jikan.moe/v4"}  # MAL through Jikan: no client id needed
SOURCES = {
    "kitsu": ("fetch kitsu:1", "kitsu/anime/anime_1_cowboy-bebop.json"),
    "anilist": ("fetch anilist:1", "anilist/anime/media_1_cowboy-bebop.json"),
    "mal": ("fetch mal:1", "jikan/anime/anime-full_1_cowboy-bebop_2025.json"),
    "anidb": ("fetch anidb:23", "anidb/anime/anime_1_seikai-no-monshou.xml"),  # the stand-in
}
POLICY = "cacheable = false\nrate_limits = [{requests = 1000, per_seconds = 1}]\n"
FIELDS = ["synopsis", "score", "episodes", "genres"]


def timed(http: httpx.Client, sources: list[str]) -> float:
    started = time.perf_counter()
    response = http.post(
        "/api/tools/get_anime_details",
        json={"anime_id": "mal:1", "fields": FIELDS, "sources": sources},
    )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    got = outcomes(response.json())
    if set(got.values()) != {"contributed"} or sorted(got) != sorted(sources):
        raise RuntimeError(f"not every source contributed: {got}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency", type=float, default=0.2, help="seconds each replayed answer takes")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="anime-mcp-fanout-") as temp:
        root = Path(temp)
        home = catalogue_home(root, ["Cowboy Bebop"])
        folder = root / "recordings"
        record(home, folder, [(source, call, file) for source, (call, file) in SOURCES.items()], **JIKAN)
        (home / "config.toml").write_text("".join(f"[sources.{s}]\n{POLICY}\n" for s in SOURCES))
        env = {"ANIME_MCP_REPLAY": str(folder), "ANIME_MCP_REPLAY_LATENCY": str(args.latency), **JIKAN}
        with serve(home, **env) as url, httpx.Client(base_url=url, timeout=60) as http:
            names = list(SOURCES)
            for _ in range(3):  # warm up: connections, imports, the catalogue
                timed(http, names)
            alone: dict[str, list[float]] = {name: [] for name in names}
            together: list[float] = []
            for _ in range(args.rounds):
                for name in names:
                    alone[name].append(timed(http, [name]))
                together.append(timed(http, names))
    rows = [(name, *summary_ms(samples).values()) for name, samples in alone.items()]
    rows.append(("all four together", *summary_ms(together).values()))
    print(markdown_table(["sources", "n", "median ms", "p95 ms", "max ms"], rows))
    slowest = max(statistics.median(samples) for samples in alone.values())
    summed = sum(statistics.median(samples) for samples in alone.values())
    merged = statistics.median(together)
    print(
        f"\ninjected latency {args.latency * 1000:.0f} ms per request, {args.rounds} rounds: "
        f"merged median {merged * 1000:.1f} ms = {merged / slowest:.2f} x the slowest source alone "
        f"({slowest * 1000:.1f} ms); the sum of the four would be {summed * 1000:.1f} ms "
        f"({merged / summed:.2f} x). Target: at most 1.3 x."
    )


if __name__ == "__main__":
    main()
