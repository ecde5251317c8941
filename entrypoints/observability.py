"""Tracing with OpenTelemetry: request -> tool -> index, embedder and source spans. Off by default.

``ANIME_MCP_TRACING`` (or ``[serve] tracing`` in config.toml) picks the exporter:

- ``off`` (default): nothing is installed; the OpenTelemetry API's no-op tracer costs a function call;
- ``console``: each finished span as JSON on stderr (stdout carries the MCP stdio protocol);
- ``otlp``: OTLP over HTTP to ``OTEL_EXPORTER_OTLP_ENDPOINT`` (standard ``OTEL_*`` variables; needs the
  ``otlp`` extra: ``pip install 'anime-mcp[otlp]'``).

The mcp SDK opens a server span per MCP message on the same global tracer provider, so tool spans nest
under it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace

from anime_mcp.core.index_facts import IndexedFacts
from anime_mcp.core.ranking import SearchHit
from anime_mcp.entrypoints.settings import ConfigError
from anime_mcp.ports.embedder import Embedder
from anime_mcp.ports.vector_index import DENSE_VECTOR, IndexManifest, IndexQuery, VectorIndex

EXPORTERS = ("off", "console", "otlp")
TRACER = "anime_mcp"

_configured: str | None = None


def configure_tracing(
    exporter: str, *, service_name: str = "anime-mcp", span_exporter: Any | None = None
) -> None:
    """Install a tracer provider once per process (``span_exporter``: a ready exporter, for tests)."""
    global _configured  # noqa: PLW0603 - one tracer provider per process, as OpenTelemetry requires
    if exporter not in EXPORTERS:
        raise ConfigError(f"tracing exporter must be one of {', '.join(EXPORTERS)}, not {exporter!r}")
    if (exporter == "off" and span_exporter is None) or _configured is not None:
        return
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if span_exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    elif exporter == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    else:
        try:  # an optional extra: imported by name so type checking does not need it installed
            otlp = importlib.import_module("opentelemetry.exporter.otlp.proto.http.trace_exporter")
        except ImportError:
            raise ConfigError(
                "ANIME_MCP_TRACING=otlp needs the OTLP exporter: pip install 'anime-mcp[otlp]'"
            ) from None
        provider.add_span_processor(BatchSpanProcessor(otlp.OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _configured = exporter


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER)


@contextmanager
def span(name: str, **attributes: Any) -> Iterator[trace.Span]:
    """A span that records the exception and marks itself failed when the block raises."""
    with tracer().start_as_current_span(
        name, attributes={k: v for k, v in attributes.items() if v is not None}
    ) as current:
        yield current


class TracedIndex:
    """A ``VectorIndex`` that opens an ``index.search`` span around each call of the wrapped index."""

    def __init__(self, index: VectorIndex) -> None:
        self._index = index
        self.manifest: IndexManifest = index.manifest

    def search(self, query: IndexQuery) -> list[SearchHit]:
        kind = (
            "hybrid"
            if query.dense is not None and query.sparse is not None
            else (
                (query.using if query.using != DENSE_VECTOR else "dense")
                if query.dense is not None
                else "sparse"
            )
        )
        with span(
            "index.search",
            **{"index.query": kind, "index.limit": query.limit, "index.backend": self.manifest.backend},
        ) as current:
            hits = self._index.search(query)
            current.set_attribute("index.hits", len(hits))
            return hits

    def dense_vector(self, anime_id: str, using: str = DENSE_VECTOR) -> list[float] | None:
        with span("index.dense_vector", **{"anime.id": anime_id, "index.vector": using}):
            return self._index.dense_vector(anime_id, using)

    def scores(
        self, vector: Sequence[float], anime_ids: Sequence[str], using: str = DENSE_VECTOR
    ) -> dict[str, float]:
        with span("index.scores", **{"index.points": len(anime_ids), "index.vector": using}):
            return self._index.scores(vector, anime_ids, using)

    def facts(self, anime_ids: Sequence[str]) -> dict[str, IndexedFacts]:
        with span("index.facts", **{"index.points": len(anime_ids)}):
            return self._index.facts(anime_ids)

    def count(self) -> int:
        return self._index.count()

    def close(self) -> None:
        self._index.close()


class TracedEmbedder:
    """An ``Embedder`` with an ``embed`` span per call."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self.name = embedder.name
        self.dimension = embedder.dimension

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        with span("embed.documents", **{"embed.model": self.name, "embed.count": len(texts)}):
            return self._embedder.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        with span("embed.query", **{"embed.model": self.name}):
            return self._embedder.embed_query(text)
