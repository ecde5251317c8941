"""Anime News Network source (encyclopedia API, XML). Parsers live in ``parse``."""
