"""aniSearch source: anime pages (English and German titles and synopses). Parsers live in ``parse``."""
