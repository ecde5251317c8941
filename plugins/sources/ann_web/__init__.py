"""Anime News Network encyclopedia pages: the fallback for the API source. Parsers in ``parse``."""
