"""The nbgrader adapter: the nbgrader it was written against, and its small pure parts."""
from __future__ import annotations

import datetime as dt

import pytest

from medai.nbgrader_adapter import NBGRADER_VERSION, installed_version
from medai.nbgrader_adapter.collect import Rejection, parse_inbound_name
from medai.nbgrader_adapter.converters import classify_failure, read_sanitize_log
from medai.nbgrader_adapter.gradebook import parse_timestamp, utc, utc_naive


def test_nbgrader_is_the_version_the_adapter_was_written_against():
    assert installed_version() == NBGRADER_VERSION, (
        f"nbgrader {installed_version()} is installed, medai.nbgrader_adapter was written against "
        f"{NBGRADER_VERSION}: check each behaviour its modules' docstrings list, then update NBGRADER_VERSION")


def test_inbound_names_parse_as_nbgrader_writes_them_and_nothing_else():
    name = parse_inbound_name("med01+c02-diagnostic-metrics+2026-09-20 10:00:00.000000 UTC+a1b2c3")
    assert (name.student, name.assignment, name.timestamp) == ("med01", "c02-diagnostic-metrics",
                                                              dt.datetime(2026, 9, 20, 10, 0))
    assert parse_inbound_name("med01+ps1+2026-09-20 10:00:00 UTC").assignment == "ps1"  # no random part
    for bad in ("med01+..+2026-09-20 10:00:00 UTC+x", "..+ps1+2026-09-20 10:00:00 UTC+x", "med01+ps1",
                "med01+ps1+yesterday+x", ".med01+ps1+2026-09-20 10:00:00 UTC+x", "a+b+c+d+e", "med01+p/s+2026+x"):
        with pytest.raises(Rejection):
            parse_inbound_name(bad)


def test_times_as_nbgrader_keeps_them():
    seoul = dt.timezone(dt.timedelta(hours=9))
    when = dt.datetime(2026, 9, 21, 8, 59, tzinfo=seoul)
    assert utc_naive(when) == dt.datetime(2026, 9, 20, 23, 59)
    assert utc(utc_naive(when)) == when
    assert parse_timestamp("2026-09-20 23:59:00.000000 UTC") == when and parse_timestamp("soon") is None


def test_sanitize_log_and_failures_are_read_from_nbgrader_messages():
    records = [(20, "Sanitizing /c/autograded/a/ps1/p1.ipynb"),
               (30, "Attribute 'checksum' for cell correct_squares has changed! (should be: abc, got: def)"),
               (30, "Cell with id 'squares' exists multiple times!")]
    said = read_sanitize_log(records)
    assert said.changed == [("p1.ipynb", "correct_squares", "checksum")]
    assert said.duplicates == [("p1.ipynb", "squares")]
    assert classify_failure([(40, "NotJSONError: Notebook does not appear to be JSON")])[0] is True
    assert classify_failure([(40, "Traceback (most recent call last):"), (40, "KeyError: 'x'")]) == (False,
                                                                                                   "KeyError: 'x'")
