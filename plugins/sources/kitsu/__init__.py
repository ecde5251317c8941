"""Kitsu source (JSON:API). Parsers live in ``parse``."""
