"""nbgrader's submit, without its privacy gap.

Stock nbgrader leaves each submission folder in the exchange's inbound world-writable (0777) with
world-readable files (nbgrader #1225, #1711): only an unguessable name hides it. Here the inbound directory
is setgid to the graders' group (see medai.hub.runtime), so a submission folder inherits that group and is
made readable by its student and the graders only.
"""
from __future__ import annotations

import os
import stat

from nbgrader.exchange.default.submit import ExchangeSubmit

FILE_MODE = stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IWGRP  # 0660
DIR_MODE = stat.S_IRWXU | stat.S_IRWXG | stat.S_ISGID  # 2770: the graders may collect and clean up


class PrivateExchangeSubmit(ExchangeSubmit):
    """Submit as nbgrader does, then close the submission to everyone but its student and the graders."""

    def copy_files(self):
        super().copy_files()
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        self.set_perms(dest, fileperms=FILE_MODE, dirperms=DIR_MODE)
