"""The shape of the house, checked: what import-linter cannot see by itself.

import-linter (run by .ci/run) holds the layers; these tests keep its lists whole and hold the composition
root to being the only place in the driving layer that builds adapters.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import attrs

from anime_mcp.entrypoints.bootstrap import App

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
# The driving layer's modules that may import adapters, and why.
MAY_IMPORT_ADAPTERS = {
    "entrypoints/bootstrap.py": "the composition root",
    "entrypoints/search_setup.py": "the search half of the composition root, called only by bootstrap",
    "entrypoints/replay_setup.py": "the replay/record half of the composition root",
    "entrypoints/source_settings.py": "checks [sources.<id>] tables against HttpPolicy's fields",
    "entrypoints/cli/models.py": "model files tools (install, quantise, export) run by the command itself",
    "entrypoints/launch.py": "starts the search process of `anime-mcp mcp` before anything else is imported",
    "entrypoints/search_process.py": "the search process's own composition root (its model and index)",
}


def domain_modules() -> set[str]:
    """Every module of core/ but services/; a domain package (core/planning/) is listed as one."""
    core = ROOT / "core"
    modules = {f"anime_mcp.core.{p.stem}" for p in core.glob("*.py") if p.stem != "__init__"}
    packages = {p.parent.name for p in core.glob("*/__init__.py") if p.parent.name != "services"}
    return modules | {f"anime_mcp.core.{name}" for name in packages}


def test_every_domain_module_is_in_the_domain_layer_and_the_purity_contract() -> None:
    layers = next(c for c in CONTRACTS if c["type"] == "layers")["layers"]
    domain_layer = {name.strip() for name in layers[-1].split(":")}
    pure = next(c for c in CONTRACTS if c["name"].startswith("The domain is pure"))
    assert domain_layer == domain_modules(), "add new core modules to the domain layer in pyproject.toml"
    assert set(pure["source_modules"]) == domain_modules(), "and to the purity contract"
    assert layers[-3:-1] == ["anime_mcp.core.services", "anime_mcp.ports"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_only_the_composition_root_builds_adapters_in_the_driving_layer() -> None:
    offenders = []
    for path in sorted((ROOT / "entrypoints").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("entrypoints/testing/") or relative in MAY_IMPORT_ADAPTERS:
            continue  # the public testing kit replays recordings through the real HTTP path on purpose
        if any(module.startswith("anime_mcp.adapters") for module in imported_modules(path)):
            offenders.append(relative)
    assert offenders == [], "build adapters in entrypoints/bootstrap.py and hand ports to the faces"


def test_the_use_cases_import_no_adapters() -> None:
    for path in (ROOT / "core" / "services").rglob("*.py"):
        modules = imported_modules(path)
        assert not {m for m in modules if m.startswith(("anime_mcp.adapters", "anime_mcp.entrypoints"))}, path


def test_the_app_holds_ports_not_adapter_classes() -> None:
    for field in attrs.fields(App):
        assert "adapters" not in str(field.type), f"App.{field.name} is typed with an adapter: {field.type}"
