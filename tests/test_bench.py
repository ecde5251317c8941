"""``anime-mcp bench`` end to end on a small home: two embedders (the real MiniLM and a tiny model), the two
index backends, the three cache settings with a real redis-server, two sources replayed from the real
recordings of ../shared/fixtures; every artefact opened and checked (table, JSON, PNG, SVG, HTML). And a
third-party workload registered through ``register_workloads`` runs like the built-in ones."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest
import structlog
from click.testing import CliRunner
from PIL import Image
from search_support import write_tiny_model
from serve_support import environment, ingested_home
from shared_data import CATALOGUE, FIXTURES, require_shared

from anime_mcp.entrypoints.bootstrap import Overrides
from anime_mcp.entrypoints.cli.app import cli
from anime_mcp.ports import hookimpl
from anime_mcp.ports.hookspecs import Register
from anime_mcp.ports.plugin_host import PluginHost, PluginSelection
from anime_mcp.ports.workload import WorkloadContext, WorkloadResult

pytestmark = pytest.mark.integration  # the real MiniLM, index builds, a redis-server

SEARCH_WORKLOADS = {"title-lookup", "hybrid-search", "filtered-search", "similar", "narrative-search"}
RECORDED = {
    "kitsu": ("fetch kitsu:1", "kitsu/anime/anime_1_cowboy-bebop.json"),
    "anilist": ("fetch anilist:1", "anilist/anime/media_1_cowboy-bebop.json"),
}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ingested_home(tmp_path_factory)


@pytest.fixture
def runner() -> Iterator[CliRunner]:
    yield CliRunner()
    structlog.reset_defaults()


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed_html(path: Path) -> Tags:
    parser = Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def bench(runner: CliRunner, home: Path, *args: str, obj: dict[str, object] | None = None) -> str:
    result = runner.invoke(cli, ["bench", *args], env=environment(home), obj=obj)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_search_workloads_compare_embedders_and_index_backends(
    runner: CliRunner, home: Path, tmp_path: Path
) -> None:
    tiny = write_tiny_model(tmp_path / "tiny-8")
    out = tmp_path / "out"
    output = bench(
        runner,
        home,
        "search",
        "cold-start",
        "--embedders",
        f"{environment(home)['ANIME_MCP_MODEL']},{tiny}",
        "--indexes",
        "edge,qdrant-local",
        "--repeat",
        "1",
        "--out",
        str(out),
    )
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    rows = report["rows"]
    header = report["header"]
    assert header["machine"]["cpus"] >= 1
    assert header["versions"]["anime-mcp"] and header["versions"]["onnxruntime"]
    assert header["catalogue"]["entries"] > 50
    assert set(header["models"]) == {"all-MiniLM-L6-v2-onnx", "tiny-8"}
    assert {r["workload"] for r in rows} == {*SEARCH_WORKLOADS, "cold-start"}
    by = {(r["workload"], r["varied"], r["configuration"]): r for r in rows}
    minilm = by[("title-lookup", "embedder", "all-MiniLM-L6-v2-onnx")]
    assert minilm["skipped"] is None and minilm["index_reused"] is True  # the home's own index
    assert minilm["quality"]["recall@10"] > 0 and 0 < minilm["quality"]["mrr"] <= 1
    assert minilm["p50_ms"] <= minilm["p95_ms"] <= minilm["p99_ms"]
    assert minilm["throughput_per_s"] > 0 and minilm["peak_heap_mib"] > 0 and minilm["max_rss_mib"] > 0
    tiny_row = by[("title-lookup", "embedder", "tiny-8")]
    assert tiny_row["index_reused"] is False and tiny_row["build_s"] > 0  # built for this model
    local = by[("hybrid-search", "index", "qdrant-client local (server code path)")]
    edge = by[("hybrid-search", "index", "qdrant-edge (embedded)")]
    assert local["quality"] and local["quality"]["recall@10"] == pytest.approx(
        edge["quality"]["recall@10"], abs=0.1
    )
    assert by[("similar", "index", "qdrant-edge (embedded)")]["quality"] == {}  # not judged
    assert by[("narrative-search", "embedder", "all-MiniLM-L6-v2-onnx")]["quality"]["recall@10"] >= 0
    cold = [r for r in rows if r["workload"] == "cold-start"]
    assert [r["varied"] for r in cold] == ["embedder", "embedder"] and all(r["p50_ms"] > 0 for r in cold)
    assert len(header["machine"]["load_average"]) == 3  # how busy the machine was, beside the figures

    for workload in SEARCH_WORKLOADS:
        with Image.open(out / f"latency-{workload}.png") as image:
            assert image.format == "PNG" and image.width > 300 and image.height > 100
        ElementTree.parse(out / f"latency-{workload}.svg")
    with Image.open(out / "quality-vs-latency.png") as image:
        assert image.size[0] > 300 and image.size[1] > 200
    page = parsed_html(out / "report.html")
    assert "table" in page.tags and page.tags.count("svg") >= len(SEARCH_WORKLOADS) + 1
    assert "qdrant-client local (server code path)" in "".join(page.text)
    assert "img" not in page.tags  # self-contained: every figure inline
    for name in (*SEARCH_WORKLOADS, "recall@10", "qdrant-client local", "written:"):
        assert name in output


def test_a_kept_workdir_reuses_the_index_it_built_until_rebuild_is_asked(
    runner: CliRunner, home: Path, tmp_path: Path
) -> None:
    tiny = write_tiny_model(tmp_path / "tiny-8")
    workdir = tmp_path / "kept"

    def index_row(*extra: str) -> dict[str, object]:
        out = tmp_path / f"out-{len(list(tmp_path.iterdir()))}"
        args = ["title-lookup", "--embedders", str(tiny), "--repeat", "1", "--workdir", str(workdir)]
        bench(runner, home, *args, *extra, "--out", str(out))
        (row,) = json.loads((out / "report.json").read_text(encoding="utf-8"))["rows"]
        return dict(row)

    first = index_row()
    assert first["index_reused"] is False and float(str(first["build_s"])) > 0
    assert (workdir / "tiny-8-edge" / "index").is_dir()  # kept after the run
    second = index_row()
    assert second["index_reused"] is True and second["build_s"] is None
    assert second["quality"] == first["quality"]  # the same index answers the same
    third = index_row("--rebuild")
    assert third["index_reused"] is False and float(str(third["build_s"])) > 0


def test_timed_queries_are_embedded_every_time_not_answered_from_the_query_memory(tmp_path: Path) -> None:
    from anime_mcp.adapters.onnx_embedder import OnnxTextEmbedder
    from anime_mcp.entrypoints.bench.context import without_query_memory

    embedder = OnnxTextEmbedder(write_tiny_model(tmp_path / "tiny-8"))
    embedder.embed_query("kept from before")
    assert len(embedder._queries) == 1  # the embedder's own memory, on by default
    loaded = without_query_memory(lambda: embedder)()
    assert loaded is embedder
    first, second = loaded.embed_query("cowboy bebop"), loaded.embed_query("cowboy bebop")
    assert first == second and len(embedder._queries) == 0


def test_enrichment_compares_caches_and_sources_replayed(
    runner: CliRunner, home: Path, tmp_path: Path
) -> None:
    from anime_mcp.entrypoints.bootstrap import bootstrap
    from anime_mcp.entrypoints.replay_setup import add_recorded_answer
    from anime_mcp.entrypoints.settings import Settings

    recordings = tmp_path / "recordings"
    app = bootstrap(Settings.load(environ=environment(home)))
    sources = {s.info.id: s for s in app.plugins.sources()}
    for source, (call, fixture) in RECORDED.items():
        added = add_recorded_answer(app, sources[source], call, FIXTURES / fixture, recordings)
        assert added.file is not None, added
    out = tmp_path / "out"
    output = bench(
        runner,
        home,
        "enrichment",
        "--recordings",
        str(recordings),
        "--replay-latency",
        "0.05",
        "--caches",
        "none,memory,redis",
        "--sources",
        "each",
        "--repeat",
        "2",
        "--out",
        str(out),
        "--json",
    )
    report = json.loads(output)  # --json: the report alone on stdout
    assert report == json.loads((out / "report.json").read_text(encoding="utf-8"))
    rows = {(r["varied"], r["configuration"]): r for r in report["rows"]}
    assert set(rows) == {
        ("cache", "none"),
        ("cache", "memory"),
        ("cache", "redis"),
        ("source", "all"),
        ("source", "anilist"),
        ("source", "kitsu"),
    }
    for row in rows.values():
        assert row["skipped"] is None, row
        assert row["extra"]["contributed"] == 1.0, row
    # Uncached, every answer waits for the injected 50 ms; cached ones do not.
    assert rows[("cache", "none")]["p50_ms"] >= 50
    assert rows[("cache", "memory")]["p50_ms"] < rows[("cache", "none")]["p50_ms"]
    with Image.open(out / "latency-enrichment.png") as image:
        assert image.width > 300
    assert "svg" in parsed_html(out / "report.html").tags


def test_ingest_workload_compares_embedders_and_index_backends(
    runner: CliRunner, home: Path, tmp_path: Path
) -> None:
    tiny = write_tiny_model(tmp_path / "tiny-8")
    out = tmp_path / "out"
    output = bench(
        runner,
        home,
        "ingest",
        "--catalogue",
        str(require_shared(CATALOGUE)),
        "--ingest-entries",
        "40",
        "--embedders",
        f"{environment(home)['ANIME_MCP_MODEL']},{tiny}",
        "--indexes",
        "edge,qdrant-local",
        "--repeat",
        "1",
        "--out",
        str(out),
        "--json",
    )
    rows = {(r["varied"], r["configuration"]): r for r in json.loads(output)["rows"]}
    assert set(rows) == {
        ("embedder", "all-MiniLM-L6-v2-onnx"),
        ("embedder", "tiny-8"),
        ("index", "qdrant-edge (embedded)"),
        ("index", "qdrant-client local (server code path)"),
    }
    for row in rows.values():
        assert row["skipped"] is None, row
        extra = row["extra"]
        assert extra["entries"] == 40 and extra["entries_per_s"] > 0, row
        assert extra["store_s"] > 0 and extra["index_build_s"] > 0
        assert row["peak_heap_mib"] > 0 and row["max_rss_mib"] > 0 and row["p50_ms"] > 0
        assert "build_s" not in row  # ingesting never built the home's index
    # the tiny model embeds faster than MiniLM
    tiny_row, minilm = rows[("embedder", "tiny-8")], rows[("embedder", "all-MiniLM-L6-v2-onnx")]
    assert tiny_row["extra"]["index_build_s"] < minilm["extra"]["index_build_s"]
    with Image.open(out / "latency-ingest.png") as image:
        assert image.width > 300


def test_ingest_without_a_release_says_so(runner: CliRunner, home: Path, tmp_path: Path) -> None:
    output = bench(runner, home, "ingest", "--repeat", "1", "--out", str(tmp_path), "--json")
    (row,) = json.loads(output)["rows"]
    assert row["skipped"] == "no catalogue release to sample (bench --catalogue FILE)"


def test_enrichment_under_injected_faults(runner: CliRunner, home: Path, tmp_path: Path) -> None:
    from anime_mcp.entrypoints.bootstrap import bootstrap
    from anime_mcp.entrypoints.replay_setup import add_recorded_answer
    from anime_mcp.entrypoints.settings import Settings

    recordings = tmp_path / "recordings"
    app = bootstrap(Settings.load(environ=environment(home)))
    sources = {s.info.id: s for s in app.plugins.sources()}
    for source, (call, fixture) in RECORDED.items():
        add_recorded_answer(app, sources[source], call, FIXTURES / fixture, recordings)

    def contributed(faults: str) -> dict[str, object]:
        output = bench(
            runner,
            home,
            "enrichment",
            "--recordings",
            str(recordings),
            "--replay-latency",
            "0",
            "--replay-faults",
            faults,
            "--caches",
            "none",
            "--repeat",
            "1",
            "--out",
            str(tmp_path / "out"),
            "--json",
        )
        report = json.loads(output)
        assert report["header"]["settings"]["replay_faults"] == (faults or None)
        (row,) = report["rows"]
        assert row["skipped"] is None
        extra: dict[str, object] = row["extra"]
        return extra

    assert contributed("")["contributed"] == 1.0
    failing = contributed("503:1")  # every request fails: no source contributes
    assert failing["contributed"] == 0.0
    assert set(failing["not_contributed"]) == {"kitsu", "anilist"}  # type: ignore[arg-type]
    bad = ["bench", "enrichment", "--replay-faults", "200:0.1", "--out", str(tmp_path)]
    result = runner.invoke(cli, bad, env=environment(home))
    assert result.exit_code == 2 and "--replay-faults" in result.output and "400-599" in result.output


class WordCount:
    """A third party's workload: counts catalogue titles, one sample per title."""

    name = "title-words"
    description = "words per catalogue title"
    varies = frozenset({"embedder"})
    judged = False

    def run(self, context: WorkloadContext) -> WorkloadResult:
        words = [len(entry.title.split()) for entry in context.catalogue.entries()]
        return WorkloadResult(tuple(0.001 for _ in words), extra={"titles": len(words)})


