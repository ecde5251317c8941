"""Progress bars on stderr (hidden when stderr is not a terminal): one display, a bar per phase."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import Progress, ProgressColumn

from anime_mcp.entrypoints.cli.app import err

# Called with (done so far, total or None).
Update = Callable[[int, int | None], None]


@contextmanager
def progress_bars(*columns: str | ProgressColumn) -> Iterator[Callable[[str], Update]]:
    """Yields ``phase(description)``, which adds a bar and returns the function that moves it."""
    with Progress(*columns, console=err, transient=False, disable=not err.is_terminal) as display:

        def phase(description: str) -> Update:
            task = display.add_task(description, total=None)

            def update(done: int, total: int | None) -> None:
                display.update(task, completed=done, total=total)

            return update

        yield phase
