"""``models install NAME`` and ``quickstart`` through the real download code, against a loopback server laid
out like the Hugging Face hub and the catalogue's release host (tests/hub_support.py), serving
../shared/models/all-MiniLM-L6-v2-onnx and a small catalogue slice. Nothing leaves the machine."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
import pytest
from click.testing import CliRunner, Result
from hub_support import (
    MINILM_MODEL,
    RELEASE_PATH,
    FileHost,
    closed_port_url,
    file_host,
    write_catalogue_slice,
)
from onnx import numpy_helper
from shared_data import MINILM, require_shared

from anime_mcp.adapters.hub_download import hub_file_url
from anime_mcp.adapters.model_check import TOLERANCE, check_model, load_references
from anime_mcp.entrypoints.cli import app as cli_app

MODEL_PATH = f"/{MINILM_MODEL.repo}/resolve/{MINILM_MODEL.revision}/onnx/model.onnx"


def run(home: Path, *args: str, hub: str, env: dict[str, str] | None = None) -> Result:
    environment = {
        "ANIME_MCP_HOME": str(home),
        "ANIME_MCP_MODEL": "",
        "ANIME_MCP_QDRANT_URL": "",
        "ANIME_MCP_CATALOGUE": "",
        "ANIME_MCP_HF_ENDPOINT": hub,
        **(env or {}),
    }
    return CliRunner().invoke(cli_app.cli, list(args), env=environment, catch_exceptions=False)


@pytest.fixture
def hub() -> Iterator[FileHost]:
    require_shared(MINILM)
    with file_host() as host:
        host.serve_model()
        yield host


def hidden(models_dir: Path) -> list[str]:
    return [p.name for p in models_dir.iterdir() if p.name.startswith(".")] if models_dir.is_dir() else []


def test_the_stored_reference_vectors_are_the_shared_models_own(tmp_path: Path) -> None:
    # The package's reference file must describe the real model, or every install would be refused.
    check = check_model(MINILM, model="all-MiniLM-L6-v2", variant="fp32")
    assert check.passed and check.lowest > 0.99999, check
    references = load_references()
    assert len(references["sentences"]) == len(references["models"]["all-MiniLM-L6-v2"]["int8"]) == 4
    assert TOLERANCE == {"fp32": 0.9999, "int8": 0.995}


def test_install_downloads_checks_quantises_and_is_then_the_model(hub: FileHost, tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = run(home, "models", "install", "all-MiniLM-L6-v2", "--int8", hub=hub.url)
    assert result.exit_code == 0, result.output
    assert "installed all-MiniLM-L6-v2-int8" in result.stdout
    assert re.search(
        r"reproduced: fp32 cosine >= 1\.0000, int8 cosine >= (1\.0000|0\.99[5-9]\d)", result.stdout
    )
    installed = home / "models" / "all-MiniLM-L6-v2-int8"
    config = json.loads((installed / "anime-mcp-model.json").read_text())
    assert config["quantized"] is True
    assert config["source"] == f"hf:{MINILM_MODEL.repo}@{MINILM_MODEL.revision}"
    assert hidden(home / "models") == []  # downloads and staging cleaned up
    served = {path for path, _ in hub.log}
    assert {
        hub_file_url("", MINILM_MODEL.repo, MINILM_MODEL.revision, r) for r, _ in MINILM_MODEL.files
    } == served

    listing = run(home, "models", "list", "--json", hub=hub.url)
    assert json.loads(listing.stdout)["configured"]["name"] == "all-MiniLM-L6-v2-int8"
    requests = len(hub.log)
    again = run(home, "models", "install", "all-MiniLM-L6-v2", "--int8", hub=hub.url)
    assert again.exit_code == 0 and "is installed already" in again.stdout
    assert len(hub.log) == requests  # nothing downloaded again


def test_fp32_install_keeps_the_graph_as_served(hub: FileHost, tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = run(home, "models", "install", "all-MiniLM-L6-v2", "--fp32", hub=hub.url)
    assert result.exit_code == 0, result.output
    installed = home / "models" / "all-MiniLM-L6-v2"
    assert (installed / "model.onnx").read_bytes() == (MINILM / "model.onnx").read_bytes()
    assert (installed / "1_Pooling" / "config.json").is_file()
    assert json.loads((installed / "anime-mcp-model.json").read_text())["quantized"] is False


def _altered(model: Path, target: Path) -> Path:
    """The same graph with one attention layer's weights nudged (2% noise): loads fine, embeds differently."""
    graph = onnx.load(str(model))
    rng = np.random.default_rng(7)
    for initializer in graph.graph.initializer:
        weights = numpy_helper.to_array(initializer)
        if weights.ndim == 2 and weights.shape == (384, 384):
            noisy = weights + rng.normal(0, 0.02 * float(weights.std()), weights.shape).astype(weights.dtype)
            initializer.CopyFrom(numpy_helper.from_array(noisy, initializer.name))
            break
    else:
        raise AssertionError("no 384x384 weight matrix found")
    target.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(graph, str(target))
    return target


def test_a_model_with_altered_weights_is_refused_and_removed(tmp_path: Path) -> None:
    altered = _altered(MINILM / "model.onnx", tmp_path / "altered" / "model.onnx")
    home = tmp_path / "home"
    with file_host() as host:
        host.serve_model(replace={"model.onnx": altered})
        result = run(home, "models", "install", "all-MiniLM-L6-v2", "--int8", hub=host.url)
    assert result.exit_code == 1
    assert "does not reproduce its reference vectors" in result.stderr
    assert "nothing was installed" in result.stderr
    assert "Traceback" not in result.output
    models = home / "models"
    assert not (models / "all-MiniLM-L6-v2-int8").exists() and not (models / "all-MiniLM-L6-v2").exists()
    assert not (models / ".downloads").exists() or not any((models / ".downloads").iterdir())


