"""Where to watch: the legal streaming services anime-mcp recognises, and the sources' links grouped by
region.

**The allow-list** (``LEGAL_SERVICES``) names the services that license what they stream: each with the
names sources write for it and the hosts of its pages. A link counts when its service name or its URL's host
is on the list; anything else (unknown sites, fan uploads, aggregators) is left out of answers and counted
as ``unlisted``. YouTube is listed because the sources link licensors' own channels (Muse Asia, Ani-One,
GundamInfo). Add a service here, with its hosts, when a source links one that is missing.

**Regions** are ISO 3166-1 alpha-2 codes, as the sources give them (``StreamingLink.regions``). A link
without regions is "region not stated": it is shown for any region asked, marked as such, and never counted
as proof that the anime streams there. A region no link names is "unknown for this region" rather than
"not available": the sources are silent, not negative.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from urllib.parse import urlsplit

from attrs import frozen

from anime_mcp.core.sources import StreamingLink


@frozen
class LegalService:
    name: str
    aliases: tuple[str, ...] = ()  # other names sources use (compared by ``service_key``)
    hosts: tuple[str, ...] = ()  # page hosts; subdomains count


LEGAL_SERVICES: tuple[LegalService, ...] = (
    LegalService("Crunchyroll", ("vrv",), ("crunchyroll.com", "vrv.co")),
    LegalService("Funimation", (), ("funimation.com",)),
    LegalService("HIDIVE", (), ("hidive.com",)),
    LegalService("Netflix", (), ("netflix.com",)),
    LegalService("Hulu", (), ("hulu.com", "hulu.jp")),
    LegalService(
        "Amazon Prime Video",
        ("amazon", "prime video", "amazon prime", "amazon video"),
        ("amazon.com", "amazon.co.jp", "amazon.co.uk", "amazon.de", "primevideo.com", "amzn.to"),
    ),
    LegalService("Disney+", ("disney plus", "disney"), ("disneyplus.com",)),
    LegalService(
        "Apple TV", ("apple", "apple tv+", "itunes"), ("tv.apple.com", "apple.co", "itunes.apple.com")
    ),
    LegalService("YouTube", (), ("youtube.com", "youtu.be")),
    LegalService("Bilibili TV", ("bilibili", "bstation"), ("bilibili.tv", "bilibili.com")),
    LegalService("Tubi TV", ("tubi",), ("tubitv.com",)),
    LegalService("Adult Swim", (), ("adultswim.com",)),
    LegalService("Max", ("hbo max", "hbo"), ("max.com", "hbomax.com")),
    LegalService("Peacock", (), ("peacocktv.com",)),
    LegalService("Pluto TV", (), ("pluto.tv",)),
    LegalService("RetroCrush", (), ("retrocrush.tv",)),
    LegalService("VIZ", ("viz media",), ("viz.com",)),
    LegalService("Wakanim", (), ("wakanim.tv",)),
    LegalService(
        "ADN", ("animation digital network",), ("animationdigitalnetwork.fr", "animationdigitalnetwork.com")
    ),
    LegalService("AnimeLab", (), ("animelab.com",)),
    LegalService("Muse Asia", (), ("museasia.com",)),
    LegalService("Ani-One", ("ani-one asia",), ("ani-one.com",)),
    LegalService("iQIYI", ("iqiyi",), ("iq.com", "iqiyi.com")),
    LegalService("Aniplus", (), ("aniplus-asia.com", "aniplustv.com")),
    LegalService("Bahamut Anime Crazy", ("animad",), ("ani.gamer.com.tw",)),
    LegalService("Laftel", (), ("laftel.net",)),
    LegalService("U-NEXT", ("unext",), ("video.unext.jp", "unext.jp")),
    LegalService("d Anime Store", ("danime", "d anime"), ("animestore.docomo.ne.jp",)),
    LegalService("ABEMA", ("abema tv", "abematv"), ("abema.tv",)),
    LegalService("Niconico", ("nico nico",), ("nicovideo.jp", "nico.ms")),
    LegalService("DMM TV", (), ("tv.dmm.com",)),
    LegalService("TVer", (), ("tver.jp",)),
    LegalService("Lemino", (), ("lemino.docomo.ne.jp",)),
    LegalService("Anime Onegai", (), ("animeonegai.com",)),
    LegalService("Shahid", (), ("shahid.mbc.net",)),
)

_WORDS = re.compile(r"[^0-9a-z+]+")


def service_key(name: str) -> str:
    """A service name compared loosely, case, spaces and punctuation aside ("BiliBili TV" = "bilibili tv")."""
    return _WORDS.sub("", name.casefold())


_BY_NAME = {service_key(n): s.name for s in LEGAL_SERVICES for n in (s.name, *s.aliases)}
_BY_HOST = {host: s.name for s in LEGAL_SERVICES for host in s.hosts}


def legal_service(link: StreamingLink) -> str | None:
    """The allow-listed service a link belongs to (its canonical name), or None."""
    host = (urlsplit(link.url).hostname or "").lower()
    parts = host.split(".")
    for start in range(len(parts) - 1):  # www.crunchyroll.com -> crunchyroll.com
        found = _BY_HOST.get(".".join(parts[start:]))
        if found is not None:
            return found
    return _BY_NAME.get(service_key(link.service))


def canonical_service(name: str) -> str:
    """The allow-list's name for a service name sources or people write, or the name as given."""
    return _BY_NAME.get(service_key(name), name)


