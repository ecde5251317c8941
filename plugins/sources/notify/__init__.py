"""notify.moe source (JSON API). Parsers live in ``parse``."""
