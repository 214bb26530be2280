"""A small progress bar on stderr: `label [#####.....] done/total rows  N rows/s`.

On a terminal it redraws one line (at most ten times a second); elsewhere (logs, CI) it
prints one line per finished bar.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 24
_REDRAW_S = 0.1


class Progress:
    def __init__(self, label: str, total: int, *, stream: TextIO | None = None) -> None:
        self.label, self.total, self.done = label, total, 0
        self._stream = stream if stream is not None else sys.stderr
        self._tty = bool(getattr(self._stream, "isatty", lambda: False)())
        self._start = time.perf_counter()
        self._drawn = 0.0

    @property
    def rate(self) -> float:
        elapsed = time.perf_counter() - self._start
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        share = min(1.0, self.done / self.total) if self.total else 1.0
        filled = int(share * WIDTH)
        return (f"{self.label:<28} [{'#' * filled}{'.' * (WIDTH - filled)}] "
                f"{self.done:>11,}/{self.total:,} rows {self.rate:>10,.0f} rows/s")

    def advance(self, rows: int) -> None:
        self.done += rows
        now = time.perf_counter()
        if self._tty and now - self._drawn >= _REDRAW_S:
            self._drawn = now
            self._stream.write("\r" + self.line())
            self._stream.flush()

    def finish(self) -> None:
        self._stream.write(("\r" if self._tty else "") + self.line() + "\n")
        self._stream.flush()
