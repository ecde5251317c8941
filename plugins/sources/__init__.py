"""Built-in live sources: one sub-package per platform (``mal``, ``anilist``, ``kitsu``, ``anidb``, ``ann``,
``animeschedule``, ``simkl``, ``notify``).

Each sub-package has a pure, I/O-free ``parse`` module that the source classes, the conformance kit and
``anime-mcp sources parse`` call. Every parse module follows one contract:

``parse_anime(body, *, url, fetched_at) -> SourceRecord``
    One anime document as the platform's API serves it. ``body`` is the raw response body (bytes, or str);
    ``url`` is the URL that was requested (used to pick the anime out of list-shaped answers and to build
    follow-up URLs; the record's own ``url`` is always the canonical page URL of the anime);
    ``fetched_at`` is when the answer was received (it also serves as "today" where a status must be
    derived from air dates).
``parse_search(body, *, url) -> list[SearchCandidate]``
    A search / list answer, each hit with its ``PlatformId``.
``parse_episodes`` -> ``Page[Episode]`` (``next_url`` follows the platform's pagination),
``parse_characters`` -> ``list[CharacterCredit]``, ``parse_staff`` -> ``list[PersonCredit]``,
``parse_schedule`` -> ``list[AiringSlot]``, ``parse_relations`` -> ``list[RelatedEntry]``
    where the platform has such an endpoint (each module's docstring lists what it offers).
``detect_error(status, body, *, headers=None) -> SourceError | None``
    The typed error an HTTP answer stands for (404 JSON, 429, rate-limit bodies, ban notices, Cloudflare /
    anti-leech challenge pages -> ``Blocked``), or None when the answer looks like a normal document.
    The parse functions also recognise error *bodies* by themselves (they do not see the status code).

Parse functions raise only ``SourceError`` subclasses (``NotFound``, ``RateLimited``, ``Unavailable``,
``Blocked``, ``AuthRequired``, ``ParseError``): anything unexpected inside a parser leaves as a
``ParseError`` naming the source. ``SourceRecord.fields`` names exactly the fields the document stated:
scalar fields only when they have a value, list fields (``titles``, ``genres``, ``studios``, ...) whenever
the document carried the list, even an empty one ("the source said none"). Scores keep the site's own
scale in ``Rating`` (MAL 10, AniList 100, Kitsu 100, AniDB 10, ANN 10, Simkl 10, notify.moe 10,
AnimeSchedule 100).
"""
