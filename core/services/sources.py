"""Source use cases: which page of a platform an anime reference means (then ``Source.fetch`` asks it)."""

from __future__ import annotations

from anime_mcp.core.errors import AnimeMcpError, CatalogueNotIngested, UnknownAnime
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.platforms import BUILTIN_PLATFORMS, Platform, PlatformId, Platforms
from anime_mcp.core.references import IdReference, looks_like_url, parse_reference
from anime_mcp.core.resolution import resolve
from anime_mcp.ports.catalogue import Catalogue


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
