"""The payload indexes of every Qdrant Edge shard (the text index and the poster vectors): memory-mapped.

Held in RAM, every process that opens a shard (each `mcp` spawn, each CLI search, each server worker) would
first load them all, holding the interpreter lock (36k catalogue: EdgeShard.load 0.37 s, 0.19 s Cold). The
first filtered search then pages in what it touches (about 0.1 s); later ones cost about 1 ms more in the
engine; the hits are the same.
"""

from __future__ import annotations

import qdrant_edge as qe

from anime_mcp.adapters.qdrant_common import PAYLOAD_INDEXES

PAYLOAD_SCHEMA: dict[str, qe.PayloadSchemaParams] = {
    "keyword": qe.KeywordIndexParams(memory=qe.Memory.Cold),
    # the filters ask integers (year, episodes) for ranges only; lookup keeps a match on one indexed too
    "integer": qe.IntegerIndexParams(lookup=True, range=True, memory=qe.Memory.Cold),
    "float": qe.FloatIndexParams(memory=qe.Memory.Cold),
}


def create_payload_indexes(shard: qe.EdgeShard) -> None:
    """Every payload index, memory-mapped, on a new shard."""
    for field, kind in PAYLOAD_INDEXES.items():
        shard.update(qe.UpdateOperation.create_field_index(field, PAYLOAD_SCHEMA[kind]))


def cold_payload_indexes(shard: qe.EdgeShard) -> None:
    """Gives the shard every payload index as ``PAYLOAD_SCHEMA`` says, memory-mapped. A shard built before
    they were Cold holds them in RAM and keeps serving as it is; a generation copied from it is converted
    when it is committed (about 3 s for the 36k catalogue, on the writer's private copy), and its copies
    are Cold."""
    held = shard.info().payload_schema
    for field, kind in PAYLOAD_INDEXES.items():
        info = held.get(field)
        if info is not None and info.params is not None and info.params.memory == qe.Memory.Cold:
            continue
        if info is not None:
            shard.update(qe.UpdateOperation.delete_field_index(field))
        shard.update(qe.UpdateOperation.create_field_index(field, PAYLOAD_SCHEMA[kind]))
