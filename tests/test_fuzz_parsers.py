"""One fuzz table for every parser in the project: each either returns its normal type or raises the typed
error it documents, never a raw TypeError, KeyError, AttributeError, IndexError, UnicodeError, ...

Inputs: random bytes or text, real recorded responses from ../shared/fixtures cut short, and those responses
with one JSON value replaced or removed (one XML element changed for XML). Every source parser is listed by
hand: a parser added to a source and not to ``TABLE`` is caught by ``test_every_public_parser_is_listed``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import io
import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import pytest
import zstandard
from attrs import frozen
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from parser_support import (
    assert_valid_output,
    json_bytes,
    json_mutations,
    json_values,
    xml_bytes,
    xml_mutations,
)
from shared_data import CATALOGUE, DATA, FIXTURES, ROOT, require_shared

from anime_mcp.adapters.anime_mapper_dump import AnimeMapperDump
from anime_mcp.adapters.aod_reader import AodJsonlReader, AodJsonReader
from anime_mcp.adapters.http.faults import parse_faults
from anime_mcp.adapters.image_decoding import decode_image
from anime_mcp.adapters.xml_safety import parse_xml
from anime_mcp.core.errors import (
    AnimeMcpError,
    CatalogueError,
    ImageRejected,
    NotAnAnimeReference,
    SourceError,
)
from anime_mcp.core.filters import SearchFilters
from anime_mcp.core.references import IdReference, TitleReference, parse_reference
from anime_mcp.core.sources import Page, SourceRecord
from anime_mcp.entrypoints.settings import ConfigError, Settings
from anime_mcp.entrypoints.source_settings import parse_source_overrides
from anime_mcp.entrypoints.tools.base import ToolInputError
from anime_mcp.entrypoints.tools.filter_grammar import cli_filters, parse_range, to_filters
from anime_mcp.entrypoints.tools.schemas import FILTERS
from anime_mcp.ports.catalogue import ReadResult
from anime_mcp.ports.image_embedder import RgbImage

FILTERS_SCHEMA = Draft202012Validator(FILTERS)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))  # per parser; FUZZ_EXAMPLES=500 for a long run
FETCHED_AT = dt.datetime(2026, 6, 26, 12, 0, tzinfo=dt.UTC)
SCRATCH = Path(tempfile.mkdtemp(prefix="anime-mcp-fuzz-"))  # files for the parsers that read paths


@frozen
class Entry:
    """One parser: how to call it on a fuzzed input, what it returns, and the errors it may raise."""

    name: str
    call: Callable[[Any], object]
    returns: type | tuple[type, ...]
    raises: type[Exception] | tuple[type[Exception], ...]
    seeds: Sequence[str] = ()  # ../shared/fixtures paths, or "repo:" / "data:" / "text:" / "test:" seeds
    kind: str = "bytes"  # bytes, text or object: what the strategy makes
    check: Callable[[Any], None] | None = None  # invariants of a returned value, beyond its type


# --- the source parsers ------------------------------------------------------------------------------
def _source(platform: str) -> Any:
    return importlib.import_module(f"anime_mcp.plugins.sources.{platform}.parse")


def _record(platform: str, function: str = "parse_anime") -> Callable[[bytes], object]:
    return lambda body: getattr(_source(platform), function)(body, fetched_at=FETCHED_AT)


def _plain(platform: str, function: str) -> Callable[[bytes], object]:
    return lambda body: getattr(_source(platform), function)(body)  # noqa: PLW0108 - imported when called


def _detect(platform: str) -> Callable[[bytes], object]:
    return lambda body: [_source(platform).detect_error(s, body, headers={}) for s in (200, 404, 503)]


LIST, ERRORS = list, list
ANIDB_ANIME = (
    "anidb/anime/anime_12676_henna-abc_music-video.xml",
    "anidb/anime/anime_18325_the-one-piece_upcoming.xml",
    "anidb/anime/anime_10077_goannai-shimasu-another-world-e.xml",
)  # detect_error: one answer (a SourceError or None) per status
SOURCES: dict[str, dict[str, tuple[Callable[[bytes], object], type | tuple[type, ...], tuple[str, ...]]]] = {
    "anidb": {
        "parse_anime": (
            _record("anidb"),
            SourceRecord,
            (
                "anidb/anime/anime_13077_ai-think-so_music-video.xml",
                "anidb/error/error_anime-not-found.xml",
                "anidb/anime/anime_10889_hibike-euphonium_2017.xml",
                "anidb/anime/anime_18325_the-one-piece_upcoming.xml",
                "anidb/anime/anime_12676_henna-abc_music-video.xml",
                "anidb/anime/anime_10077_goannai-shimasu-another-world-e.xml",
            ),
        ),
        "parse_episodes": (
            _plain("anidb", "parse_episodes"),
            Page,
            ANIDB_ANIME,
        ),
        "parse_characters": (
            _plain("anidb", "parse_characters"),
            LIST,
            ANIDB_ANIME,
        ),
        "parse_staff": (
            _plain("anidb", "parse_staff"),
            LIST,
            ANIDB_ANIME,
        ),
        "detect_error": (
            _detect("anidb"),
            ERRORS,
            ("anidb/error/web_nginx-403-forbidden.html", "anidb/error/error_anime-not-found.xml"),
        ),
    },
    "anilist": {
        "parse_anime": (
            _record("anilist"),
            SourceRecord,
            (
                "anilist/anime/media_135643_grimm_status-null.json",
                "anilist/anime/media_1_cowboy-bebop.json",
                "anilist/anime/media_235_meitantei-conan_releasing.json",
                "anilist/anime/media_20912_hibike-euphonium_2018.json",
                "anilist/anime/media_1_cowboy-bebop_small-query.json",
                "anilist/anime/media_108617_somali-to-mori-no-kamisama.json",  # recommendations
            ),
        ),
        "parse_anime_list": (
            _record("anilist", "parse_anime_list"),
            LIST,
            ("anilist/season/page_season_fall-2017_releasing.json",),
        ),
        "parse_search": (
            _plain("anilist", "parse_search"),
            LIST,
            ("anilist/season/page_season_fall-2017_releasing.json",),
        ),
        "page_info": (
            _plain("anilist", "page_info"),
            tuple,
            ("anilist/season/page_season_fall-2017_releasing.json",),
        ),
        "parse_characters": (
            _plain("anilist", "parse_characters"),
            LIST,
            (
                "anilist/anime/media_1_cowboy-bebop.json",
                "anilist/anime/media_20912_hibike-euphonium_2018.json",
            ),
        ),
        "parse_staff": (_plain("anilist", "parse_staff"), LIST, ("anilist/anime/media_1_cowboy-bebop.json",)),
        "parse_schedule": (
            _plain("anilist", "parse_schedule"),
            LIST,
            ("anilist/season/page_season_fall-2017_releasing.json",),
        ),
        "detect_error": (
            _detect("anilist"),
            ERRORS,
            ("anilist/anime/media_1_cowboy-bebop_small-query.json",),
        ),
    },
    "animeschedule": {
        "parse_anime": (
            _record("animeschedule"),
            SourceRecord,
            ("animeschedule/anime/anime_cowboy-bebop.json",),
        ),
        "parse_anime_list": (
            _record("animeschedule", "parse_anime_list"),
            LIST,
            ("animeschedule/search/anime-search_anidb-4880_naruto-shippuuden.json",),
        ),
        "parse_search": (
            _plain("animeschedule", "parse_search"),
            LIST,
            ("animeschedule/search/anime-search_anidb-4880_naruto-shippuuden.json",),
        ),
        "parse_schedule": (
            _plain("animeschedule", "parse_schedule"),
            LIST,
            (
                "animeschedule/schedule/timetables_sub_2026-w01.json",
                "animeschedule/schedule/timetables_sub_2026-w38.json",
            ),
        ),
        "detect_error": (
            _detect("animeschedule"),
            ERRORS,
            ("animeschedule/error/anime-search_not-found.txt",),
        ),
    },
    "ann": {
        "parse_anime": (
            _record("ann"),
            SourceRecord,
            ("animenewsnetwork/anime/api_anime_1-5-100-4658_batch.xml",),
        ),
        "parse_anime_batch": (
            _record("ann", "parse_anime_batch"),
            LIST,
            ("animenewsnetwork/anime/api_anime_1-5-100-4658_batch.xml",),
        ),
        "parse_search": (
            _plain("ann", "parse_search"),
            LIST,
            ("animenewsnetwork/anime/api_anime_1-5-100-4658_batch.xml", "test:test_parse_ann.REPORT"),
        ),
        "parse_episodes": (
            _plain("ann", "parse_episodes"),
            Page,
            ("animenewsnetwork/anime/api_anime_1-5-100-4658_batch.xml",),
        ),
        "parse_staff": (
            _plain("ann", "parse_staff"),
            LIST,
            ("animenewsnetwork/anime/api_anime_1-5-100-4658_batch.xml",),
        ),
        "parse_characters": (
            _plain("ann", "parse_characters"),
            LIST,
            ("animenewsnetwork/anime/api_anime_1-5-100-4658_batch.xml",),
        ),
        "detect_error": (
            _detect("ann"),
            ERRORS,
            ("animenewsnetwork/error/api_warning_people-ignored.xml", "test:test_parse_ann.REPORT"),
        ),
    },
    "kitsu": {
        "parse_anime": (
            _record("kitsu"),
            SourceRecord,
            (
                "kitsu/anime/anime_45567_a-pawn_no-included.json",
                "kitsu/anime/anime_1376_death-note.json",
                "kitsu/anime/anime_11260_tobidasu-pripara.json",
                "test:test_parse_kitsu._with_mappings",
            ),
        ),
        "parse_search": (
            _plain("kitsu", "parse_search"),
            LIST,
            ("kitsu/anime/anime_45567_a-pawn_no-included.json", "kitsu/anime/anime_1376_death-note.json"),
        ),
        "parse_episodes": (
            _plain("kitsu", "parse_episodes"),
            Page,
            ("kitsu/anime/anime_11260_tobidasu-pripara.json", "test:test_parse_kitsu.EPISODES_PAGE"),
        ),
        "parse_streaming_links": (
            _plain("kitsu", "parse_streaming_links"),
            LIST,
            ("kitsu/anime/anime_1376_death-note.json", "test:test_parse_kitsu.STREAMING_LINKS"),
        ),
        "detect_error": (_detect("kitsu"), ERRORS, ("kitsu/error/dead-entry_49936_empty-data.json",)),
    },
    "mal": {
        "parse_anime": (
            _record("mal"),
            SourceRecord,
            (
                "jikan/anime/anime_1_cowboy-bebop_2026.json",
                "jikan/anime/anime-full_1_cowboy-bebop_2025.json",
                "repo:tests/data/mal_api_v2/anime_30230.json",
            ),
        ),
        "parse_anime_list": (
            _record("mal", "parse_anime_list"),
            LIST,
            ("repo:tests/data/mal_api_v2/season_2015_spring.json",),
        ),
        "parse_search": (
            _plain("mal", "parse_search"),
            LIST,
            (
                "repo:tests/data/mal_api_v2/search_diamond.json",
                "test:test_parse_mal.MAL_V2_SEARCH",
                "jikan/anime/anime-full_1_cowboy-bebop_2025.json",
            ),
        ),
        "parse_episodes": (
            _plain("mal", "parse_episodes"),
            Page,
            ("jikan/episodes/episodes_1_cowboy-bebop_2026.json",),
        ),
        "parse_characters": (
            _plain("mal", "parse_characters"),
            LIST,
            ("jikan/characters/characters_1_cowboy-bebop_2026.json",),
        ),
        "parse_staff": (_plain("mal", "parse_staff"), LIST, ("jikan/staff/staff_1_cowboy-bebop_2026.json",)),
        "parse_schedule": (
            _plain("mal", "parse_schedule"),
            LIST,
            ("jikan/schedule/schedules_monday_2026.json",),
        ),
        "detect_format": (
            _plain("mal", "detect_format"),
            str,
            ("jikan/anime/anime_1_cowboy-bebop_2026.json", "repo:tests/data/mal_api_v2/anime_30230.json"),
        ),
        "detect_error": (_detect("mal"), ERRORS, ("repo:tests/data/mal_api_v2/error_not_found.json",)),
    },
    "notify": {
        "parse_anime": (
            _record("notify"),
            SourceRecord,
            (
                "notify/anime/anime_gLmp5FimR_monster.json",
                "notify/anime/anime_0-A-5Fimg_death-note.json",
                "notify/anime/anime_xnKYKwHVg_bartender-kami-no-glass_upcoming.json",
            ),
        ),
        "parse_relations": (
            _plain("notify", "parse_relations"),
            LIST,
            ("notify/relations/animerelations_uLs5tKiig_free.json",),
        ),
        "detect_error": (
            _detect("notify"),
            ERRORS,
            ("notify/anime/anime_rTgwpFmmg_kobutori-1957_nulls.json",),
        ),
    },
    "simkl": {
        "parse_anime": (
            _record("simkl"),
            SourceRecord,
            ("simkl/anime/api_anime_40398_hunter-x-hunter_extended.json",),
        ),
        "parse_search": (
            _plain("simkl", "parse_search"),
            LIST,
            (
                "simkl/search/api_search-anime_hunter-x-hunter_extended.json",
                "simkl/search/api_anime-best.json",
            ),
        ),
        "parse_episodes": (
            _plain("simkl", "parse_episodes"),
            Page,
            ("simkl/episodes/api_anime-episodes_shingeki-no-kyojin.json",),
        ),
        "detect_error": (
            _detect("simkl"),
            ERRORS,
            ("simkl/anime/api_anime_40398_hunter-x-hunter_summary.json",),
        ),
    },
    # scraped pages: random bytes and the real pages cut short
    "anisearch": {
        "parse_anime": (
            _record("anisearch"),
            SourceRecord,
            (
                "anisearch/anime/anime_3633_death-note.html",
                "anisearch/anime/anime_4410_hack-gu-returner_jsonld-without-name.html",
            ),
        ),
        "parse_relations": (
            _plain("anisearch", "parse_relations"),
            LIST,
            ("anisearch/relations/relations_4942_ghost-in-the-shell-2-0.html",),
        ),
        "detect_error": (_detect("anisearch"), ERRORS, ("anisearch/anime/anime_10941_00-08.html",)),
    },
    "mal_web": {
        "parse_anime": (
            _record("mal_web"),
            SourceRecord,
            (
                "myanimelist/anime/anime_1535_death-note.html",
                "myanimelist/anime/anime_55571_macross-shinsaku_no-picture.html",
            ),
        ),
        "detect_error": (
            _detect("mal_web"),
            ERRORS,
            ("myanimelist/anime/anime_30559_why_no-alt-titles.html",),
        ),
    },
    "anidb_web": {
        "parse_anime": (
            _record("anidb_web"),
            SourceRecord,
            (
                "anidb/anime/web_anime_10137_ikite-iru_no-picture.html",
                "anidb/error/web_anime_14248_deleted-entry.html",
            ),
        ),
        "detect_error": (_detect("anidb_web"), ERRORS, ("anidb/error/web_anime_4906_anti-leech.html",)),
    },
    "animeplanet": {
        "parse_anime": (
            _record("animeplanet"),
            SourceRecord,
            (
                "animeplanet/anime/anime_mainichi-jk-kikaku_no-tags.html",
                "animeplanet/anime/anime_the-idolmaster-million-live_no-jsonld.html",
                "animeplanet/error/dead-entry_search-results-komi-san.html",
            ),
        ),
        "detect_error": (
            _detect("animeplanet"),
            ERRORS,
            ("animeplanet/error/dead-entry_search-results-komi-san.html",),
        ),
    },
    "livechart": {
        "parse_anime": (
            _record("livechart"),
            SourceRecord,
            (
                "livechart/anime/anime_3437_death-note.html",
                "livechart/anime/anime_2685_yuri-on-ice-movie_canceled-no-season.html",
                "livechart/error/anime_1_excluded-from-database.html",
            ),
        ),
        "detect_error": (
            _detect("livechart"),
            ERRORS,
            ("livechart/error/anime_1_excluded-from-database.html",),
        ),
    },
    "ann_web": {
        "parse_anime": (
            _record("ann_web"),
            SourceRecord,
            ("animenewsnetwork/anime/web_anime_22002_ojamajo-doremi-owarai-gekijou_no-score.html",),
        ),
        "detect_error": (
            _detect("ann_web"),
            ERRORS,
            ("animenewsnetwork/anime/web_anime_30584_frank_no-genres.html",),
        ),
    },
    "simkl_web": {
        "parse_anime": (
            _record("simkl_web"),
            SourceRecord,
            ("simkl/anime/web_anime_39311_ochou-fujin-no-gensou_no-studios.html",),
        ),
        "detect_error": (
            _detect("simkl_web"),
            ERRORS,
            ("simkl/anime/web_anime_642681_kobito-to-ao-mushi_no-picture.html",),
        ),
    },
}


# --- the other parsers -------------------------------------------------------------------------------
def _scratch(name: str, content: bytes | str) -> Path:
    path = SCRATCH / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content)
    return path


def read_jsonl(body: bytes) -> tuple[ReadResult, list[object]]:
    result = AodJsonlReader().read(_scratch("catalogue.jsonl", body), strict=False)
    return result, list(result.entries)


def read_dump(body: bytes) -> list[object]:
    return list(AnimeMapperDump().read(_scratch("dump.jsonl", body)))


def read_json(body: bytes) -> tuple[ReadResult, list[object]]:
    result = AodJsonReader().read(_scratch("catalogue.json", body), strict=False)
    return result, list(result.entries)


def _toml(value: Any) -> str:
    """A JSON value as a TOML value (inline tables and arrays; null has no TOML form: the empty string)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    if value is None:
        return '""'
    return json.dumps(value)