@frozen
class Offer:
    """One legal link to an anime, from one source."""

    service: str  # the allow-list's name
    url: str
    source: str  # the source id that gave it
    regions: tuple[str, ...] = ()  # ISO 3166-1 alpha-2, upper case; empty: not stated
    subtitles: tuple[str, ...] = ()
    dubs: tuple[str, ...] = ()


@frozen
class Offers:
    """What the sources say about where an anime streams, filtered and grouped."""

    by_region: dict[str, tuple[Offer, ...]]  # region -> offers the sources list for it
    unstated: tuple[Offer, ...]  # offers whose source names no region
    unknown_regions: tuple[str, ...]  # asked regions no offer names
    unlisted: int  # links left out: not an allow-listed service


def offers_of(found: Iterable[tuple[str, StreamingLink]]) -> tuple[list[Offer], int]:
    """The legal offers among ``(source, link)`` pairs, one per service and URL, and how many were not."""
    offers: dict[tuple[str, str], Offer] = {}
    unlisted = 0
    for source, link in found:
        service = legal_service(link)
        if service is None:
            unlisted += 1
            continue
        regions = tuple(sorted({r.strip().upper() for r in link.regions if r.strip()}))
        offer = Offer(service, link.url, source, regions, link.subtitles, link.dubs)
        ident = (service, link.url.rstrip("/").split("://", 1)[-1].removeprefix("www."))
        offers.setdefault(ident, offer)
    return list(offers.values()), unlisted


def group_offers(
    offers: Iterable[Offer],
    *,
    regions: Collection[str] = (),
    services: Collection[str] = (),
    unlisted: int = 0,
) -> Offers:
    """Offers grouped by region, keeping ``regions`` only (all when empty) and ``services`` only (all when
    empty, matched by name or alias)."""
    wanted_services = {service_key(canonical_service(s)) for s in services}
    wanted_regions = [r.strip().upper() for r in regions if r.strip()]
    by_region: dict[str, list[Offer]] = {}
    unstated: list[Offer] = []
    for offer in offers:
        if wanted_services and service_key(offer.service) not in wanted_services:
            continue
        if not offer.regions:
            unstated.append(offer)
            continue
        for region in offer.regions:
            if not wanted_regions or region in wanted_regions:
                by_region.setdefault(region, []).append(offer)
    ordered = {r: tuple(sorted(by_region[r], key=_order)) for r in sorted(by_region)}
    unknown = tuple(r for r in dict.fromkeys(wanted_regions) if r not in ordered)
    return Offers(ordered, tuple(sorted(unstated, key=_order)), unknown, unlisted)


def _order(offer: Offer) -> tuple[str, str, str]:
    return (offer.service.casefold(), offer.source, offer.url)
