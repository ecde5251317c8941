"""Simkl web pages: the public anime page as a fallback for the API source. Parsers in ``parse``."""
