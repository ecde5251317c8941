"""Where the tests find ``../shared`` (the catalogue, the recorded responses, the MiniLM model), and the one
way a test says it needs a piece of it: ``require_shared(path)``.

Missing shared data fails the run with a message; it never skips. ``ANIME_MCP_SHARED`` points the tests at
another folder (tests/test_shared_data.py uses it to prove that an absent folder fails the run).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]  # the checkout
SHARED = Path(os.environ.get("ANIME_MCP_SHARED") or ROOT.parent / "shared").resolve()
FIXTURES = SHARED / "fixtures"
DATA = SHARED / "data"
MODELS = SHARED / "models"
MINILM = MODELS / "all-MiniLM-L6-v2-onnx"
CATALOGUE = DATA / "anime-offline-database.jsonl.zst"
REQUIRED = (FIXTURES, DATA, MODELS, MINILM, CATALOGUE)


def missing_message(paths: list[Path]) -> str:
    listed = "\n".join(f"  - {path}" for path in paths)
    return (
        f"the shared test data is missing:\n{listed}\n"
        f"../shared must sit beside the checkout ({ROOT.parent / 'shared'}), holding fixtures/, data/ and "
        "models/ (the recorded responses, the catalogue and the all-MiniLM-L6-v2 ONNX model); "
        "or set ANIME_MCP_SHARED to the folder that holds them. The tests never skip without it."
    )


def missing_shared() -> list[Path]:
    """The required parts of ../shared that are not there."""
    return [path for path in REQUIRED if not path.exists()]


def require_shared(path: Path) -> Path:
    """``path`` (inside ../shared), or fail the calling test saying what is missing and where it belongs."""
    if not path.exists():
        pytest.fail(missing_message([path]), pytrace=False)
    return path
