"""First-use passwords with bcrypt off the hub's event loop: the same rules as FirstUseAuthenticator, the loop
keeps serving while a password is hashed, and two first logins of one account cannot both set a password."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

from firstuseauthenticator import FirstUseAuthenticator

from medai.hub.auth import ThreadedFirstUseAuthenticator


def make(cls, tmp_path):
    tmp_path.mkdir(parents=True, exist_ok=True)
    return cls(dbm_path=str(tmp_path / "passwords.dbm"), create_users=True, min_password_length=8)


def login(auth, name, password):
    return auth.authenticate(SimpleNamespace(), {"username": name, "password": password})


def test_same_rules_as_first_use(tmp_path):
    auth = make(ThreadedFirstUseAuthenticator, tmp_path)
    handler = SimpleNamespace()

    async def scenario():
        assert await auth.authenticate(handler, {"username": "med01", "password": "short"}) is None
        assert "at least 8" in handler.custom_login_error
        assert await login(auth, "med01", "first password") == "med01"  # the first login sets it
        assert await login(auth, "med01", "another one!") is None
        assert await login(auth, "med01", "first password") == "med01"

    asyncio.run(scenario())
    stock = make(FirstUseAuthenticator, tmp_path)  # the same password file, read by the stock authenticator
    assert asyncio.run(login(stock, "med01", "first password")) == "med01"
    assert asyncio.run(login(stock, "med01", "another one!")) is None


def ticks_during_login(auth) -> int:
    async def scenario():
        ticks, done = 0, False

        async def ticker():
            nonlocal ticks
            while not done:
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(ticker())
        assert await login(auth, "eng01", "a good password") == "eng01"
        done = True
        await task
        return ticks

    return asyncio.run(scenario())


def test_the_event_loop_keeps_running_while_a_password_is_hashed(tmp_path):
    assert ticks_during_login(make(FirstUseAuthenticator, tmp_path / "stock")) == 0  # stock: the loop stalls
    assert ticks_during_login(make(ThreadedFirstUseAuthenticator, tmp_path)) > 0


def test_two_first_logins_of_one_account_cannot_both_set_a_password(tmp_path):
    auth = make(ThreadedFirstUseAuthenticator, tmp_path)

    async def both():
        return await asyncio.gather(login(auth, "med02", "password one"), login(auth, "med02", "password two"))

    results = asyncio.run(both())
    assert sorted(map(str, results)) == ["None", "med02"]  # exactly one of them got in
    winner = "password one" if results[0] else "password two"
    assert asyncio.run(login(auth, "med02", winner)) == "med02"