def load_settings_values(config: Any) -> Settings:
    """config.toml with the tables and values of a (mutated) JSON object, so types rather than syntax vary."""
    lines = [
        f"{json.dumps(str(k))} = {_toml(v)}" for k, v in (config.items() if isinstance(config, dict) else [])
    ]
    return load_settings("\n".join(lines) + "\n")


CLI_FILTER_OPTIONS = ("years", "episodes", "seasons", "types", "statuses", "platforms", "tags", "studios")


def cli_filters_each(text: str) -> list[object]:
    """``cli_filters`` with the fuzzed text as each option in turn: a filters object (turned into
    ``SearchFilters`` by ``to_filters`` when the tools' schema accepts it) or a ``ToolInputError``."""
    answers: list[object] = []
    for option in CLI_FILTER_OPTIONS:
        value: Any = text if option in ("years", "episodes") else [text]
        try:
            raw = cli_filters(**{option: value})
        except ToolInputError as exc:
            answers.append(exc)
            continue
        answers.append(filters_object(raw))  # out-of-range numbers are the schema's to refuse, downstream
    return answers


def filters_object(raw: Any) -> SearchFilters | None:
    """``to_filters`` on any object the tools' ``filters`` schema accepts (None: the schema refused it)."""
    return to_filters(raw) if FILTERS_SCHEMA.is_valid(raw) else None


