"""Shared fixtures and the two test layers. The read-only data lives outside the repository, in ../shared (see
shared_data.py); never copy it in. A missing ../shared fails the whole run at once, with a message.

Layers: ``pytest -m "not slow and not integration"`` is the fast unit layer (pure code, tiny models, recorded
responses). ``integration`` marks, by module (INTEGRATION below), the tests that start processes or servers,
run the real MiniLM model, or ingest and index real catalogue slices; ``slow`` marks the few that build
virtual environments or read the whole catalogue. ``bash .ci/run`` runs the fast layer first, then the rest.
"""

from __future__ import annotations

import io
import itertools
import os
import re
from pathlib import Path

import pytest
import zstandard
from hypothesis import settings
from shared_data import CATALOGUE, FIXTURES, SHARED, missing_message, missing_shared, require_shared

from anime_mcp.adapters.aod_reader import AodJsonlReader
from anime_mcp.core.catalogue import CatalogueMetadata
from anime_mcp.core.models import CatalogueEntry

SLICE_ENTRIES = 200

# Hypothesis: "ci" (the default) keeps property tests without their own example count fast in the unit layer;
# HYPOTHESIS_PROFILE=thorough runs 500 examples each. Tests that set max_examples themselves keep it.
settings.register_profile("ci", max_examples=30)
settings.register_profile("thorough", max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Modules whose tests start subprocesses or servers, run the real all-MiniLM-L6-v2 model, or ingest and index
# real catalogue slices: the second layer. Everything else is the fast unit layer.
INTEGRATION = frozenset(
    {
        "test_catalogue_contract",  # the SQLite store filled from a real catalogue slice
        "test_access_shared",  # per-key rate limits through a real redis-server
        "test_scale_out",  # two anime-mcp serve processes on one port with a real redis-server
        "test_answer_cache",  # the real MiniLM model (query vectors) and an ingested home
        "test_cache_redis",  # a real redis-server (tests/redis_support.py)
        "test_bench",  # anime-mcp bench: MiniLM, index builds, a redis-server
        "test_bench_quality",  # bench's quality group on an ingested home
        "test_bench_serving",  # bench's serve group: serve and mcp processes, wrk
        "test_bench_replayed",  # bench's sources group: serve processes, a redis-server
        "test_bench_data",  # bench's data group: ingests, imports, processes
        "test_story_search",  # the real MiniLM over a 57-entry slice with its dump synopses
        "test_catalogue_download",  # a local HTTP server
        "test_scraping_live",  # a local HTTP server (robots.txt, the cloudscraper transport)
        "test_cli_catalogue",  # ingests real catalogue slices
        "test_cli_enrich",  # anime-mcp enrich in subprocesses, one killed with SIGKILL
        "test_cli_plugins",  # anime-mcp in subprocesses
        "test_embedder_contract",  # the real MiniLM model
        "test_embedder_onnx",  # the real MiniLM model
        "test_enrichment_mcp",  # the MCP SDK server and client (in process)
        "test_example_source",  # a virtual environment
        "test_index_contract",  # two Qdrant engines
        "test_inspector",  # Node and the MCP Inspector
        "test_mcp_stdio",  # anime-mcp mcp in a subprocess
        "test_search_link",  # child processes on the search pipe
        "test_search_process",  # the search processes of anime-mcp mcp: MiniLM, an indexed home
        "test_startup",  # a fresh interpreter imports the command module
        "test_source_start",  # fresh interpreters composing the app
        "test_mcp_fuzz",  # hypothesis through the MCP SDK server and the lean stdio session, ~20 s
        "test_schemathesis",  # schemathesis against the app (ASGI), ~8 s
        "test_crash_safety",  # anime-mcp ingest killed with SIGKILL, in subprocesses
        "test_models_export",  # torch and transformers
        "test_models_install",  # a loopback hub, the real MiniLM model, quickstart
        "test_doctor",  # an ingested, indexed home (MiniLM)
        "test_first_run_venv",  # a virtual environment, the built wheel and sdist, pipx
        "test_plugins_venv",  # a virtual environment
        "test_redis_coordination",  # a real redis-server (tests/redis_support.py)
        "test_rest_api",  # an ingested, indexed home (MiniLM)
        "test_search_cli",  # ingest + search with MiniLM
        "test_search_indexing",
        "test_search_reindex",
        "test_serve",  # anime-mcp serve
        "test_shared_serve",  # two anime-mcp serve processes and a real redis-server
        "test_shared_data",  # pytest in a subprocess
        "test_tools_cli",  # an ingested, indexed home (MiniLM)
        "test_image_fetch_server",  # a local HTTP server (the SSRF guard's redirects, caps, deadline)
        "test_image_search_mcp",  # the MCP SDK in process; the tiny CLIP exported with torch
        "test_update",  # anime-mcp update in subprocesses, one killed with SIGKILL (MiniLM)
        "test_disk_full",  # ingest under RLIMIT_FSIZE in subprocesses (MiniLM)
    }
)


def pytest_sessionstart(session: pytest.Session) -> None:
    """No ../shared, no run: say what is missing before collecting anything (never skip silently)."""
    missing = missing_shared()
    if missing:
        raise pytest.UsageError(missing_message(missing))


def _excludes_integration(markexpr: str) -> bool:
    """Whether ``-m markexpr`` deselects every test of an integration module, whatever its other marks."""
    if not markexpr:
        return False
    try:
        from _pytest.mark.expression import Expression

        expression = Expression.compile(markexpr)
    except (ImportError, SyntaxError):
        return False
    names = sorted(set(re.findall(r"[A-Za-z_][\w.]*", markexpr)) - {"and", "or", "not", "integration"})[:8]
    for values in itertools.product((False, True), repeat=len(names)):
        marks = {"integration": True, **dict(zip(names, values, strict=True))}
        if expression.evaluate(lambda name, /, _marks=marks, **kwargs: _marks.get(name, False)):
            return False
    return True


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The fast layer does not even import the integration modules (some import torch: seconds)."""
    if collection_path.stem in INTEGRATION and _excludes_integration(config.option.markexpr):
        return True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark by module (INTEGRATION), and by what a test uses: an ingested, indexed home (serve_support's
    ``ingested_home``: MiniLM and a subprocess) is integration; the whole catalogue (``full_catalogue``) is
    slow, as the marker says."""
    for item in items:
        module = item.module
        name = module.__name__.rpartition(".")[2] if module is not None else ""
        if name in INTEGRATION or hasattr(module, "ingested_home"):
            item.add_marker(pytest.mark.integration)
        if "full_catalogue" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared data folder (../shared from the repository root)."""
    return SHARED


@pytest.fixture(scope="session")
def shared_fixtures() -> Path:
    """../shared/fixtures, the recorded platform responses (fails the test, never skips, when missing)."""
    return require_shared(FIXTURES)


@pytest.fixture(scope="session")
def catalogue_path() -> Path:
    return CATALOGUE


@pytest.fixture(scope="session")
def catalogue_slice_lines(catalogue_path: Path) -> list[bytes]:
    """Line 1 (metadata) and the first SLICE_ENTRIES entry lines of the real catalogue, as raw bytes."""
    with catalogue_path.open("rb") as fh:
        stream = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(fh))
        lines = list(itertools.islice(stream, SLICE_ENTRIES + 1))
    assert len(lines) == SLICE_ENTRIES + 1
    return lines


@pytest.fixture(scope="session")
def full_catalogue(catalogue_path: Path) -> tuple[CatalogueMetadata, list[CatalogueEntry]]:
    """The whole real catalogue read once per session (strict: any malformed line fails the session)."""
    result = AodJsonlReader().read(catalogue_path, strict=True)
    entries = list(result.entries)
    assert result.skipped == []
    return result.metadata, entries
