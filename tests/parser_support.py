"""Helpers for the source-parser tests: the shared recordings, record invariants and fuzzing strategies.

The recordings are read in place from ``../shared/fixtures`` (never copied into the repository).
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
from hypothesis import strategies as st
from shared_data import require_shared

from anime_mcp.core.errors import SourceError
from anime_mcp.core.languages import language_tag
from anime_mcp.core.schedule import AiringSlot
from anime_mcp.core.sources import (
    CharacterCredit,
    Episode,
    LocalizedText,
    Page,
    PersonCredit,
    RelatedEntry,
    SearchCandidate,
    SourceRecord,
    StreamingLink,
)

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
FETCHED_AT = dt.datetime(2026, 6, 26, 12, 0, tzinfo=dt.UTC)

_NOT_DATA = frozenset({"platform_id", "url", "fetched_at", "fields", "cache"})  # about the record
RECORD_FIELDS = frozenset(a.name for a in attrs.fields(SourceRecord) if a.name not in _NOT_DATA)


def require_fixtures() -> None:
    """Fail (never skip) when the shared recordings are not beside the repository."""
    require_shared(FIXTURES)


def fixture_path(relative: str) -> Path:
    path = FIXTURES / relative
    require_shared(FIXTURES)
    assert path.is_file(), f"recording missing: {path}"
    return path


def fixture(relative: str) -> bytes:
    return fixture_path(relative).read_bytes()


def fixtures(pattern: str) -> list[str]:
    """Relative paths of the recordings matching a glob (for parametrisation; empty if none match)."""
    require_shared(FIXTURES)
    return sorted(str(p.relative_to(FIXTURES)) for p in FIXTURES.glob(pattern) if p.is_file())


# ============================================================================================ invariants


def assert_valid_record(record: object) -> SourceRecord:
    """A well-formed record whose ``fields`` names exactly what is filled."""
    assert isinstance(record, SourceRecord)
    assert record.fields <= RECORD_FIELDS, record.fields - RECORD_FIELDS
    for name in RECORD_FIELDS:
        value = getattr(record, name)
        if isinstance(value, tuple):
            if value:  # a non-empty list is always stated; an empty one may be "the source said none"
                assert name in record.fields, f"{name} filled but not listed in fields"
        else:
            assert (value is not None) == (name in record.fields), f"{name}={value!r} vs fields"
    assert record.url.startswith("https://")
    assert record.title is None or record.title.strip() == record.title != ""
    assert record.title not in record.titles
    assert all(t.strip() == t != "" for t in (*record.titles, *record.genres, *record.studios, *record.tags))
    assert len(set(record.titles)) == len(record.titles)
    assert record.platform_id not in record.cross_ids
    if record.score is not None:
        assert 0 < record.score.value <= record.score.scale
    for link in record.streaming:
        assert isinstance(link, StreamingLink) and link.url and link.service
    for relation in record.relations:
        assert isinstance(relation, RelatedEntry) and relation.relation
    for number in (record.episodes, record.rank, record.popularity, record.duration_seconds):
        assert number is None or number > 0
    _assert_texts(record.localized_titles)
    _assert_texts(record.synopses)
    # a title with its language is one of the record's titles, and a synopsis with its language a synopsis
    assert {t.text for t in record.localized_titles} <= {record.title, *record.titles}
    assert not record.synopses or record.synopsis is not None
    for character in record.characters:
        assert isinstance(character, CharacterCredit) and character.name.strip() == character.name != ""
        _assert_people(character.voice_actors)
    _assert_people(record.staff)
    return record


def _assert_texts(texts: tuple[LocalizedText, ...]) -> None:
    """Well-formed texts: BCP 47 tags as ``core.languages`` writes them, stripped, no repeats."""
    for text in texts:
        assert isinstance(text, LocalizedText)
        assert language_tag(text.language) == text.language, text
        assert text.text.strip() == text.text != ""
    assert len({(t.language, t.text) for t in texts}) == len(texts)


def _assert_people(people: tuple[PersonCredit, ...]) -> None:
    for person in people:
        assert isinstance(person, PersonCredit) and person.name.strip() == person.name != ""


def assert_valid_output(result: object) -> None:
    """Any parser output: a record, a page, a list of typed items, a tuple from a helper, or None."""
    if isinstance(result, SourceRecord):
        assert_valid_record(result)
    elif isinstance(result, Page):
        assert isinstance(result.items, tuple)
        for item in result.items:
            assert isinstance(item, Episode)
    elif isinstance(result, list):
        for item in result:
            if isinstance(item, SourceRecord):
                assert_valid_record(item)
            else:
                assert isinstance(
                    item,
                    SearchCandidate
                    | Episode
                    | CharacterCredit
                    | PersonCredit
                    | AiringSlot
                    | RelatedEntry
                    | StreamingLink,
                ), type(item)
    elif result is not None and not isinstance(result, tuple | str | SourceError):
        raise AssertionError(f"unexpected parser output {type(result).__name__}")


# ============================================================================================ strategies

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)


def json_bytes(values: st.SearchStrategy[Any] = json_values) -> st.SearchStrategy[bytes]:
    return values.map(lambda v: json.dumps(v).encode())


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value[:6]):  # the first items are representative
            yield from _paths(child, (*prefix, index))


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    if isinstance(value, dict):
        return {k: (_replace(v, tuple(rest), new) if k == head else v) for k, v in value.items()}
    return [(_replace(v, tuple(rest), new) if i == head else v) for i, v in enumerate(value)]


def _delete(value: Any, path: tuple[Any, ...]) -> Any:
    head, *rest = path
    if not rest:
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if k != head}
        return [v for i, v in enumerate(value) if i != head]
    if isinstance(value, dict):
        return {k: (_delete(v, tuple(rest)) if k == head else v) for k, v in value.items()}
    return [(_delete(v, tuple(rest)) if i == head else v) for i, v in enumerate(value)]


def json_mutations(document: bytes) -> st.SearchStrategy[bytes]:
    """The real document with one value replaced by random JSON or one member removed."""
    original = json.loads(document)
    paths = list(_paths(original))

    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        path = draw(st.sampled_from(paths))
        if path and draw(st.booleans()):
            mutated = _delete(original, path)
        else:
            mutated = _replace(original, path, draw(json_values))
        return json.dumps(mutated).encode()

    return mutate()


xml_names = st.sampled_from(
    [
        "anime",
        "ann",
        "error",
        "info",
        "title",
        "titles",
        "episode",
        "episodes",
        "epno",
        "ratings",
        "permanent",
        "resources",
        "resource",
        "externalentity",
        "identifier",
        "creators",
        "name",
        "warning",
        "item",
        "report",
        "startdate",
        "enddate",
        "type",
        "episodecount",
        "picture",
        "tags",
        "tag",
        "characters",
        "character",
        "x",
    ]
)
xml_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=15)


xml_attributes = st.lists(
    st.sampled_from(
        [
            "id",
            "type",
            "count",
            "votes",
            "num",
            "weight",
            "src",
            "rel",
            "lang",
            "code",
            "name",
            "weighted_score",
            "nb_votes",
        ]
    ),
    max_size=3,
    unique=True,
)
xml_values = xml_text | st.integers(-5, 10**6).map(str)
xml_texts = st.none() | xml_values


@st.composite
def _xml_element(draw: st.DrawFn, children: st.SearchStrategy[list[ET.Element]]) -> ET.Element:
    element = ET.Element(draw(xml_names))
    for attribute in draw(xml_attributes):
        element.set(attribute, draw(xml_values))
    element.text = draw(xml_texts)
    for child in draw(children):
        element.append(child)
    return element


def _xml_levels(depth: int = 3) -> st.SearchStrategy[ET.Element]:
    """Elements nested up to ``depth`` levels below the root, each level's strategy built once."""
    level = _xml_element(st.just([]))
    for _ in range(depth):
        level = _xml_element(st.lists(level, max_size=3))
    return level


xml_trees = _xml_levels()


def xml_bytes() -> st.SearchStrategy[bytes]:
    return xml_trees.map(lambda element: ET.tostring(element, encoding="utf-8"))


_replacements = xml_text | st.integers(-(10**12), 10**12).map(str)


def xml_mutations(document: bytes) -> st.SearchStrategy[bytes]:
    """The real document with one element's text or attribute replaced, or the element removed."""
    template = ET.fromstring(document)  # our own trusted fixture: stdlib parsing is fine here
    count = sum(1 for _ in template.iter())

    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        root = ET.fromstring(document)
        elements = list(root.iter())
        index = draw(st.integers(0, min(count, len(elements)) - 1))
        target = elements[index]
        action = draw(st.sampled_from(["text", "attribute", "remove"]))
        if action == "text":
            target.text = draw(st.none() | _replacements)
        elif action == "attribute" and target.attrib:
            key = draw(st.sampled_from(sorted(target.attrib)))
            target.set(key, draw(_replacements))
        elif index > 0:
            parent = next(p for p in root.iter() if target in list(p))
            parent.remove(target)
        return ET.tostring(root, encoding="utf-8")

    return mutate()
