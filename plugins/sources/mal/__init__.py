"""MyAnimeList source: the official API v2 and Jikan-v4-compatible APIs. Parsers live in ``parse``."""
