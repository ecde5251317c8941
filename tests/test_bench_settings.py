"""``anime-mcp bench``'s workload settings and self-contained workloads, through the CLI: ``--param`` read as
the default's type (a bad value names the setting), a name given twice adds to the list, a workload that
builds its own home runs with no home or model configured, ``warm_up``/``passes`` decide how often it runs,
and ``--list`` shows every group with its settings."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import ClassVar

import click
import pytest
import structlog
from attrs import define
from click.testing import CliRunner

from anime_mcp.entrypoints.bench.context import read_param
from anime_mcp.entrypoints.bench.session import select_workloads
from anime_mcp.entrypoints.bench.workloads import host_groups
from anime_mcp.entrypoints.bootstrap import Overrides
from anime_mcp.entrypoints.cli.app import cli
from anime_mcp.entrypoints.cli.bench import parse_params
from anime_mcp.entrypoints.settings import ConfigError
from anime_mcp.ports import hookimpl
from anime_mcp.ports.hookspecs import Register
from anime_mcp.ports.plugin_host import PluginHost, PluginSelection
from anime_mcp.ports.workload import WorkloadContext, WorkloadResult

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from _bench import bench_arguments  # noqa: E402


def test_a_param_is_read_as_the_type_of_its_default() -> None:
    given = {"rounds": "3", "latency": "0.25", "cold": "yes", "base": "~/tree", "env": "A=1,B=2"}
    assert read_param(given, "rounds", 1) == 3
    assert read_param(given, "latency", 0.1) == 0.25
    assert read_param(given, "cold", False) is True
    assert read_param(given, "base", Path()) == Path("~/tree").expanduser()
    assert read_param(given, "env", "") == "A=1,B=2"
    assert read_param(given, "missing", 7) == 7
    with pytest.raises(ConfigError, match="--param rounds='x': expected int"):
        read_param({"rounds": "x"}, "rounds", 1)
    with pytest.raises(ConfigError, match="--param cold='maybe'"):
        read_param({"cold": "maybe"}, "cold", False)


def test_params_are_name_value_pairs_and_a_repeated_name_adds_to_the_list() -> None:
    assert parse_params(("env=A=1", "env=B=2", "search-baseline=true")) == {
        "env": "A=1,B=2",
        "search_baseline": "true",
    }
    with pytest.raises(click.BadParameter, match="NAME=VALUE"):
        parse_params(("rounds",))


@define
class Countdown:
    """A third party's self-contained workload: writes a file in the workdir, counts down ``steps``."""

    name: str = "countdown"
    description: str = "counts down in its own folder"
    varies: frozenset[str] = frozenset()
    judged: bool = False
    warm_up: ClassVar[bool] = False
    passes: ClassVar[int] = 2
    self_contained: ClassVar[bool] = True
    parameters: ClassVar[dict[str, str]] = {"steps": "3: how far to count"}
    runs: int = 0

    def run(self, context: WorkloadContext) -> WorkloadResult:
        self.runs += 1
        steps = context.param("steps", 3)
        context.progress(f"counting {steps}")
        (context.workdir / f"run-{self.runs}").write_text(str(steps))
        return WorkloadResult(
            tuple(0.002 for _ in range(steps)),
            extra={"steps": steps},
            details={"shared": str(context.shared_dir), "run": self.runs},
        )


@define
class Broken:
    """A workload with a bug: its row says so, and the run goes on."""

    name: str = "broken"
    description: str = "raises"
    varies: frozenset[str] = frozenset()
    judged: bool = False
    self_contained: ClassVar[bool] = True

    def run(self, context: WorkloadContext) -> WorkloadResult:
        raise RuntimeError("boom")


def host_with(*workloads: object) -> PluginHost:
    plugin = types.ModuleType("bench_countdown_plugin")

    @hookimpl
    def register_workloads(register: Register) -> None:
        for workload in workloads:
            register(workload)

    plugin.register_workloads = register_workloads  # type: ignore[attr-defined]
    host = PluginHost(trace=False)
    host.load_entry_points(PluginSelection())
    host.register_module("countdown", plugin)
    return host


