"""Replay and record composition: part of the composition root, used by ``bootstrap`` and the
``sources recording add`` command. Sources answer from a recordings folder (``ANIME_MCP_REPLAY``), or a
saved document is recorded as the answer to a call, the source computing its own request.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from attrs import frozen

from anime_mcp.adapters.http.faults import FaultInjector, parse_faults
from anime_mcp.adapters.http.replay import (
    RECORDINGS_FILE,
    CapturingTransport,
    ReplayTransport,
    add_recording,
    perform_call,
    read_recordings,
    replay_env,
    request_recording,
)
from anime_mcp.core.errors import SourceError
from anime_mcp.entrypoints.settings import ConfigError, ReplaySettings
from anime_mcp.ports.source import Source

if TYPE_CHECKING:
    from anime_mcp.entrypoints.bootstrap import App


def replay_transport(replay: ReplaySettings) -> ReplayTransport:
    """The transport of replay mode: the folder's recordings, and ``NoRecording`` for anything else; with
    ``faults``, a deterministic share of requests fails as configured."""
    assert replay.dir is not None
    if not replay.dir.is_dir():
        raise ConfigError(f"[replay] dir (ANIME_MCP_REPLAY) {replay.dir} is not a folder")
    try:
        recordings = read_recordings(replay.dir)
    except ValueError as exc:
        raise ConfigError(f"[replay] dir (ANIME_MCP_REPLAY): {exc}") from None
    return ReplayTransport(
        recordings,
        root=replay.dir,
        strict=True,
        latency=replay.latency,
        log=replay.log,
        faults=fault_injector(replay),
    )


def fault_injector(replay: ReplaySettings) -> FaultInjector | None:
    """The injected faults of ``[replay] faults`` (None: none); a bad value is a ``ConfigError``."""
    try:
        faults = parse_faults(replay.faults)
    except ValueError as exc:
        raise ConfigError(f"[replay] faults (ANIME_MCP_REPLAY_FAULTS): {exc}") from None
    return FaultInjector(faults, seed=replay.fault_seed) if faults else None


def replay_namespace(replay: ReplaySettings) -> str:
    """The Redis key prefix of processes replaying ``replay.dir``: the folder and its recordings, hashed.
    Replayed answers then never reach live processes (nor another folder's), while processes replaying the
    same folder share their cache, budgets and in-flight requests as live ones do."""
    assert replay.dir is not None
    digest = hashlib.sha256(str(replay.dir.resolve()).encode())
    with contextlib.suppress(OSError):  # no recordings.jsonl yet: the folder alone names it
        digest.update((replay.dir / RECORDINGS_FILE).read_bytes())
    return f"replay:{digest.hexdigest()[:16]}:"


@frozen
class AddedRecording:
    """What ``add_recorded_answer`` did: the request line and file it recorded (None: the call's requests
    all had answers already), the error the call ended with, and a further request the call made."""

    request: str | None
    file: str | None
    error: SourceError | None = None
    also_asks: str | None = None


def add_recorded_answer(
    app: App, source: Source, call: str, document: Path, folder: Path, *, status: int = 200
) -> AddedRecording:
    """Record ``document`` as the answer ``source`` gets for ``call`` (the conformance kit's grammar) in
    ``folder``. The source computes the request: ``call`` runs against the folder's recordings, and the
    first request none answers is answered with ``document`` and recorded (credentials left out, missing
    ones are placeholders). Adding the same call again changes nothing. ``ValueError``: a bad call."""
    try:
        existing = read_recordings(folder)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    transport = CapturingTransport(existing, root=folder, answer=document.read_bytes(), answer_status=status)
    env = replay_env(app.source_env, [source])

    async def run() -> None:
        runtime = app.source_runtime(transport)
        try:
            await perform_call(source.bind(runtime), call)
        finally:
            await runtime.aclose()

    error: SourceError | None = None
    try:
        anyio.run(run)
    except SourceError as exc:
        error = exc  # the document may be an error page: the request is what counts
    if transport.captured is None:
        return AddedRecording(None, None, error)
    secrets = {value for c in source.info.credentials if (value := env.get(c.env))}
    name = _copy_into(folder, document)
    recorded = request_recording(transport.captured, name, secrets=secrets, call=call, status=status)
    add_recording(folder, recorded)
    also = str(transport.unmatched[0]) if transport.unmatched else None
    return AddedRecording(recorded.request, name, error, also)


def _copy_into(folder: Path, file: Path) -> str:
    """``file``'s name inside ``folder`` (copied unless it is there already); another file of that name
    gets a numbered name."""
    folder.mkdir(parents=True, exist_ok=True)
    if file.resolve().parent == folder.resolve():
        return file.name
    target = folder / file.name
    number = 1
    while target.exists() and target.read_bytes() != file.read_bytes():
        number += 1
        target = folder / f"{file.stem}-{number}{file.suffix}"
    if not target.exists():
        shutil.copyfile(file, target)
    return target.name


def no_retries(
    overrides: Mapping[str, Mapping[str, Any]], source_ids: list[str]
) -> dict[str, Mapping[str, Any]]:
    """Recorded answers are the same every time: retrying one only waits (a ``[sources.<id>]``
    ``max_retries`` still wins)."""
    merged: dict[str, Mapping[str, Any]] = {sid: {"max_retries": 0} for sid in source_ids}
    for sid, values in overrides.items():
        merged[sid] = {"max_retries": 0, **values}
    return merged
