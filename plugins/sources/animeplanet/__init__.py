"""Anime-Planet source (scraped pages). Parsers live in ``parse``."""
