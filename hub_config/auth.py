"""First-use passwords without stalling the hub: bcrypt runs in a thread, not on the hub's event loop.

Stock FirstUseAuthenticator hashes with bcrypt (~0.25 s of CPU) inside the hub's only event-loop thread, so at
a deadline rush every login waits for all the ones before it and the hub answers nothing else meanwhile
(benchmarks/bench_rush.py: 50 logins at once, each ~14 s). Here the hashing runs in a worker thread (bcrypt
releases the GIL); the password file is read and written on the loop as before, and a first login re-checks
the file before storing, so two first logins of one account cannot both set a password.
"""
from __future__ import annotations

import asyncio
import dbm

import bcrypt
from firstuseauthenticator import FirstUseAuthenticator


def _stored(path: str, username: str) -> bytes | None:
    with dbm.open(path, "c", 0o600) as db:
        return db.get(username.encode("utf8"), None)


def _matches(password: str, stored: bytes) -> bool:
    return bcrypt.hashpw(password.encode("utf8"), stored) == stored


class ThreadedFirstUseAuthenticator(FirstUseAuthenticator):
    """FirstUseAuthenticator with the same rules and password file; only where bcrypt runs differs."""

    async def authenticate(self, handler, data):
        username = self.normalize_username(data["username"])
        password = data["password"]
        if not self.create_users and not self._user_exists(username):
            return None
        stored = _stored(self.dbm_path, username)
        if stored is not None:
            return username if await asyncio.to_thread(_matches, password, stored) else None
        if not self._validate_password(password):
            handler.custom_login_error = (
                f"Password too short! Please choose a password at least {self.min_password_length} characters long.")
            self.log.error(handler.custom_login_error)
            return None
        hashed = await asyncio.to_thread(bcrypt.hashpw, password.encode("utf8"), bcrypt.gensalt())
        with dbm.open(self.dbm_path, "c", 0o600) as db:  # on the loop: no other login interleaves here
            key = username.encode("utf8")
            stored = db.get(key, None)
            if stored is None:
                db[key] = hashed
                return username
        # another first login of this account stored its password while we hashed: check against it
        return username if await asyncio.to_thread(_matches, password, stored) else None