def load_settings(toml: str) -> Settings:
    home = SCRATCH / "home"
    _scratch("home/config.toml", toml)
    return Settings.load({"ANIME_MCP_HOME": str(home)})


SETTINGS_ENV = (
    "ANIME_MCP_LOG_FORMAT",
    "ANIME_MCP_LOG_LEVEL",
    "ANIME_MCP_EMBED_THREADS",
    "ANIME_MCP_MAX_BODY_BYTES",
    "ANIME_MCP_WORKERS",
    "ANIME_MCP_TRACING",
    "ANIME_MCP_WARM_UP",
    "ANIME_MCP_LOAD_PLUGINS",
    "ANIME_MCP_TRACE_PLUGINS",
)


def settings_from_env(value: str) -> list[object]:
    """Each environment variable with a checked value set to the fuzzed text, one at a time."""
    home = str(SCRATCH / "empty-home")
    answers: list[object] = []
    for name in SETTINGS_ENV:
        try:
            answers.append(Settings.load({"ANIME_MCP_HOME": home, name: value.replace("\x00", "")}))
        except ConfigError as exc:
            answers.append(exc)
    return answers


CONFIG_SEED = """
[catalogue]
source = "/data/anime-offline-database.jsonl.zst"
[log]
format = "json"
level = "info"
[search]
model = "all-MiniLM-L6-v2"
embed_threads = 2
exact = true
hnsw_m = 16
[serve]
workers = 4
tracing = "off"
warm_up = false
[plugins]
load = ["mal", "anilist"]
[sources.mal]
rate_limits = [{requests = 3, per_seconds = 1}, {requests = 60, per_seconds = 60}]
read_timeout = 10
"""
CONFIG_OBJECT = {
    "catalogue": {"source": "/data/aod.jsonl.zst", "url": "https://example.org/aod.jsonl.zst"},
    "log": {"format": "json", "level": "info"},
    "search": {"model": "all-MiniLM-L6-v2", "embed_threads": 2, "exact": True, "hnsw_m": 16, "hnsw_ef": 64},
    "serve": {"workers": 4, "tracing": "off", "warm_up": False, "max_body_bytes": 4096, "admin_token": "t"},
    "plugins": {"load": ["mal", "anilist"], "disable": [], "trace": False, "embedder": "onnx_text"},
    "sources": {"mal": {"rate_limits": [{"requests": 3, "per_seconds": 1}], "read_timeout": 10}},
}
FILTERS_SEED = {
    "year_min": 2000,
    "year_max": 2010,
    "types": ["TV", "MOVIE"],
    "seasons": ["FALL"],
    "statuses": ["FINISHED"],
    "tags": ["comedy"],
    "exclude_tags": ["kids"],
    "studios": ["madhouse"],
    "episodes_min": 1,
    "episodes_max": 26,
    "min_score": 7.5,
    "platforms": ["anilist"],
}
OVERRIDES_SEED = {
    "mal": {"rate_limits": [{"requests": 3, "per_seconds": 1}], "read_timeout": 10, "cache_ttl": 3600},
    "anidb": {"max_retries": 2},
}
REFERENCE_SEEDS = (
    "text:mal:1535",
    "text:anilist:1535",
    "text:https://myanimelist.net/anime/1535/Death_Note",
    "text:https://kitsu.io/anime/1376",
    "text:https://www.anime-planet.com/anime/death-note",
    "text:https://anidb.net/anime/4563",
    "text:mal-1535",
    "text:steins gate",
    "text:animeplanet:death-note",
)