def test_a_self_contained_workload_runs_with_no_home_or_model(tmp_path: Path) -> None:
    workload = Countdown()
    empty = tmp_path / "empty-home"
    empty.mkdir()
    env = {"ANIME_MCP_HOME": str(empty), "ANIME_MCP_MODEL": "", "ANIME_MCP_LOG_LEVEL": "warning"}
    args = ["bench", "broken", "countdown", "--param", "steps=4", "--workdir", str(tmp_path / "work")]
    args += ["--shared", str(tmp_path), "--out", str(tmp_path / "out"), "--json"]
    host = host_with(Broken(), workload)
    result = CliRunner().invoke(cli, args, env=env, obj={"overrides": Overrides(plugins=host)})
    structlog.reset_defaults()
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    broken, row = report["rows"]
    assert broken["skipped"] == "failed: RuntimeError: boom"  # a bug in one workload fails its row only
    assert workload.runs == 2  # no warm-up pass, two timed passes whatever --repeat says
    assert row["n"] == 8 and row["p50_ms"] == pytest.approx(2.0)
    assert row["throughput_per_s"] is None  # its pass sets itself up: no ops/s
    assert row["extra"] == {"steps": 4} and row["details"] == {"shared": str(tmp_path), "run": 2}
    assert report["header"]["settings"]["params"] == {"steps": "4"}
    assert report["header"]["catalogue"] is None  # nothing composed, nothing opened
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["run-1", "run-2"]


def test_list_shows_every_group_with_the_settings_of_each_workload(tmp_path: Path) -> None:
    host = host_with(Countdown())
    env = {"ANIME_MCP_HOME": str(tmp_path), "ANIME_MCP_LOG_LEVEL": "warning"}
    result = CliRunner().invoke(
        cli, ["bench", "--list", "--json"], env=env, obj={"overrides": Overrides(plugins=host)}
    )
    structlog.reset_defaults()
    assert result.exit_code == 0, result.output
    listed = {row["name"]: row for row in json.loads(result.stdout)}
    assert listed["countdown"]["group"] == "plugins" and listed["countdown"]["parameters"] == {
        "steps": "3: how far to count"
    }
    groups = {row["group"] for row in listed.values()}
    assert {"search", "serve", "quality", "sources", "data"} <= groups
    assert "base" in listed["serve-wrk"]["parameters"]


def test_groups_choose_host_workloads_and_all_means_the_plugins_workloads() -> None:
    groups = host_groups()
    registered = [Countdown()]
    assert [w.name for w in select_workloads(registered, ["all"], groups)] == ["countdown"]
    chosen = [w.name for w in select_workloads(registered, ["serve", "countdown"], groups)]
    assert chosen[-1] == "countdown" and "serve-wrk" in chosen and "serve-mcp-start" in chosen
    with pytest.raises(ConfigError, match=r"unknown workload .nope.*serve"):
        select_workloads(registered, ["nope"], groups)


def test_a_script_s_command_line_becomes_a_bench_run() -> None:
    args, env = bench_arguments(
        ["serve-wrk"], ["--home", "H", "--rounds=2", "--cold", "--json", "--out", "O"]
    )
    assert args == [
        "bench",
        "serve-wrk",
        "--param",
        "rounds=2",
        "--param",
        "cold=true",
        "--json",
        "--out",
        "O",
    ]
    assert env == {"ANIME_MCP_HOME": "H"}
    assert bench_arguments(["x"], ["--help"])[0] == ["bench", "x", "--list"]
    with pytest.raises(SystemExit, match="--name VALUE"):
        bench_arguments(["x"], ["stray"])


def test_judged_figures_are_the_rank_of_the_first_relevant_answer() -> None:
    from types import SimpleNamespace

    from anime_mcp.ports.workload import entries_with_tags, rank_of_first, recall_and_mrr

    assert rank_of_first(["a", "b", "c"], frozenset({"c", "b"})) == 2
    assert rank_of_first([str(i) for i in range(20)], frozenset({"15"})) is None  # beyond the first 10
    assert recall_and_mrr([1, None, 4, 2]) == {"recall@10": 0.75, "mrr": (1 + 0.25 + 0.5) / 4}
    assert recall_and_mrr([]) == {}
    catalogue = SimpleNamespace(
        entries=lambda: [
            SimpleNamespace(anime_id="x", tags=("mecha", "space")),
            SimpleNamespace(anime_id="y", tags=("mecha",)),
        ]
    )
    assert entries_with_tags(catalogue, [["mecha"], ["mecha", "space"], ["idol"]]) == [
        {"x", "y"},
        {"x"},
        set(),
    ]
