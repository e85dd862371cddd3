"""Self-checks for "De-identifying a hospital export": public checks only (run `q1.check()`).

The hidden tests that decide your grade are not here; passing these means you are on the right track.
Messages in Korean or English: locale/ko/LC_MESSAGES/checks.po beside this file (medai.selfcheck.messages).
"""
import hashlib
import re

import numpy as np
import pandas as pd

from medai.selfcheck import NotYet, Question, expect, messages

_, _n, N_ = messages(__file__)

_KEY_A, _KEY_B = b"a" * 32, b"b" * 32


def _q1(ns):
    f = ns.function("pseudonymise_ids")
    got = f(["55006640", "20469956", "55006640", 7], _KEY_A)
    expect(isinstance(got, list) and len(got) == 4, _("pseudonymise_ids should return a list, one pseudonym per "
                                                      "value."))
    expect(all(isinstance(p, str) for p in got), _("each pseudonym should be a string."))
    expect(got[0] == got[2], _("the same value must always get the same pseudonym (under the same key)."))
    expect(got[0] != got[1], _("different values should get different pseudonyms."))
    expect(all(re.fullmatch(r"P[0-9a-f]{16}", p) for p in got),
           _("a pseudonym is 'P' + 16 lowercase hexadecimal characters; yours look like {got!r}.").format(got=got[0]))
    expect(f(["7"], _KEY_A) == [got[3]], _("use str(value): the number 7 and the text '7' are the same MRN."))
    expect(f(["55006640"], _KEY_B) != [got[0]], _("a different key must give a different pseudonym: use the key."))
    plain = hashlib.sha256(b"55006640").hexdigest()[:16]
    expect(got[0][1:] != plain, _("that is a plain SHA-256 of the MRN, which anyone can recompute: use hmac.new(key, "
                                  "...)."))
    expect(f(["x"], _KEY_A, prefix="E")[0].startswith("E"), _("honour the prefix argument."))


def _q2(ns):
    days = ns.function("date_shift_days")
    ids = [f"p{i}" for i in range(400)]
    s = np.asarray(days(ids, _KEY_A, max_days=30))
    expect(s.shape == (400,), _("date_shift_days should return one shift per id."))
    expect(np.issubdtype(s.dtype, np.integer), _("shifts should be whole days (an integer array)."))
    expect(np.all(np.abs(s) <= 30), _("every shift must lie in [-max_days, max_days]."))
    expect(np.all(s != 0), _("a shift of 0 leaves the real dates in the release: never return 0."))
    expect((s > 0).any() and (s < 0).any(), _("shift both forwards and backwards."))
    expect(list(np.asarray(days(ids[:5], _KEY_A, max_days=30))) == list(s[:5]),
           _("the same id must get the same shift, whoever else is in the list."))
    expect((np.asarray(days(ids, _KEY_B, max_days=30)) != s).mean() > 0.5, _("the shifts should depend on the key."))
    shift = ns.function("shift_dates")
    frame = pd.DataFrame({"mrn": ["1", "1", "2"],
                          "start": pd.to_datetime(["2020-01-01", "2020-03-01", "2021-06-30"]),
                          "end": pd.to_datetime(["2020-01-05", "2020-03-02", "2021-07-01"])})
    copy = frame.copy()
    out = shift(frame, ["start", "end"], _KEY_A)
    expect(frame.equals(copy), _("shift_dates changed the frame it was given: work on a copy."))
    expect(((out["end"] - out["start"]) == (frame["end"] - frame["start"])).all(),
           _("the interval between two dates of a row must not change."))
    moved = (out["start"] - frame["start"]).dt.days
    expect(moved.iloc[0] == moved.iloc[1], _("both rows of patient '1' must move by the same number of days."))
    expect((moved != 0).all(), _("every date should move."))


def _q3(ns):
    years = ns.function("completed_years")
    birth = pd.to_datetime(["1960-12-31", "1961-01-01", "1934-06-15", "2000-02-28", "1960-03-15"])
    at = pd.to_datetime(["2024-12-31", "2024-12-31", "2024-12-31", "2024-02-27", "2023-03-15"])
    got = [int(v) for v in np.asarray(years(birth, at))]
    expect(got == [64, 63, 90, 23, 63], _("completed years should be [64, 63, 90, 23, 63]; yours are {got}. Compare "
                                          "month and day with the birthday rather than dividing days by 365.25.").format(
                                              got=got))
    gen = ns.function("generalise")
    people = pd.DataFrame({"birth_date": pd.to_datetime(["1960-12-31", "1934-06-15", "1975-01-01"]),
                           "sex": ["F", "M", "F"],
                           "address": ["서울특별시 종로구 대학로 120", "부산광역시 해운대구 해안로 3", "경기도 부천시 중앙로 9"]},
                          index=[10, 11, 12])
    out = gen(people, pd.Timestamp("2024-12-31"))
    expect(list(out.columns) == ["age_band", "sex", "province"], _("columns: age_band, sex, province."))
    expect(list(out.index) == [10, 11, 12], _("keep the index of `patients`."))
    expect(list(out["age_band"]) == ["60-69", "90+", "40-49"],
           _("age bands should be ['60-69', '90+', '40-49']; yours are {age_band}.").format(
               age_band=list(out['age_band'])))
    expect(list(out["province"]) == ["서울특별시", "부산광역시", "경기도"], _("province is the first word of the address."))


