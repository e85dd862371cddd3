"""Synthetic Korean personal information for the raw hospital export and DICOM headers: names, resident
registration numbers (주민등록번호) with a valid check digit, addresses with postal codes, phone numbers.

All of it is made up from seeded draws over common surnames, name syllables, provinces, districts and road
names; any match with a real person is chance. Vectorised with numpy: a generator call makes all values at once.
"""
from __future__ import annotations

import numpy as np

# surname shares, Statistics Korea 2015 census (top 25, renormalised)
SURNAMES = np.array(list("김이박최정강조윤장임한오서신권황안송류전홍고문양손"))
SURNAME_SHARE = np.array([21.5, 14.7, 8.4, 4.7, 4.4, 2.3, 2.1, 2.1, 2.0, 1.7, 1.5, 1.5, 1.5, 1.5, 1.4, 1.4, 1.3,
                          1.2, 1.2, 1.1, 1.1, 0.9, 0.9, 0.9, 0.9])
GIVEN = {  # common syllables of given names
    "M": np.array(list("민준서현우진영호성재동지훈석철수상태정혁")),
    "F": np.array(list("서연지민수영은희현하윤혜경미주아나유진정")),
}
# province (시도) -> (population share %, postal-code prefixes, districts)
PROVINCES = {
    "서울특별시": (18.3, range(1, 10), ("강남구", "송파구", "마포구", "종로구", "관악구", "노원구")),
    "부산광역시": (6.5, range(46, 50), ("해운대구", "부산진구", "동래구", "사하구")),
    "대구광역시": (4.6, range(41, 44), ("수성구", "달서구", "중구")),
    "인천광역시": (5.8, range(21, 24), ("연수구", "남동구", "부평구")),
    "광주광역시": (2.8, range(61, 63), ("북구", "서구", "광산구")),
    "대전광역시": (2.8, range(34, 36), ("유성구", "서구", "대덕구")),
    "울산광역시": (2.1, range(44, 46), ("남구", "울주군")),
    "세종특별자치시": (0.7, range(30, 31), ("세종시",)),
    "경기도": (26.3, range(10, 19), ("수원시 영통구", "성남시 분당구", "고양시 일산동구", "용인시 수지구", "부천시")),
    "강원특별자치도": (3.0, range(24, 27), ("춘천시", "원주시", "강릉시")),
    "충청북도": (3.1, range(27, 30), ("청주시 흥덕구", "충주시")),
    "충청남도": (4.1, range(31, 34), ("천안시 동남구", "아산시", "공주시")),
    "전북특별자치도": (3.4, range(54, 57), ("전주시 완산구", "익산시", "군산시")),
    "전라남도": (3.5, range(57, 61), ("목포시", "여수시", "순천시")),
    "경상북도": (5.0, range(36, 41), ("포항시 남구", "구미시", "경주시", "안동시")),
    "경상남도": (6.4, range(50, 54), ("창원시 성산구", "김해시", "진주시")),
    "제주특별자치도": (1.3, range(63, 64), ("제주시", "서귀포시")),
}
ROADS = np.array(["중앙로", "대학로", "시청로", "번영로", "문화로", "공원로", "역전로", "강변로", "학교길", "새마을로",
                  "평화로", "희망로", "산업로", "해안로", "동산길"])
RRN_WEIGHTS = np.array([2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5])


def rrn_check_digit(first12: str) -> int:
    """The 13th digit of a resident registration number: (11 - sum(d_i * w_i) mod 11) mod 10."""
    digits = np.array([int(c) for c in first12])
    return int((11 - int(digits @ RRN_WEIGHTS) % 11) % 10)


def rrn_is_valid(rrn: str) -> bool:
    digits = rrn.replace("-", "")
    return len(digits) == 13 and digits.isdigit() and rrn_check_digit(digits[:12]) == int(digits[12])


