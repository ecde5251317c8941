"""Without ../shared the run fails at once, saying what is missing and where it belongs; nothing skips."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from shared_data import ROOT, require_shared

TESTS = Path(__file__).resolve().parent
MESSAGE = "../shared must sit beside the checkout"


def run_pytest(cwd: Path, *args: str, shared: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ANIME_MCP_SHARED", "PYTEST_ADDOPTS")}
    if shared is not None:
        env["ANIME_MCP_SHARED"] = str(shared)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_checkout_without_shared_beside_it_fails_the_run(tmp_path: Path) -> None:
    checkout = tmp_path / "anime-mcp"  # tmp_path/shared does not exist
    (checkout / "tests").mkdir(parents=True)
    for name in ("conftest.py", "shared_data.py"):
        shutil.copy(TESTS / name, checkout / "tests" / name)
    (checkout / "tests" / "test_passes.py").write_text("def test_passes() -> None:\n    pass\n")
    result = run_pytest(checkout, "tests")
    output = result.stdout + result.stderr
    assert result.returncode not in (0, 5), output
    assert MESSAGE in output, output
    assert str(tmp_path / "shared" / "fixtures") in output
    assert "skipped" not in output and "1 passed" not in output


def test_anime_mcp_shared_pointing_at_an_empty_folder_fails_the_run(tmp_path: Path) -> None:
    result = run_pytest(ROOT, "tests/test_xml_safety.py", shared=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode not in (0, 5), output
    assert MESSAGE in output, output
    for part in ("fixtures", "data", "models"):
        assert str(tmp_path / part) in output


def test_require_shared_fails_never_skips(tmp_path: Path) -> None:
    assert require_shared(tmp_path) == tmp_path
    with pytest.raises(pytest.fail.Exception, match=MESSAGE) as failed:
        require_shared(tmp_path / "models" / "all-MiniLM-L6-v2-onnx")
    assert "all-MiniLM-L6-v2-onnx" in str(failed.value)
