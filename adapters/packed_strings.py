"""Many short strings held compactly, for structures a server keeps for its lifetime.

A Python ``str`` costs about 50 bytes before its text, and a ``dict`` slot about 40 more; 200k keys of a
catalogue's titles and platform ids cost tens of MB that way. ``PackedStrings`` keeps them as one UTF-8 blob
and an offset array; ``StringTable`` adds lookups by value: the strings' hashes sorted in a numpy array, so a
whole batch of candidate keys is looked up in one ``searchsorted`` and each hit is checked against the text
(a hash collision is never taken for a match). Hashes are the process's own ``hash()``: a table is built in
the process that reads it, never stored.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from itertools import accumulate

import numpy as np
import numpy.typing as npt


class PackedStrings:
    """An immutable sequence of strings in one UTF-8 blob."""

    def __init__(self, strings: Iterable[str]) -> None:
        encoded = [text.encode("utf-8", "surrogatepass") for text in strings]
        self._offsets = array("q", accumulate(map(len, encoded), initial=0))
        self._blob = b"".join(encoded)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, index: int) -> str:
        if index < 0:  # the offsets would wrap around
            raise IndexError(index)
        offsets = self._offsets
        return self._blob[offsets[index] : offsets[index + 1]].decode("utf-8", "surrogatepass")

    def nbytes(self) -> int:
        return len(self._blob) + self._offsets.itemsize * len(self._offsets)


class StringTable:
    """Distinct strings, each at a fixed position: ``positions`` finds where strings are, or -1."""

    def __init__(self, hashes: npt.NDArray[np.int64], texts: PackedStrings) -> None:
        self._hashes = hashes  # sorted; texts[i] has hashes[i]
        self._texts = texts

    @classmethod
    def of(cls, strings: Sequence[str]) -> tuple[StringTable, list[int]]:
        """The table of ``strings`` (distinct), and where each went: ``order[i]`` is the index in ``strings``
        of the string at position ``i``, so callers lay out their values the same way."""
        hashes = np.fromiter(map(hash, strings), dtype=np.int64, count=len(strings))
        order = np.argsort(hashes, kind="stable")
        positions = order.tolist()
        return cls(hashes[order], PackedStrings([strings[i] for i in positions])), positions

    def __len__(self) -> int:
        return len(self._texts)

    def position(self, text: str) -> int:
        return self.positions([text])[0]

    def positions(self, texts: Sequence[str]) -> list[int]:
        """The position of each of ``texts`` in the table, or -1 where it is not there."""
        if not texts or not len(self._hashes):
            return [-1] * len(texts)
        wanted = np.fromiter(map(hash, texts), dtype=np.int64, count=len(texts))
        starts = np.searchsorted(self._hashes, wanted)
        inside = np.minimum(starts, len(self._hashes) - 1)
        found = [-1] * len(texts)
        for i in np.flatnonzero(self._hashes[inside] == wanted).tolist():
            found[i] = self._checked(texts[i], int(starts[i]))
        return found

    def _checked(self, text: str, start: int) -> int:
        """The position from ``start`` on, among the equal hashes, whose text is ``text``; -1 for none."""
        at = start
        while at < len(self._hashes) and self._hashes[at] == self._hashes[start]:
            if self._texts[at] == text:
                return at
            at += 1
        return -1

    def nbytes(self) -> int:
        return int(self._hashes.nbytes) + self._texts.nbytes()