def test_an_unreachable_hub_names_the_url_and_the_offline_way(tmp_path: Path) -> None:
    endpoint = closed_port_url()
    result = run(tmp_path / "home", "models", "install", "all-MiniLM-L6-v2", hub=endpoint)
    assert result.exit_code == 1
    first = hub_file_url(endpoint, MINILM_MODEL.repo, MINILM_MODEL.revision, MINILM_MODEL.files[0][0])
    assert first in result.stderr
    assert "offline or behind a firewall" in result.stderr
    assert "anime-mcp models install --from DIR" in result.stderr


def test_an_unknown_model_lists_the_known_ones(tmp_path: Path) -> None:
    result = run(tmp_path / "home", "models", "install", "bge-nope", hub=closed_port_url())
    assert result.exit_code == 1
    assert "unknown model 'bge-nope'; known: all-MiniLM-L6-v2" in result.stderr
    both = run(tmp_path / "home", "models", "install", "all-MiniLM-L6-v2", "--from", str(MINILM), hub="")
    assert both.exit_code == 2 and "not both" in both.output


def test_a_cut_download_resumes_where_it_stopped(hub: FileHost, tmp_path: Path) -> None:
    size = (MINILM / "model.onnx").stat().st_size
    hub.cut_once[MODEL_PATH] = 20_000_000
    home = tmp_path / "home"
    first = run(home, "models", "install", "all-MiniLM-L6-v2", "--fp32", hub=hub.url)
    assert first.exit_code == 1
    assert "stopped after" in first.stderr and "run the same command again to resume" in first.stderr
    (part,) = (home / "models" / ".downloads").rglob("model.onnx.part")
    kept = part.stat().st_size
    assert 0 < kept <= 20_000_000

    second = run(home, "models", "install", "all-MiniLM-L6-v2", "--fp32", hub=hub.url)
    assert second.exit_code == 0, second.output
    ranges = [r for path, r in hub.log if path == MODEL_PATH]
    assert ranges == [None, f"bytes={kept}-"]  # the second run asked only for the rest
    others = sum((MINILM / local).stat().st_size for _, local in MINILM_MODEL.files[1:])
    assert f"{(size - kept + others) / 1e6:,.1f} MB downloaded" in second.stdout
    installed = home / "models" / "all-MiniLM-L6-v2" / "model.onnx"
    assert installed.read_bytes() == (MINILM / "model.onnx").read_bytes()


def test_a_server_without_range_support_restarts_the_file(hub: FileHost, tmp_path: Path) -> None:
    hub.cut_once[MODEL_PATH] = 5_000_000
    home = tmp_path / "home"
    assert run(home, "models", "install", "all-MiniLM-L6-v2", "--fp32", hub=hub.url).exit_code == 1
    hub.no_range = True
    second = run(home, "models", "install", "all-MiniLM-L6-v2", "--fp32", hub=hub.url)
    assert second.exit_code == 0, second.output
    installed = home / "models" / "all-MiniLM-L6-v2" / "model.onnx"
    assert installed.read_bytes() == (MINILM / "model.onnx").read_bytes()


def test_quickstart_downloads_everything_and_a_second_run_does_nothing(hub: FileHost, tmp_path: Path) -> None:
    release = write_catalogue_slice(tmp_path / "release" / "anime-offline-database.jsonl.zst", 150)
    hub.files[RELEASE_PATH] = release
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(f'[catalogue]\nurl = "{hub.url}{RELEASE_PATH}"\n', encoding="utf-8")

    first = run(home, "quickstart", hub=hub.url)
    assert first.exit_code == 0, first.output
    assert "installed all-MiniLM-L6-v2-int8" in first.stdout
    assert "150 entries stored" in first.stdout
    assert "150 entries embedded" in first.stdout
    assert "mcp-config --client claude-desktop --write" in first.stdout
    assert f'"ANIME_MCP_HOME": "{home}"' in first.stdout
    assert "anime-mcp serve" in first.stdout

    requests = len(hub.log)
    second = run(home, "quickstart", hub=hub.url)
    assert second.exit_code == 0, second.output
    assert "all-MiniLM-L6-v2-int8 is installed already" in second.stdout
    assert "ingested already and current (150 entries" in second.stdout
    assert "the index is current (150 entries): nothing to embed" in second.stdout
    downloads = [path for path, _ in hub.log[requests:] if "/resolve/" in path]
    assert downloads == []  # the release was only asked whether it changed

    found = run(home, "search", "death note", "--json", hub=hub.url)
    assert found.exit_code == 0, found.output
    assert isinstance(json.loads(found.stdout), list)


def test_quickstart_offline_with_local_model_and_catalogue(tmp_path: Path) -> None:
    release = write_catalogue_slice(tmp_path / "slice.jsonl.zst", 120)
    home = tmp_path / "home"
    args = ("quickstart", "--catalogue", str(release), "--model-from", str(MINILM), "--int8")
    first = run(home, *args, hub=closed_port_url())  # any download attempt would fail
    assert first.exit_code == 0, first.output
    assert "120 entries stored" in first.stdout and "120 entries embedded" in first.stdout
    second = run(home, *args, hub=closed_port_url())
    assert second.exit_code == 0, second.output
    assert "is installed already" in second.stdout and "ingested already and current" in second.stdout
    assert "nothing to embed" in second.stdout
