"""A grading run's progress bar (`medai grade`): one line with ETA on stderr, redrawn in place on a terminal, a line
per 10% otherwise. Not students' standing in the course: that is medai.progress."""
from __future__ import annotations

import sys
import time


def _clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    def __init__(self, total: int, *, label: str, enabled: bool | None = None, stream=None, width: int = 24):
        self.total = total
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.enabled = self.tty if enabled is None else enabled
        self.width = width
        self.done = 0
        self.skipped = 0
        self.attention = 0
        self.start = time.monotonic()
        self._last_decile = -1

    def line(self) -> str:
        frac = self.done / self.total if self.total else 1.0
        bar = "#" * int(frac * self.width) + "-" * (self.width - int(frac * self.width))
        elapsed = time.monotonic() - self.start
        worked = self.done - self.skipped
        if worked and self.done < self.total:
            eta = f"ETA {_clock(elapsed / worked * (self.total - self.done))}"
        else:
            eta = f"{_clock(elapsed)} elapsed"
        flag = f", {self.attention} need attention" if self.attention else ""
        return f"{self.label} [{bar}] {self.done}/{self.total}{flag}, {eta}"

    def update(self, *, skipped: bool = False, attention: bool = False) -> None:
        self.done += 1
        self.skipped += skipped
        self.attention += attention
        if not self.enabled:
            return
        if self.tty:
            self.stream.write("\r" + self.line().ljust(78))
            self.stream.flush()
        elif self.done * 10 // max(1, self.total) != self._last_decile:
            self._last_decile = self.done * 10 // max(1, self.total)
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()
