"""Check tables against HIPAA Safe Harbor's identifier list and PIPA's pseudonymisation rules.

Pattern scans find Korean RRNs, phone numbers, e-mail addresses, street addresses, exact dates, ages over 89,
name-like text after 환자/보호자/성명, and pseudonym-looking hex columns that are really unkeyed hashes. Given the
raw identifiers (``known_identifiers``), the report also proves that none of them survives anywhere, verbatim
or as a plain MD5/SHA-1/SHA-256 hash. Items that cannot be checked from table contents (photos, biometrics,
device and vehicle ids) are listed as "review by hand".
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Sequence

from medai.datasets.deid.kanon import Anonymity, measure
from medai.datasets.deid.phi import rrn_is_valid

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

_EDGE_L, _EDGE_R = r"(?<![0-9A-Za-z])", r"(?![0-9A-Za-z])"
PATTERNS = {
    "rrn": re.compile(_EDGE_L + r"\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])-?[1-8]\d{6}" + _EDGE_R),
    "phone": re.compile(_EDGE_L + r"(?:01[016789]-?\d{3,4}-?\d{4}|0(?:2|[3-6][1-5])-\d{3,4}-\d{4})" + _EDGE_R),
    "email": re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
    "address": re.compile(r"[가-힣]+(?:특별시|광역시|특별자치시|도|특별자치도)\s+[가-힣]+(?:시|군|구)(?:\s+[가-힣]+구)?\s+"
                          r"[가-힣0-9]+(?:로|길)\s*\d+"),
    "name_in_text": re.compile(r"(?:환자|보호자|성명|이름)\s*:?\s*(?!\[)[가-힣]{2,4}"),
    "exact_date": re.compile(r"(?:19|20)\d{2}-\d{2}-\d{2}"),
    "url": re.compile(r"https?://\S+"),
    "ip": re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])"),
}
SAFE_HARBOR = (  # (item, how it is checked)
    ("names", "name_in_text pattern, name columns, known identifiers"),
    ("geographic subdivisions smaller than a state (street, city, postal code beyond 3 digits)", "address"),
    ("all elements of dates (except year) related to an individual", "exact_date pattern, datetime columns"),
    ("ages over 89", "age columns"),
    ("telephone numbers", "phone"), ("fax numbers", "phone"), ("e-mail addresses", "email"),
    ("social security numbers (here: resident registration numbers)", "rrn"),
    ("medical record numbers", "known identifiers, mrn columns"),
    ("health plan beneficiary numbers", "review by hand"), ("account numbers", "review by hand"),
    ("certificate/licence numbers", "review by hand"), ("vehicle identifiers", "review by hand"),
    ("device identifiers and serial numbers", "review by hand"), ("URLs", "url pattern"),
    ("IP addresses", "ip pattern"), ("biometric identifiers", "review by hand"),
    ("full-face photographs and comparable images", "review by hand"),
)
_IDENTIFYING_COLUMNS = re.compile(r"(^|_)(name|mrn|rrn|ssn|phone|email|address|성명|이름|주민|전화|주소)($|_)",
                                  re.IGNORECASE)
_HEX = re.compile(r"^[A-Za-z]?[0-9a-f]{8,64}$")


@dataclass(frozen=True)
class Finding:
    rule: str
    table: str
    column: str
    rows: int
    example: str


@dataclass(frozen=True)
class DeidReport:
    findings: tuple[Finding, ...]
    anonymity: dict[str, Anonymity]
    k_required: int
    pipa: tuple[tuple[str, bool, str], ...] = field(default=())
    safe_harbor: tuple[tuple[str, str], ...] = field(default=())

    @property
    def passed(self) -> bool:
        return all(ok for _, ok, _ in self.pipa)

    def to_markdown(self) -> str:
        lines = ["# De-identification report", "", f"Overall: {'PASS' if self.passed else 'FAIL'}", "",
                 "## PIPA pseudonymisation rules", ""]
        lines += [f"- [{'x' if ok else ' '}] {rule}: {detail}" for rule, ok, detail in self.pipa]
        lines += ["", "## HIPAA Safe Harbor identifiers", ""]
        lines += [f"- {item}: {status}" for item, status in self.safe_harbor]
        if self.findings:
            lines += ["", "## Findings", "", "| rule | table | column | rows | example |", "|---|---|---|---|---|"]
            lines += [f"| {f.rule} | {f.table} | {f.column} | {f.rows} | {f.example} |" for f in self.findings]
        return "\n".join(lines) + "\n"


class KnownIdentifiers:
    """Exact identifiers to look for inside text: whole values, Hangul substrings of 2-4 characters (names
    followed by particles or titles), and runs of digits and dashes (numbers)."""

    _TOKENS = re.compile(r"[가-힣]+|[0-9][0-9-]*[0-9]")

    def __init__(self, values: Iterable[object]):
        self.values = {str(v) for v in values if str(v)}
        self.lengths = sorted({len(v) for v in self.values if re.fullmatch(r"[가-힣]+", v)}, reverse=True)
        self.spaced: dict[str, list[str]] = {}  # values with spaces (addresses), by their first word
        for v in self.values:
            if " " in v:
                self.spaced.setdefault(v.split()[0], []).append(v)

    def first_in(self, text: str) -> str | None:
        if text in self.values:
            return text
        for token in self._TOKENS.findall(text):
            if token in self.values:
                return token
            if token[0] >= "가":
                for size in self.lengths:
                    for i in range(len(token) - size + 1):
                        if token[i:i + size] in self.values:
                            return token[i:i + size]
        for word in set(text.split()) & self.spaced.keys():  # addresses and other values with spaces
            for value in self.spaced[word]:
                if value in text:
                    return value
        return None

    def replace(self, text: str, placeholder: str) -> str:
        """`text` with every Hangul identifier (names) replaced by `placeholder`, longest first."""
        def sub(match):
            token, out, i = match.group(0), [], 0
            while i < len(token):
                for size in self.lengths:
                    if token[i:i + size] in self.values:
                        out.append(placeholder)
                        i += size
                        break
                else:
                    out.append(token[i])
                    i += 1
            return "".join(out)
        return re.sub(r"[가-힣]+", sub, text)


def _mask(text: str) -> str:
    text = str(text)
    return text if len(text) <= 4 else text[:2] + "*" * (len(text) - 4) + text[-2:]


def _hashes(identifiers: Iterable[str]) -> set[str]:
    out = set()
    for value in identifiers:
        data = str(value).encode("utf-8")
        for algorithm in ("md5", "sha1", "sha256"):
            out.add(hashlib.new(algorithm, data).hexdigest())
    return out


def scan(tables: dict[str, "pd.DataFrame"], *, known_identifiers: Iterable[str] = (),
         date_columns_allowed: bool = False) -> list[Finding]:
    import pandas as pd

    known = KnownIdentifiers(known_identifiers)
    hashes = _hashes(known.values)
    findings = []
    for tname, frame in tables.items():
        for column in frame.columns:
            series = frame[column]
            if _IDENTIFYING_COLUMNS.search(str(column)):
                findings.append(Finding("identifying column", tname, str(column), len(series),
                                        _mask(series.iloc[0]) if len(series) else ""))
            if pd.api.types.is_datetime64_any_dtype(series) and not date_columns_allowed:
                findings.append(Finding("exact date", tname, str(column), int(series.notna().sum()),
                                        str(series.dropna().iloc[0])[:4] + "-**-**" if series.notna().any() else ""))
                continue
            if re.search(r"(^|_)age($|_)", str(column)) and pd.api.types.is_numeric_dtype(series):
                over = int((series > 89).sum())
                if over:
                    findings.append(Finding("age over 89", tname, str(column), over, "90+"))
            if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
                continue
            text = series.dropna().astype(str)
            for rule, pattern in PATTERNS.items():
                if rule == "exact_date" and date_columns_allowed:
                    continue
                hit = text[text.str.contains(pattern, regex=True)]
                if rule == "rrn":  # a real RRN has a valid check digit
                    hit = hit[[any(rrn_is_valid(m) for m in pattern.findall(t)) for t in hit]]
                if len(hit):
                    findings.append(Finding(rule, tname, str(column), len(hit),
                                            _mask(pattern.search(hit.iloc[0]).group(0))))
            if known.values:
                found = [hit for hit in map(known.first_in, text) if hit]
                if found:
                    findings.append(Finding("known identifier", tname, str(column), len(found), _mask(found[0])))
            hexes = text[text.str.fullmatch(_HEX)]
            if len(hexes) and hashes:
                bare = hexes.str.replace(r"^[A-Za-z](?=[0-9a-f]{8})", "", regex=True).str.lower()
                lengths = set(bare.str.len())
                prefixes = {h[:n] for h in hashes for n in lengths}
                plain = bare[bare.isin(prefixes)]
                if len(plain):
                    findings.append(Finding("unkeyed hash of an identifier", tname, str(column), len(plain),
                                            _mask(plain.iloc[0])))
    return findings


def deid_report(tables: dict[str, "pd.DataFrame"], *, quasi_identifiers: dict[str, Sequence[str]] | None = None,
                sensitive: dict[str, str] | None = None, k: int = 5, known_identifiers: Iterable[str] = (),
                dates_shifted: bool = False) -> DeidReport:
    """Scan `tables`; measure k-anonymity (and l-diversity) of the tables named in `quasi_identifiers`.

    `dates_shifted`: dates were shifted per patient with a secret key, which PIPA's pseudonymisation accepts;
    Safe Harbor still lists them (it allows only years)."""
    findings = scan(tables, known_identifiers=known_identifiers)
    anonymity = {t: measure(tables[t], q, sensitive=(sensitive or {}).get(t))
                 for t, q in (quasi_identifiers or {}).items()}
    by_rule: dict[str, list[Finding]] = {}
    for f in findings:
        by_rule.setdefault(f.rule, []).append(f)
    direct = [f for r in ("rrn", "phone", "email", "address", "name_in_text", "identifying column",
                          "known identifier", "url", "ip") for f in by_rule.get(r, [])]
    where = lambda fs: ", ".join(sorted({f"{f.table}.{f.column} ({f.rule})" for f in fs})) or "none found"  # noqa
    low_k = [f"{t}: k={a.k}" for t, a in anonymity.items() if a.k < k]
    dates = by_rule.get("exact date", []) + by_rule.get("exact_date", [])
    pipa = (
        ("direct identifiers removed or replaced (names, RRN, phone, e-mail, address, record numbers)",
         not direct, where(direct)),
        ("pseudonyms are keyed (no plain hash of an identifier)", "unkeyed hash of an identifier" not in by_rule,
         where(by_rule.get("unkeyed hash of an identifier", []))),
        (f"quasi-identifiers generalised to k >= {k}", bool(anonymity) and not low_k,
         "; ".join(low_k) or ", ".join(f"{t}: k={a.k}" for t, a in anonymity.items()) or "not measured"),
        ("dates shifted per patient or reduced to years", dates_shifted or not dates, where(dates)),
        ("ages over 89 aggregated", "age over 89" not in by_rule, where(by_rule.get("age over 89", []))),
    )
    status = {"exact_date pattern, datetime columns": dates, "address": by_rule.get("address", []),
              "phone": by_rule.get("phone", []), "email": by_rule.get("email", []), "rrn": by_rule.get("rrn", []),
              "age columns": by_rule.get("age over 89", []), "url pattern": by_rule.get("url", []),
              "ip pattern": by_rule.get("ip", []),
              "name_in_text pattern, name columns, known identifiers":
                  by_rule.get("name_in_text", []) + by_rule.get("known identifier", []),
              "known identifiers, mrn columns": by_rule.get("identifying column", [])}
    safe_harbor = tuple((item, "review by hand" if how == "review by hand" else
                         ("found: " + where(status[how]) if status[how] else "none found"))
                        for item, how in SAFE_HARBOR)
    return DeidReport(findings=tuple(findings), anonymity=anonymity, k_required=k, pipa=pipa,
                      safe_harbor=safe_harbor)