OTHERS = [
    Entry(
        "adapters.anime_mapper_dump.AnimeMapperDump",
        read_dump,
        list,
        CatalogueError,
        ("test:test_enrichment_store.dump_head",),
    ),
    Entry(
        "adapters.aod_reader.AodJsonlReader",
        read_jsonl,
        tuple,
        CatalogueError,
        ("data:jsonl", "data:jsonl.zst"),
    ),
    Entry(
        "adapters.aod_reader.AodJsonReader",
        read_json,
        tuple,
        CatalogueError,
        ("data:examples/death-note.aod.json",),
    ),
    Entry(
        "adapters.xml_safety.parse_xml",
        parse_xml,
        Element,
        SourceError,
        (
            "anidb/anime/anime_13077_ai-think-so_music-video.xml",
            "animenewsnetwork/error/api_warning_people-ignored.xml",
        ),
    ),
    Entry(
        "core.references.parse_reference",
        parse_reference,
        (IdReference, TitleReference),
        NotAnAnimeReference,
        REFERENCE_SEEDS,
        kind="text",
    ),
    Entry(
        "entrypoints.tools.filter_grammar.parse_range",
        lambda text: parse_range(text, "--year"),
        tuple,
        ToolInputError,
        ("text:2000-2010", "text:2000..2010", "text:2000", "text:2000-", "text:-2010", "text: 1 - 26 "),
        kind="text",
    ),
    Entry(
        "entrypoints.tools.filter_grammar.cli_filters",
        cli_filters_each,
        list,
        ToolInputError,
        ("text:TV,MOVIE", "text:fall", "text:myanimelist", "text:2000-2010", "text:comedy, school"),
        kind="text",
    ),
    Entry(
        "entrypoints.tools.filter_grammar.to_filters",
        filters_object,
        (SearchFilters, type(None)),
        ToolInputError,
        ("object:filters",),
        kind="object",
    ),
    Entry(
        "entrypoints.settings.Settings.load (config.toml)",
        load_settings,
        Settings,
        ConfigError,
        ("text:" + CONFIG_SEED,),
        kind="text",
    ),
    Entry(
        "entrypoints.settings.Settings.load (environment)",
        settings_from_env,
        list,
        ConfigError,
        ("text:4", "text:json", "text:true", "text:mal,anilist"),
        kind="text",
    ),
    Entry(
        "entrypoints.settings.Settings.load (config.toml values)",
        load_settings_values,
        Settings,
        ConfigError,
        ("object:config",),
        kind="object",
    ),
    Entry(
        "entrypoints.source_settings.parse_source_overrides",
        parse_source_overrides,
        dict,
        ConfigError,
        ("object:overrides",),
        kind="object",
    ),
    Entry(
        "adapters.http.faults.parse_faults",
        parse_faults,
        tuple,
        ValueError,
        ("text:503:0.1,429:0.05,timeout:0.05,reset:0.02",),
        kind="text",
    ),
    Entry(
        "adapters.image_decoding.decode_image",
        decode_image,
        RgbImage,
        ImageRejected,
        tuple(f"test:test_image_decoding.SEED_{kind}" for kind in ("PNG", "JPEG", "GIF", "WEBP")),
    ),
]
# The filter parsers: they moved from core/search.py (IntRange.parse, parse_filters) to the tools' one
# filter grammar (entrypoints/tools/filter_grammar.py) while this table was written; imported from there.


