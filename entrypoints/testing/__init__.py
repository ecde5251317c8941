"""``anime_mcp.testing``: the conformance kit every source (built-in or third-party) passes.

One line in your tests::

    from anime_mcp.testing import Recording, source_suite

    TestMySource = source_suite(MySource(), [
        Recording("recordings/anime_1.json", "GET https://api.example.org/anime/1", call="fetch mal:1"),
    ], env={"MY_API_KEY": "test"})

or subclass ``SourceConformance``. The named checks: metadata, parse_recordings, replay, error_mapping,
timeouts, rate_limits, no_network, cancellation, ping, credentials. Waive one only with a written reason.

Fakes of the ports for your own tests (each passes the same contract tests as the real adapters):
``FakeCatalogue``, ``FakeIndexBackend`` (with ``FakeIndex``, ``FakeIndexWriter``), ``FakeEmbedder``,
``FakeSource``.
"""

from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.testing.checks import CHECKS, CheckFailed, KitConfig
from anime_mcp.testing.fakes import (
    FakeCatalogue,
    FakeEmbedder,
    FakeEmbedderProvider,
    FakeIndex,
    FakeIndexBackend,
    FakeIndexWriter,
    FakeSource,
)
from anime_mcp.testing.replay import Recording, ReplayTransport
from anime_mcp.testing.suite import SourceConformance, source_suite

__all__ = [
    "CHECKS",
    "CheckFailed",
    "FakeCatalogue",
    "FakeEmbedder",
    "FakeEmbedderProvider",
    "FakeIndex",
    "FakeIndexBackend",
    "FakeIndexWriter",
    "FakeSource",
    "KitConfig",
    "Recording",
    "ReplayTransport",
    "SourceConformance",
    "VirtualClock",
    "source_suite",
]
