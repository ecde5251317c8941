"""Simkl source (API, client id). Parsers live in ``parse``."""