def _typed_answers(answers: list[object]) -> None:
    assert all(isinstance(a, SourceError | None) for a in answers), answers


TABLE: list[Entry] = [
    Entry(
        f"plugins.sources.{platform}.parse.{function}",
        call,
        returns,
        SourceError,
        seeds,
        check=_typed_answers if function == "detect_error" else assert_valid_output,
    )
    for platform, functions in SOURCES.items()
    for function, (call, returns, seeds) in functions.items()
] + OTHERS


# --- seeds and strategies ----------------------------------------------------------------------------
def _trim(value: Any, items: int = 3) -> Any:
    """Every list cut to its first items: a small real document whose mutations stay cheap."""
    if isinstance(value, list):
        return [_trim(v, items) for v in value[:items]]
    if isinstance(value, dict):
        return {k: _trim(v, items) for k, v in value.items()}
    return value


def _catalogue_head(lines: int = 6) -> bytes:
    with require_shared(CATALOGUE).open("rb") as fh:
        stream = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(fh))
        return b"".join(itertools.islice(stream, lines))


def _test_document(reference: str) -> bytes:
    """``test:module.NAME``: a hand-written document of a parser test module (bytes, JSON value, or a
    function making either), kept there beside the assertions about it."""
    module, _, name = reference.rpartition(".")
    value = getattr(importlib.import_module(module), name)
    value = value() if callable(value) else value
    return value if isinstance(value, bytes) else json.dumps(value, ensure_ascii=False).encode()


