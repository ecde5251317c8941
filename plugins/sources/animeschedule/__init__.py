"""AnimeSchedule.net source (API v3). Parsers live in ``parse``."""
