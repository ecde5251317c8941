"""AniList source (GraphQL API). Parsers live in ``parse``."""
