"""nbgrader's submit, without its privacy gap.

Stock nbgrader leaves each submission folder in the exchange's inbound world-writable (0777) with
world-readable files (nbgrader #1225, #1711): only an unguessable name hides it. Here the inbound directory
is setgid to the graders' group (see medai.hub.runtime), so every folder of a submission is created with that
group; the folders are then closed to everyone else (0770). Files keep their student's group (a student cannot
give a file to a group they are not in) and stay 0644, which the graders can read, while other accounts cannot
even reach them: no folder on the way lets them through.

Depends on nbgrader 0.9.6's ExchangeSubmit: `copy_files()` writes `<inbound_path>/<assignment_filename>`, and
`set_perms(dest, fileperms=, dirperms=)`.
"""
from __future__ import annotations

import os
import stat

from nbgrader.exchange.default.submit import ExchangeSubmit

FILE_MODE = stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH  # 0644, reachable by graders only
DIR_MODE = stat.S_IRWXU | stat.S_IRWXG  # 0770: the graders may collect and clean up; nobody else gets in


class PrivateExchangeSubmit(ExchangeSubmit):
    """Submit as nbgrader does, then close the submission to everyone but its student and the graders."""

    def copy_files(self):
        super().copy_files()
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        self.set_perms(dest, fileperms=FILE_MODE, dirperms=DIR_MODE)
