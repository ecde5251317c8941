"""The sparse vector: what the lexical encoder makes of a text, stored by the index beside the dense one."""

from __future__ import annotations

from collections.abc import Iterable

from attrs import field, frozen


def _int_tuple(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(values)


def _float_tuple(values: Iterable[float]) -> tuple[float, ...]:
    return tuple(values)


@frozen
class SparseVector:
    """A sparse vector: sorted unique indices (u32) and their weights."""

    indices: tuple[int, ...] = field(converter=_int_tuple)
    values: tuple[float, ...] = field(converter=_float_tuple)

    def __attrs_post_init__(self) -> None:
        if len(self.indices) != len(self.values):
            raise ValueError("a sparse vector needs one value per index")

    def __len__(self) -> int:
        return len(self.indices)
