"""A tornado app of ours served in-process on a free loopback port, in its own thread with its own event loop,
stopped when the `with` block ends: the services' pages and APIs tested without a hub."""
from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator

from tornado import ioloop, web

from tests.grade_support import free_port


@contextlib.contextmanager
def serving_app(make: Callable[[int], web.Application]) -> Iterator[int]:
    """Yields the port `make(port)`'s application listens on (127.0.0.1)."""
    port = free_port()
    started, loops, failed = threading.Event(), [], []

    def run() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        try:
            make(port).listen(port, address="127.0.0.1")
        except BaseException as err:  # noqa: BLE001 - reported in the test's thread
            failed.append(err)
            started.set()
            return
        loops.append(ioloop.IOLoop.current())
        started.set()
        loops[0].start()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    if not started.wait(30):
        raise RuntimeError("the app did not start listening within 30 s")
    if failed:
        raise RuntimeError(f"the app did not start: {failed[0]!r}") from failed[0]
    try:
        yield port
    finally:
        loops[0].add_callback(loops[0].stop)
        thread.join(10)