def seed_documents(entry: Entry) -> list[Any]:
    documents: list[Any] = []
    for seed in entry.seeds:
        scheme, _, rest = seed.partition(":")
        if scheme == "text":
            documents.append(rest)
        elif scheme == "object":
            documents.append(
                {"overrides": OVERRIDES_SEED, "config": CONFIG_OBJECT, "filters": FILTERS_SEED}[rest]
            )
        elif scheme == "repo":
            documents.append((ROOT / rest).read_bytes())
        elif scheme == "test":
            documents.append(_test_document(rest))
        elif seed == "data:jsonl":
            documents.append(_catalogue_head())
        elif seed == "data:jsonl.zst":
            documents.append(zstandard.ZstdCompressor().compress(_catalogue_head()))
        elif scheme == "data":
            documents.append(require_shared(DATA / rest).read_bytes())
        else:
            documents.append(require_shared(FIXTURES / seed).read_bytes())
    return [_small(document) for document in documents]


def _small(document: Any) -> Any:
    if isinstance(document, bytes) and document.lstrip()[:1] in (b"{", b"["):
        try:
            return json.dumps(_trim(json.loads(document)), ensure_ascii=False).encode()
        except ValueError:
            return document  # jsonl: several documents
    return document


def _is_json(document: bytes) -> bool:
    try:
        json.loads(document)
    except ValueError:
        return False
    return True


