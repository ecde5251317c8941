"""The first test of every source plugin: the anime-mcp conformance kit, in one statement.

The recordings here are written by hand for this made-up API; a real plugin records its platform's
answers (and says where each came from).
"""

from pathlib import Path

from anime_mcp_example_source import API, ExampleSource

from anime_mcp.core.errors import NotFound
from anime_mcp.testing import Recording, source_suite

RECORDINGS = Path(__file__).parent / "recordings"

TestExampleSource = source_suite(
    ExampleSource(),
    [
        Recording(
            RECORDINGS / "anime_42.json",
            f"GET {API}/anime/42",
            call="fetch animecountdown:42",
            headers={"content-type": "application/json"},
        ),
        Recording(
            RECORDINGS / "not_found.json",
            f"GET {API}/anime/404",
            call="fetch animecountdown:404",
            status=404,
            expect=NotFound,
        ),
    ],
    env={"ANIME_MCP_EXAMPLE_TOKEN": "test-token"},
)
