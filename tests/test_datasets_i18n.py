"""What a student can meet from medai.datasets in a notebook, in their language with the English kept (domain
"datasets", datasets/locale): every message the code writes through `said` has Korean, keeps its placeholders,
none is unused, and the error reads Korean first (the default) or English alone (MEDAI_LANG=en)."""
from __future__ import annotations

import string

import pandas as pd
import pytest

from medai.datasets import access
from medai.datasets.deid import kanon
from medai.datasets.errors import DOMAIN, LOCALE_DIR, DatasetError
from medai.i18n import po_path, translator
from tests.conftest import REPO
from tests.i18n_check import messages_in, problems

PO = po_path(REPO / "datasets" / "locale", "ko", DOMAIN)


def code_messages() -> dict[str, str]:
    return messages_in((REPO / "datasets").rglob("*.py"), {"said": None})


def test_every_message_has_korean_and_none_is_unused():
    assert po_path(LOCALE_DIR, "ko", DOMAIN).read_bytes() == PO.read_bytes()  # shipped as written
    code = code_messages()
    assert len(code) >= 12 and "no such columns: {columns}" in code
    assert problems(code, PO) == []


def test_the_korean_keeps_each_placeholder():
    ko = translator("ko", domain=DOMAIN, localedir=LOCALE_DIR).gettext

    def fields(text: str) -> set[tuple]:
        return {(name, conv) for _lit, name, _spec, conv in string.Formatter().parse(text) if name is not None}

    for msgid in code_messages():
        assert fields(ko(msgid)) == fields(msgid), msgid


def test_a_student_reads_korean_first_with_the_english_under_it(tmp_path, monkeypatch):
    monkeypatch.delenv("MEDAI_LANG", raising=False)  # a student without a language: Korean
    with pytest.raises(DatasetError) as err:
        access.dataset_path("omop-cohort", root=tmp_path)
    korean, english = str(err.value).split("\n")
    assert korean.startswith("데이터셋 'omop-cohort'이(가)") and "`medai datasets build omop-cohort`" in korean
    assert english == (f"(dataset 'omop-cohort' is not built under {tmp_path}; ask an instructor to run "
                       "`medai datasets build omop-cohort`)")
    with pytest.raises(DatasetError, match="no such columns: zip"):  # the English stays findable
        kanon.k_anonymity(pd.DataFrame({"age": [1]}), ["age", "zip"])


def test_an_english_reader_gets_the_english_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDAI_LANG", "en")
    with pytest.raises(DatasetError) as err:
        kanon.k_anonymity(pd.DataFrame({"age": [1]}), [])
    assert str(err.value) == "name at least one quasi-identifier"