def test_a_workload_registered_by_a_plugin_runs(runner: CliRunner, home: Path, tmp_path: Path) -> None:
    plugin = types.ModuleType("bench_words_plugin")

    @hookimpl
    def register_workloads(register: Register) -> None:
        register(WordCount())

    plugin.register_workloads = register_workloads  # type: ignore[attr-defined]
    sys.modules.pop("bench_words_plugin", None)
    host = PluginHost(trace=False)
    host.load_entry_points(PluginSelection())
    host.register_module("words", plugin)
    assert "title-words" in [w.name for w in host.workloads()]
    assert [p["registered"] for p in host.list_plugins() if p["name"] == "words"] == [
        {"workloads": ["title-words"]}
    ]
    out = tmp_path / "out"
    output = bench(
        runner,
        home,
        "title-words",
        "--repeat",
        "2",
        "--out",
        str(out),
        "--json",
        obj={"overrides": Overrides(plugins=host)},
    )
    (row,) = json.loads(output)["rows"]
    assert row["workload"] == "title-words" and row["varied"] == "baseline"
    assert row["extra"]["titles"] > 50 and row["n"] == 2 * row["extra"]["titles"]
    assert row["p50_ms"] == pytest.approx(1.0)


def test_unknown_workload_is_a_clear_error(runner: CliRunner, home: Path, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["bench", "nope", "--out", str(tmp_path)], env=environment(home))
    assert result.exit_code == 1
    assert "unknown workload 'nope'" in result.output and "title-lookup" in result.output