def _is_xml(document: bytes) -> bool:
    try:
        parse_xml(document)
    except SourceError:
        return False
    return True


def _jsonl_mutations(document: bytes) -> st.SearchStrategy[bytes]:
    lines = document.splitlines(keepends=True)

    def mutate(index: int) -> st.SearchStrategy[bytes]:
        return json_mutations(lines[index]).map(
            lambda line: b"".join([*lines[:index], line + b"\n", *lines[index + 1 :]])
        )

    return st.integers(0, len(lines) - 1).flatmap(mutate)


def _text_mutations(text: str) -> st.SearchStrategy[str]:
    cut = st.integers(0, len(text))
    return st.tuples(cut, cut, st.text(max_size=8)).map(
        lambda t: text[: min(t[0], t[1])] + t[2] + text[max(t[0], t[1]) :]
    )


def strategy(entry: Entry) -> st.SearchStrategy[Any]:
    seeds = seed_documents(entry)
    if entry.kind == "object":
        return (
            json_values
            | st.sampled_from(seeds)
            | json_mutations(json.dumps(seeds[0]).encode()).map(json.loads)
        )
    if entry.kind == "text":
        return st.one_of(st.text(max_size=200), *(_text_mutations(s) for s in seeds))
    options: list[st.SearchStrategy[bytes]] = [st.binary(max_size=500), st.text(max_size=200).map(str.encode)]
    if any(_is_json(document) for document in seeds):
        options.append(json_bytes())  # random well-formed documents: the parsers' type checks
    if any(_is_xml(document) for document in seeds):
        options.append(xml_bytes())
    for document in seeds:
        options.append(st.integers(0, max(len(document) - 1, 0)).map(lambda n, d=document: d[:n]))
        if _is_json(document):
            options.append(json_mutations(document))
        elif _is_xml(document):
            options.append(xml_mutations(document))
        elif entry.name.endswith("AodJsonlReader") and not document.startswith(b"\x28\xb5\x2f\xfd"):
            options.append(_jsonl_mutations(document))
    return st.one_of(*options)


