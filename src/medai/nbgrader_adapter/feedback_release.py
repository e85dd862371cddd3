"""Returning feedback through the exchange so that only its student (and the graders) can read it.

nbgrader's release_feedback puts each student's feedback in `<exchange>/<course>/feedback/<hash>.html`, mode
0644: hidden only by its name (a hash of the student's submission secret). Here each released file is then
closed to everyone but the grading account and that student: mode 0600 plus a POSIX ACL entry that lets the
student's own account read it (the grading account owns the file, so it may set the ACL without root). Where
the filesystem has no ACLs, or the student has no Unix account, the file keeps nbgrader's mode and a warning
is logged.

Depends on nbgrader 0.9.6's ExchangeReleaseFeedback: `src_path`/`dest_path`, feedback files at
`feedback/<student>/<assignment>/<notebook>.html` beside `submission_secret.txt`, released as
`<notebook_hash(secret, notebook_id)>.html`.
"""
from __future__ import annotations

import glob
import os
import pwd
import re
import struct

from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback

_ACL_XATTR = "system.posix_acl_access"
_UNDEFINED = 0xFFFFFFFF
_USER_OBJ, _USER, _GROUP_OBJ, _MASK, _OTHER = 0x01, 0x02, 0x04, 0x10, 0x20


def _acl_owner_and(uid: int) -> bytes:
    """The xattr form of the ACL `u::rw-,u:<uid>:r--,g::---,m::r--,o::---` (linux/posix_acl_xattr.h)."""
    entries = [(_USER_OBJ, 6, _UNDEFINED), (_USER, 4, uid), (_GROUP_OBJ, 0, _UNDEFINED), (_MASK, 4, _UNDEFINED),
               (_OTHER, 0, _UNDEFINED)]
    return struct.pack("<I", 2) + b"".join(struct.pack("<HHI", tag, perm, ident) for tag, perm, ident in entries)


def readable_only_by(path: str, student: str) -> str | None:
    """Close `path` to all but its owner and `student`; None, or why it could not be done."""
    try:
        uid = pwd.getpwnam(student).pw_uid
    except KeyError:
        return f"{student} has no Unix account"
    if uid == os.stat(path).st_uid:  # the student owns it already (single-account deployments)
        os.chmod(path, 0o600)
        return None
    try:
        os.setxattr(path, _ACL_XATTR, _acl_owner_and(uid), follow_symlinks=False)
    except OSError as err:
        return f"the filesystem refused an ACL ({err.strerror})"
    return None


class PrivateReleaseFeedback(ExchangeReleaseFeedback):
    """nbgrader's release_feedback, then each file readable only by its student (see the module docstring)."""

    def copy_files(self):
        from nbgrader.utils import notebook_hash

        super().copy_files()
        pattern = re.escape(os.path.sep).join([
            self.coursedir.format_path(self.coursedir.feedback_directory, "(?P<student_id>[^/]+)",
                                       self.coursedir.assignment_id, escape=True),
            "(?P<notebook_id>[^/]+).html"])
        for html_file in glob.glob(os.path.join(self.src_path, "*.html")):
            m = re.match(pattern, html_file)
            secret_file = os.path.join(os.path.dirname(html_file), "submission_secret.txt")
            if m is None or not os.path.exists(secret_file):
                continue
            with open(secret_file) as fh:
                checksum = notebook_hash(secret=fh.read(), notebook_id=m["notebook_id"])
            released = os.path.join(self.dest_path, f"{checksum}.html")
            if os.path.exists(released):
                problem = readable_only_by(released, m["student_id"])
                if problem:
                    self.log.warning("Feedback %s stays readable by anyone who knows its name: %s", released, problem)
