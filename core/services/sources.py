"""Source use cases: which page of a platform an anime reference means (then ``Source.fetch`` asks it), and
which source's parser reads a saved document (``source_for_document``)."""

from __future__ import annotations

from collections.abc import Iterable

from anime_mcp.core.errors import AnimeMcpError, CatalogueNotIngested, UnknownAnime
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.platforms import BUILTIN_PLATFORMS, Platform, PlatformId, Platforms
from anime_mcp.core.references import IdReference, looks_like_url, parse_reference
from anime_mcp.core.resolution import resolve
from anime_mcp.ports.catalogue import Catalogue
from anime_mcp.ports.source import Source, SourceKind


def page_on(
    reference: str,
    platform: Platform,
    catalogue: Catalogue,
    platforms: Platforms = BUILTIN_PLATFORMS,
    *,
    bare_ids: bool = False,
) -> tuple[PlatformId, CatalogueEntry | None]:
    """The anime's page id on ``platform``, and its catalogue entry when the catalogue has one.

    A reference to that platform (``kitsu:1376``, a kitsu URL; with ``bare_ids`` also ``1376``) is used as
    it is, even for an anime the catalogue lacks or with no catalogue at all; any other reference (another
    platform's id or URL, a title) goes through the catalogue entry it resolves to.
    """
    text = reference.strip()
    if bare_ids and ":" not in text and not looks_like_url(text, platforms):
        bare = _bare_id(text, platform, platforms)
        if bare is not None:
            return bare, _entry_or_none(catalogue, bare)
    parsed = parse_reference(text, platforms)
    if isinstance(parsed, IdReference) and parsed.platform_id.platform == platform:
        return parsed.platform_id, _entry_or_none(catalogue, parsed.platform_id)
    entry = resolve(parsed, catalogue, platforms).entry
    found = entry.ids().get(platform)
    if found is None:
        others = ", ".join(p.value for p in entry.ids())
        raise UnknownAnime(
            f"{entry.title} ({entry.anime_id}) has no {platform.value} page in the catalogue; "
            f"it is on: {others}"
        )
    return PlatformId(platform, found), entry


def _bare_id(text: str, platform: Platform, platforms: Platforms) -> PlatformId | None:
    spec = platforms.get(platform)
    try:
        pid = PlatformId(platform, spec.normalise(text) if spec is not None else text)
    except AnimeMcpError:
        return None
    return pid if spec is None or spec.valid_id(pid.id) else None


def _entry_or_none(catalogue: Catalogue, pid: PlatformId) -> CatalogueEntry | None:
    try:
        return catalogue.by_platform_id(pid)
    except CatalogueNotIngested:  # a live answer needs no catalogue
        return None


def document_family(document: bytes) -> str:
    """What a saved document is, from its first bytes: ``html``, ``json``, ``xml`` or ``text``."""
    head = document[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"{", b"[")):
        return "json"
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or (
        head.startswith((b"<!--", b"<?xml")) and b"<html" in head
    ):
        return "html"
    return "xml" if head.startswith(b"<") else "text"


def source_for_document(
    sources: Iterable[Source], name: str, document: bytes, *, kind: str = "anime", format: str | None = None
) -> Source | None:
    """The source whose parser reads ``document``; ``name``: a source id (``mal``, ``mal_web``) or a platform.

    The sources of that platform share the choice: a named ``format`` picks the source that declares it; else
    a web page (HTML) goes to the platform's scraped source and an API answer (JSON, XML) to its API source,
    the named source first, then the others by id, each only if it reads ``kind``. None: no such source.
    """
    known = sorted(sources, key=lambda s: s.info.id)
    named = next((s for s in known if s.info.id == name), None)
    platform = named.info.platform if named is not None else name
    family = [s for s in known if s.info.platform == platform]
    if named is not None:
        family = [named, *(s for s in family if s is not named)]
    if not family:
        return None
    if format is not None:
        return next((s for s in family if format in s.info.formats), family[0])
    wanted = SourceKind.SCRAPE if document_family(document) == "html" else SourceKind.API
    return next((s for s in family if s.info.kind is wanted and kind in s.info.kinds), family[0])