# --- the test ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module", autouse=True)
def _remove_scratch() -> Iterator[None]:
    yield
    shutil.rmtree(SCRATCH, ignore_errors=True)


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="FUZZ_EXAMPLES" not in os.environ,  # fixed inputs, unless asked for a longer random run
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


@pytest.mark.parametrize("entry", TABLE, ids=[e.name for e in TABLE])
def test_parser_returns_its_type_or_a_typed_error(entry: Entry) -> None:
    @FUZZ
    @given(document=strategy(entry))
    def fuzz(document: Any) -> None:
        try:
            result = entry.call(document)
        except entry.raises:
            return
        except AnimeMcpError as exc:
            why = f"{type(exc).__name__} is not among {entry.raises}: {exc}"
            pytest.fail(f"{entry.name}: {why}\ninput: {document!r:.600}")
        except Exception as exc:  # noqa: BLE001 - the point of the test
            pytest.fail(f"{entry.name}: a raw {type(exc).__name__} escaped: {exc}\ninput: {document!r:.600}")
        assert isinstance(result, entry.returns), f"{entry.name} returned {type(result).__name__}"
        if entry.check is not None:
            entry.check(result)

    fuzz()


def test_every_public_parser_is_listed() -> None:
    """A new ``parse_*``/``detect_*``/``page_info`` function in a source must join the table (aliases of a
    listed function count as listed)."""
    for platform, listed in SOURCES.items():
        module = _source(platform)
        covered = {getattr(module, name) for name in listed}
        missing = sorted(
            name
            for name, value in inspect.getmembers(module, inspect.isfunction)
            if value.__module__.endswith(f"{platform}.parse")
            and (name.startswith(("parse_", "detect_")) or name == "page_info")
            and value not in covered
        )
        assert not missing, f"{platform}: not fuzzed: {missing}"


def test_every_built_in_source_is_in_the_table() -> None:
    """A source added to plugins/sources (one entry-point line) fails here until its parsers are fuzzed."""
    from importlib.metadata import entry_points

    built_in = {
        ep.value.split(".")[3]
        for ep in entry_points(group="anime_mcp")
        if ep.value.startswith("anime_mcp.plugins.sources.")
    }
    assert built_in == set(SOURCES)
