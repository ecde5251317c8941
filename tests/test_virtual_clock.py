"""The clocks: the virtual one moves only when everyone sleeps, and never strands a sleeper."""

from __future__ import annotations

import datetime as dt
import time

import anyio
import pytest

from anime_mcp.adapters.clock import SystemClock, VirtualClock
from anime_mcp.ports.clock import Clock

pytestmark = pytest.mark.anyio


def test_both_clocks_implement_the_port() -> None:
    assert isinstance(SystemClock(), Clock)
    assert isinstance(VirtualClock(), Clock)


async def test_system_clock_is_aware_and_monotonic() -> None:
    clock = SystemClock()
    assert clock.now().tzinfo is not None
    before = clock.monotonic()
    await clock.sleep(0)
    await clock.sleep(-1)  # negative sleeps are a checkpoint, not an error
    assert clock.monotonic() >= before


async def test_concurrent_sleepers_wake_at_their_own_deadlines_instantly() -> None:
    clock = VirtualClock()
    woke: dict[str, float] = {}

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke[name] = clock.monotonic()

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for name, seconds in (("c", 3600.0), ("a", 1.0), ("b", 2.5)):
            tg.start_soon(sleeper, name, seconds)
    assert woke == {"a": 1.0, "b": 2.5, "c": 3600.0}
    assert clock.now() == dt.datetime(2026, 1, 1, 1, 0, tzinfo=dt.UTC)
    assert time.perf_counter() - started < 2.0


async def test_sequential_sleeps_add_up() -> None:
    clock = VirtualClock()
    for _ in range(10):
        await clock.sleep(0.5)
    assert clock.monotonic() == pytest.approx(5.0)


async def test_a_cancelled_driver_does_not_strand_the_others() -> None:
    clock = VirtualClock()
    done: list[float] = []

    async def long_sleeper() -> None:
        await clock.sleep(10)
        done.append(clock.monotonic())

    async with anyio.create_task_group() as tg, anyio.create_task_group() as inner:
        inner.start_soon(clock.sleep, 5.0)
        await anyio.lowlevel.checkpoint()  # the 5 s sleeper registers first and drives the clock
        tg.start_soon(long_sleeper)
        await anyio.lowlevel.checkpoint()
        inner.cancel_scope.cancel()  # the driver goes away before anything is due
    assert done == [10.0]


async def test_manual_advance_without_autojump() -> None:
    clock = VirtualClock(autojump=False)
    woke = anyio.Event()

    async def sleeper() -> None:
        await clock.sleep(30)
        woke.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(sleeper)
        for _ in range(100):
            await anyio.lowlevel.checkpoint()
        assert not woke.is_set() and clock.sleepers == 1
        clock.advance(29.9)
        await anyio.lowlevel.checkpoint()
        assert not woke.is_set()
        clock.advance(0.1)
    assert woke.is_set()
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_virtual_clock_needs_an_aware_start() -> None:
    with pytest.raises(ValueError):
        VirtualClock(start=dt.datetime(2026, 1, 1))