def _q4(ns):
    k = ns.function("k_anonymity")
    sup = ns.function("suppress")
    toy = pd.DataFrame({"band": ["40-49"] * 3 + ["50-59"] * 2 + ["90+"], "sex": ["F", "F", "F", "M", "M", "F"],
                        "dx": ["I10", "E11.9", "I10", "J44.9", "I10", "C34.9"]}, index=[5, 3, 8, 1, 9, 2])
    expect(int(k(toy, ["band", "sex"])) == 1, _("k is the size of the SMALLEST group: here the lone 90+ woman."))
    expect(int(k(toy, ["sex"])) == 2, _("with sex alone the groups have 4 and 2 rows, so k = 2."))
    kept = sup(toy, ["band", "sex"], 2)
    expect(list(kept.index) == [5, 3, 8, 1, 9], _("suppress should keep every row of groups with at least k rows, in "
                                                  "the original order; you kept rows {index}.").format(
                                                      index=list(kept.index)))
    expect(list(kept.columns) == list(toy.columns), _("suppress should keep all the columns."))
    release = ns.get("release_patients", pd.DataFrame)
    release_k5 = ns.get("release_k5", pd.DataFrame)
    expect(len(release_k5) < len(release), _("release_k5 should be release_patients suppressed to k = 5."))
    expect(ns.get("n_suppressed", (int, np.integer)) == len(release) - len(release_k5),
           _("n_suppressed is the number of patients removed."))


def _q5(ns):
    f = ns.function("scrub_notes")
    text = "환자 이서연(45세/여) 두통 주소로 2023-11-02 내원. 진단: 천식. 보호자 최동훈 연락처 010-9876-5432, 본인 02-555-0101."
    got = f([text], ["이서연"])
    expect(isinstance(got, list) and len(got) == 1, _("scrub_notes should return a list with one text per note."))
    out = got[0]
    for what, value in ((_("the patient's name"), "이서연"), (_("the age"), "45세"), (_("the date"), "2023-11-02"),
                        (_("the mobile number"), "010-9876-5432"), (_("the Seoul landline"), "02-555-0101")):
        expect(value not in out, _("{what} ({value}) is still in the text: {out}").format(
            what=what, value=value, out=out))
    expect("최동훈" not in out, _("the guardian's name is in no table, so your name list cannot find it: remove the "
                                "name written after 보호자 with a pattern."))
    expect("진단: 천식" in out and "두통" in out, _("the clinical content must stay: {out}").format(out=out))
    rrn = f(["주민번호 850101-2345678 확인함."], [])[0]
    expect("850101-2345678" not in rrn, _("a resident registration number is still there."))
    expect(f(["환자 [이름] 진단: 2형 당뇨병."], [])[0] == "환자 [이름] 진단: 2형 당뇨병.",
           _("text without identifiers must come back unchanged (watch '2형': it is not a number to remove)."))
    expect(out.startswith("환자 [이름]([나이]/여)"), _("use the placeholders from the question: {out}").format(out=out))


q1 = Question(N_("Q1 (keyed pseudonyms)"), _q1,
              N_("hmac.new(key, str(value).encode('utf-8'), hashlib.sha256).hexdigest() gives 64 hex characters: "
                 "keep the first 16 and put the prefix in front."))
q2 = Question(N_("Q2 (date shifting)"), _q2,
              N_("digest = hmac.new(key, str(id).encode(), hashlib.sha256).digest(); x = int.from_bytes(digest[:8], "
                 "'big'); size = 1 + x % max_days; the sign from digest[8] % 2. In shift_dates, add "
                 "pd.to_timedelta(shifts, unit='D') to each date column of a copy."))
q3 = Question(N_("Q3 (generalisation)"), _q3,
              N_("age = year difference, minus 1 if (month, day) of `at` comes before (month, day) of the birthday; "
                 "band = age // 10 * 10; address.str.split().str[0] gives the province."))
q4 = Question(N_("Q4 (k-anonymity and suppression)"), _q4,
              N_("frame.groupby(qi).size() gives the group sizes; groupby(qi)[col].transform('size') gives each row "
                 "the size of its own group."))
q5 = Question(N_("Q5 (scrubbing notes)"), _q5,
              N_("compile the patterns once; replace numbers first (RRN before phone), then dates and ages; for the "
                 "name after 환자/보호자, capture the role word in a group and put it back with a backreference (\\1)."))
