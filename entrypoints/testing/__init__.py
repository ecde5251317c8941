"""``anime_mcp.testing``: the conformance kit every source (built-in or third-party) passes.

One line in your tests::

    from anime_mcp.testing import Recording, source_suite

    TestMySource = source_suite(MySource(), [
        Recording("recordings/anime_1.json", "GET https://api.example.org/anime/1", call="fetch mal:1"),
    ], env={"MY_API_KEY": "test"})

or subclass ``SourceConformance``. The named checks: metadata, parse_recordings, replay, error_mapping,
timeouts, rate_limits, no_network, cancellation, ping, credentials. Waive one only with a written reason.
"""

from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.testing.checks import CHECKS, CheckFailed, KitConfig
from anime_mcp.testing.replay import Recording, ReplayTransport
from anime_mcp.testing.suite import SourceConformance, source_suite

__all__ = [
    "CHECKS",
    "CheckFailed",
    "KitConfig",
    "Recording",
    "ReplayTransport",
    "SourceConformance",
    "VirtualClock",
    "source_suite",
]
