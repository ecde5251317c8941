"""The judged development set's checks (../shared/queries/README.md), one function per key, and a scorer
that reports per-key accuracy and every failure. Used by the planner-speed bench workload (``anime-mcp bench
planner-speed``) and by tests/test_planner_dev_set.py (through tests/planner_scoring.py)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from attrs import frozen

Plan = dict[str, Any]
INFORMATIONAL = frozenset({"q", "all_sources", "year_width_max"})  # not checks of their own
_SPELLINGS = {"shonen": "shounen", "shojo": "shoujo", "scifi": "sciencefiction", "sf": "sciencefiction"}


def _plain(text: object) -> str:
    return re.sub(r"[\W_]+", "", str(text).casefold())


def _tag(text: object) -> str:
    key = _plain(text)
    return _SPELLINGS.get(key, key)


def _years(plan: Plan) -> tuple[Any, Any]:
    return plan["filters"]["year_min"], plan["filters"]["year_max"]


def _titles(expected: list[str], plan: Plan) -> bool:
    found = [_plain(s) for t in plan["titles"] for s in (t["text"], t["title"]) if s]
    return all(any(_plain(e) in f or f in _plain(e) for f in found if f) for e in expected)


def _year_contains(year: int, plan: Plan, case: dict[str, Any]) -> bool:
    low, high = _years(plan)
    if low is None or high is None or not low <= year <= high:
        return False
    return "year_width_max" not in case or high - low <= case["year_width_max"]


def _within(bounds: list[str], plan: Plan) -> bool:
    first, last = plan["date_from"], plan["date_to"]
    return first is not None and last is not None and bounds[0] <= first <= last <= bounds[1]


def _contained(expected: list[str], actual: Iterable[str]) -> bool:
    values = [str(v).casefold() for v in actual]
    return all(any(e.casefold() in v for v in values) for e in expected)


def _at_least(bound: int, value: Any) -> bool:
    return value is not None and value >= bound


def _at_most(bound: int, value: Any) -> bool:
    return value is not None and value <= bound


Check = Callable[[Any, Plan, dict[str, Any]], bool]
CHECKS: dict[str, Check] = {
    "intent": lambda e, p, c: p["intent"] in e,
    "titles": lambda e, p, c: _titles(e, p),
    "year": lambda e, p, c: list(_years(p)) == list(e),
    "year_min": lambda e, p, c: p["filters"]["year_min"] == e,
    "year_max": lambda e, p, c: p["filters"]["year_max"] == e,
    "year_contains": _year_contains,
    "year_min_at_least": lambda e, p, c: _at_least(e, p["filters"]["year_min"]),
    "year_min_at_most": lambda e, p, c: _at_most(e, p["filters"]["year_min"]),
    "year_max_at_most": lambda e, p, c: _at_most(e, p["filters"]["year_max"]),
    "tags_incl": lambda e, p, c: {_tag(t) for t in e} <= {_tag(t) for t in p["filters"]["include_tags"]},
    "tags_excl": lambda e, p, c: {_tag(t) for t in e} <= {_tag(t) for t in p["filters"]["exclude_tags"]},
    "tags_any": lambda e, p, c: {_tag(t) for t in e} <= {_tag(t) for t in p["filters"]["any_tags"]},
    "types": lambda e, p, c: set(e) == set(p["filters"]["types"]),
    "statuses": lambda e, p, c: set(e) == set(p["filters"]["statuses"]),
    "studios": lambda e, p, c: _contained(e, p["filters"]["studios"]),
    "exclude_titles": lambda e, p, c: _contained(e, p["filters"]["exclude_titles"]),
    "source_material": lambda e, p, c: any(v in p["filters"]["source_material"] for v in e),
    "episodes_min": lambda e, p, c: p["filters"]["episodes_min"] == e,
    "episodes_max": lambda e, p, c: p["filters"]["episodes_max"] == e,
    "score_min": lambda e, p, c: p["filters"]["score_min"] == e,
    "season": lambda e, p, c: p["filters"]["season"] == e,
    "sources": lambda e, p, c: set(e) == set(p["sources"]),
    "platforms": lambda e, p, c: set(e) <= set(p["platforms"]),
    "fields_incl": lambda e, p, c: set(e) <= set(p["fields"]),
    "fields_any": lambda e, p, c: bool(set(e) & set(p["fields"])),
    "date": lambda e, p, c: p["date_from"] == e and p["date_to"] == e,
    "date_range_within": lambda e, p, c: _within(e, p),
    "timezone": lambda e, p, c: p["timezone"] == e,
    "language": lambda e, p, c: p["language"] == e,
    "region": lambda e, p, c: p["region"] == e,
    "limit": lambda e, p, c: p["limit"] == e,
    "sort": lambda e, p, c: p["sort"] in e,
}


@frozen
class Failure:
    question: str
    key: str
    expected: Any
    plan: Plan


@frozen
class Score:
    passed: Counter[str]
    total: Counter[str]
    failures: tuple[Failure, ...]

    @property
    def accuracy(self) -> float:
        return sum(self.passed.values()) / max(1, sum(self.total.values()))

    def report(self) -> str:
        lines = [
            f"{sum(self.passed.values())}/{sum(self.total.values())} annotated keys ({self.accuracy:.1%})"
        ]
        for key in sorted(self.total):
            lines.append(f"  {key:<18} {self.passed[key]:>3}/{self.total[key]:<3}")
        for failure in self.failures:
            lines.append(f"FAIL {failure.key}: {failure.question!r} expected {failure.expected!r}")
        return "\n".join(lines)


def load_cases(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score(cases: Iterable[dict[str, Any]], planner: Callable[[str], Plan]) -> Score:
    passed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    failures = []
    for case in cases:
        plan = planner(case["q"])
        for key, expected in case.items():
            if key in INFORMATIONAL:
                continue
            if key not in CHECKS:
                raise KeyError(f"the development set uses a key the scorer does not know: {key}")
            total[key] += 1
            if CHECKS[key](expected, plan, case):
                passed[key] += 1
            else:
                failures.append(Failure(case["q"], key, expected, plan))
    return Score(passed, total, tuple(failures))
