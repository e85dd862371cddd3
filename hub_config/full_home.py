"""What a student sees when a save fails because their home is full (or a file is over the size cap).

JupyterLab's save dialog shows the server's message; stock Jupyter says "Unexpected error while saving file:
... [Errno 28] No space left on device". Users' servers run with this contents manager (medai.hub.apply), which
answers 507 with a plain message instead: the home is full, how much of how much is used, and what to do.
"""
from __future__ import annotations

import errno
import os
import resource
from pathlib import Path

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web

from medai.hub.storage import format_size, usage
from medai.i18n import translator

FULL = {errno.ENOSPC, errno.EDQUOT}


def full_message(err: OSError, home: str) -> str:
    """The message for a write that failed with `err` (ENOSPC, EDQUOT or EFBIG), in the user's language."""
    _ = translator().gettext
    if err.errno in FULL:
        u = usage(Path(home).resolve())
        return _("Your home folder is full: you use {used} of {size}. Delete files you no longer need (copies of "
                 "data, model checkpoints, old outputs), then save again.").format(
                     used=format_size(u.used), size=format_size(u.size))
    cap = format_size(resource.getrlimit(resource.RLIMIT_FSIZE)[0])
    return _("This file is too large: a single file may be at most {cap}.").format(cap=cap)


def limit_error(exc: BaseException | None) -> OSError | None:
    """The storage-limit OSError behind `exc`, following its chain (a failed save's clean-up can raise an error
    of its own on top: Jupyter's atomic writing then reports "No such file" instead of the full disk)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in FULL | {errno.EFBIG}:
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


class StorageLimitContentsManager(AsyncLargeFileManager):
    """Jupyter's contents manager, with a plain message when a save hits the home's size limit."""

    async def save(self, model, path=""):
        try:
            return await super().save(model, path)
        except web.HTTPError as err:
            cause = limit_error(err)
            if cause is None:
                raise
            message = full_message(cause, self.root_dir)
            self.log.warning("%s: save of %s refused: %s", os.environ.get("USER", "?"), path, cause)
            raise web.HTTPError(507, message) from cause
