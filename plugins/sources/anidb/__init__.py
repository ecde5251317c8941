"""AniDB source (HTTP API, XML). Parsers live in ``parse``."""
