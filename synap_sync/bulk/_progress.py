"""Progress display for bulk runs: a tqdm bar when tqdm is installed, else one self-updating line; to a
log file (stderr not a terminal, outside a notebook), a plain line every few seconds."""

from __future__ import annotations

import importlib.util
import sys
import time
from typing import Any, Callable, Optional, TextIO

import attrs


@attrs.frozen
class Progress:
    """Counts so far, handed to a ``progress=`` callable after each batch settles."""

    done: int
    succeeded: int
    failed: int
    total: Optional[int]
    elapsed_seconds: float


ProgressCallback = Callable[[Progress], Any]


class _Line:
    """A compact stderr line: on a terminal, rewritten in place at most a few times a second; to a file,
    a line of its own every few seconds (a log is read line by line, not as one endless line)."""

    INTERVAL = 0.25
    PLAIN_INTERVAL = 5.0

    def __init__(self, stream: TextIO, in_place: bool = True) -> None:
        self.stream = stream
        self.in_place = in_place
        self.interval = self.INTERVAL if in_place else self.PLAIN_INTERVAL
        self.last = 0.0 if in_place else time.monotonic()

    def __call__(self, progress: Progress, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last < self.interval:
            return
        self.last = now
        of_total = f"/{progress.total}" if progress.total is not None else ""
        rate = progress.done / progress.elapsed_seconds if progress.elapsed_seconds else 0.0
        line = (
            f"synap-sync: {progress.done}{of_total} documents, {progress.succeeded} ok, "
            f"{progress.failed} failed, {rate:.0f}/s"
        )
        if self.in_place:
            self.stream.write("\r" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


class _Bar:
    """A tqdm bar: the notebook widget in a Jupyter kernel that can show it, the plain bar elsewhere."""

    def __init__(self, tqdm: Any, total: Optional[int]) -> None:
        self.bar = tqdm(total=total, unit="doc", desc="synap-sync")
        self.shown = 0

    def __call__(self, progress: Progress, final: bool = False) -> None:
        self.bar.update(progress.done - self.shown)
        self.shown = progress.done
        # As text: tqdm's own number formatting would show 10000 as 1e+4.
        self.bar.set_postfix_str(f"ok={progress.succeeded}, failed={progress.failed}", refresh=final)
        if final:
            self.bar.close()


def _tqdm_class() -> Any:
    """tqdm's notebook widget inside a Jupyter kernel that has ipywidgets, its plain bar anywhere else
    (tqdm.auto warns in a kernel without ipywidgets); None when tqdm is not installed."""
    try:
        from tqdm.std import tqdm  # type: ignore[import-untyped]
    except ImportError:
        return None
    if "ipykernel" in sys.modules and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm as notebook_tqdm  # type: ignore[import-untyped]

        return notebook_tqdm
    return tqdm


def make_reporter(progress: Any, total: Optional[int]) -> Optional[Callable[[Progress, bool], None]]:
    """Turn the ``progress=`` argument into a function of (counts, final), or None for no progress."""
    if progress is None or progress is False:
        return None
    if callable(progress):
        callback: ProgressCallback = progress

        def call(counts: Progress, final: bool = False) -> None:
            callback(counts)

        return call
    if "ipykernel" not in sys.modules and not _is_terminal(sys.stderr):
        return _Line(sys.stderr, in_place=False)
    tqdm = _tqdm_class()
    return _Line(sys.stderr) if tqdm is None else _Bar(tqdm, total)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
