"""Recorded responses, and a transport that replays them by request matching.

The classes live in ``anime_mcp.adapters.http.replay`` (the same matching serves ``ANIME_MCP_REPLAY``);
the kit publishes them here, as before. A ``Recording`` pairs a saved document with the request that
produced it (``"GET https://host/path?q=1"``) and the call that should make that request (``"fetch
mal:1535"``, ``"search code geass"``, ...). Matching ignores the host (the capturing project may have called
another host than yours) and requires the path, every query parameter the recording names (order and
comma-list order ignored; your request may add others) and, for POST, every key of ``json`` in the request
body.
"""

from __future__ import annotations

from anime_mcp.adapters.http.replay import CALL_VERBS, Recording, ReplayTransport, UnmatchedRequest

__all__ = ["CALL_VERBS", "Recording", "ReplayTransport", "UnmatchedRequest"]