def names(rng: np.random.Generator, sex: np.ndarray) -> np.ndarray:
    """Korean full names (surname + two syllables) for each sex code 'M'/'F'."""
    n = len(sex)
    surname = rng.choice(SURNAMES, size=n, p=SURNAME_SHARE / SURNAME_SHARE.sum())
    first = np.where(sex == "M", rng.choice(GIVEN["M"], n), rng.choice(GIVEN["F"], n))
    second = np.where(sex == "M", rng.choice(GIVEN["M"], n), rng.choice(GIVEN["F"], n))
    second = np.where(second == first, np.where(sex == "M", "호", "희"), second)
    return np.char.add(np.char.add(surname, first), second)


def rrns(rng: np.random.Generator, birth: np.ndarray, sex: np.ndarray) -> np.ndarray:
    """주민등록번호 YYMMDD-GRRRRSC: G encodes sex and century (1/2: 1900s, 3/4: 2000s), C the check digit."""
    birth = birth.astype("datetime64[D]")
    years = birth.astype("datetime64[Y]").astype(int) + 1970
    months = birth.astype("datetime64[M]").astype(int) % 12 + 1
    days = (birth - birth.astype("datetime64[M]")).astype(int) + 1
    gender = np.where(years >= 2000, 3, 1) + (sex == "F")
    rest = rng.integers(0, 10, size=(len(birth), 5))
    first12 = np.column_stack([(years % 100) // 10, years % 10, months // 10, months % 10, days // 10, days % 10,
                               gender, rest])
    check = (11 - (first12 @ RRN_WEIGHTS) % 11) % 10
    digits = np.column_stack([first12, check]).astype(str)
    joined = np.array(["".join(row) for row in digits])
    return np.array([f"{s[:6]}-{s[6:]}" for s in joined])


def addresses(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(province, full road address, 5-digit postal code) for `n` people, provinces by population share."""
    provinces = list(PROVINCES)
    share = np.array([PROVINCES[p][0] for p in provinces])
    which = rng.choice(len(provinces), size=n, p=share / share.sum())
    province = np.array(provinces)[which]
    district = np.array([rng.choice(PROVINCES[provinces[i]][2]) for i in which])
    prefix = np.array([rng.choice(list(PROVINCES[provinces[i]][1])) for i in which])
    postal = np.char.zfill((prefix * 1000 + rng.integers(0, 1000, n)).astype(str), 5)
    road = rng.choice(ROADS, n)
    number = rng.integers(1, 300, n)
    unit = np.where(rng.random(n) < 0.6, np.char.add(np.char.add(", ", rng.integers(101, 120, n).astype(str)),
                                                       np.char.add("동 ", np.char.add(
                                                           rng.integers(101, 2505, n).astype(str), "호"))), "")
    full = np.array([f"{p} {d} {r} {k}{u}" for p, d, r, k, u in zip(province, district, road, number, unit)])
    return province, full, postal


def phones(rng: np.random.Generator, n: int) -> np.ndarray:
    mobile = np.array([f"010-{a:04d}-{b:04d}" for a, b in zip(rng.integers(2000, 10000, n),
                                                                rng.integers(0, 10000, n))])
    landline = np.array([f"02-{a}-{b:04d}" for a, b in zip(rng.integers(200, 1000, n), rng.integers(0, 10000, n))])
    return np.where(rng.random(n) < 0.9, mobile, landline)


def people(rng: np.random.Generator, n: int, *, at: np.datetime64, min_age: float = 20,
           max_age: float = 96) -> dict[str, np.ndarray]:
    """`n` made-up people as of date `at`: mrn (8 digits, unique), name, sex, birth_date, rrn, phone, address,
    postal_code, province."""
    sex = np.where(rng.random(n) < 0.5, "M", "F")
    age_days = (rng.uniform(min_age, max_age, n) * 365.25).astype(np.int64)
    birth = np.datetime64(at, "D") - age_days.astype("timedelta64[D]")
    province, address, postal = addresses(rng, n)
    mrn = rng.choice(np.arange(10_000_000, 100_000_000), n, replace=False).astype(str)
    return {"mrn": mrn, "name": names(rng, sex), "sex": sex, "birth_date": birth, "rrn": rrns(rng, birth, sex),
            "phone": phones(rng, n), "address": address, "postal_code": postal, "province": province}
