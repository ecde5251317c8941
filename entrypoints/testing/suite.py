"""The pytest face of the kit: one test per named check, waivers with written reasons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import anyio
import pytest

from anime_mcp.ports.source import Source
from anime_mcp.testing.checks import CHECKS, KitConfig
from anime_mcp.testing.replay import Recording

__all__ = ["SourceConformance", "source_suite"]

MIN_REASON = 15  # characters: "flaky" is not a reason


class SourceConformance:
    """Subclass (as ``TestSomething``) and set ``source`` and ``recordings``; pytest runs every check.

    ``env``: credentials and settings the source reads (fake values are fine: nothing leaves the process).
    ``waivers``: ``{"check name": "why this check cannot apply to this source"}``.
    ``root``: where relative recording paths are read from.
    """

    source: ClassVar[Source]
    recordings: ClassVar[Sequence[Recording]] = ()
    env: ClassVar[Mapping[str, str]] = {}
    waivers: ClassVar[Mapping[str, str]] = {}
    root: ClassVar[Path | None] = None

    def _run(self, check: str) -> None:
        reason = self.waivers.get(check)
        if reason is not None:
            pytest.skip(f"waived: {reason}")
        config = KitConfig(source=self.source, recordings=self.recordings, env=self.env, root=self.root)
        anyio.run(CHECKS[check], config)

    def test_waivers_have_reasons(self) -> None:
        unknown = set(self.waivers) - set(CHECKS)
        assert not unknown, f"waivers name unknown checks {sorted(unknown)}; the checks are {sorted(CHECKS)}"
        for check, reason in self.waivers.items():
            assert len((reason or "").strip()) >= MIN_REASON, (
                f"the waiver of {check!r} needs a written reason"
            )

    def test_metadata(self) -> None:
        self._run("metadata")

    def test_parse_recordings(self) -> None:
        self._run("parse_recordings")

    def test_replay(self) -> None:
        self._run("replay")

    def test_error_mapping(self) -> None:
        self._run("error_mapping")

    def test_timeouts(self) -> None:
        self._run("timeouts")

    def test_rate_limits(self) -> None:
        self._run("rate_limits")

    def test_no_network(self) -> None:
        self._run("no_network")

    def test_cancellation(self) -> None:
        self._run("cancellation")

    def test_ping(self) -> None:
        self._run("ping")

    def test_credentials(self) -> None:
        self._run("credentials")

    def test_cache(self) -> None:
        self._run("cache")


def source_suite(
    source: Source,
    recordings: Sequence[Recording] = (),
    *,
    env: Mapping[str, str] | None = None,
    waivers: Mapping[str, str] | None = None,
    root: Path | None = None,
) -> type[SourceConformance]:
    """The kit as a test class, in one line: ``TestMySource = source_suite(MySource(), recordings)``."""
    attributes: dict[str, Any] = {
        "source": source,
        "recordings": tuple(recordings),
        "env": dict(env or {}),
        "waivers": dict(waivers or {}),
        "root": root,
        "__test__": True,
    }
    return type(f"Test{type(source).__name__}Conformance", (SourceConformance,), attributes)
