"""De-identify DICOM headers: a subset of DICOM PS3.15 Annex E's Basic Application Level Confidentiality
Profile, with keyed pseudonyms and per-patient date shifting.

Removed: other patient ids (the RRN), birth date, address, telephone numbers, institution, referring
physician, study id, private tags. Replaced: patient name and id, accession number (HMAC pseudonyms); every
UID (a UID derived from the key and the old UID, so a series stays a series); dates (shifted by the patient's
secret number of days). Ages over 89 become 090Y. PatientIdentityRemoved = YES and DeidentificationMethod
say what was done. Pixel data is not inspected: burned-in text is out of scope (none in the synthetic images).
"""
from __future__ import annotations

import copy
import hashlib
import hmac
import uuid
import datetime as dt
from typing import TYPE_CHECKING

from medai.datasets.deid.pseudonymise import _check_key, pseudonymise, shift_days

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import Dataset

REMOVE = ("OtherPatientIDs", "OtherPatientIDsSequence", "PatientBirthDate", "PatientBirthTime", "PatientAddress",
          "PatientTelephoneNumbers", "PatientMotherBirthName", "InstitutionName", "InstitutionAddress",
          "ReferringPhysicianName", "PerformingPhysicianName", "OperatorsName", "StudyID", "MilitaryRank",
          "EthnicGroup", "PatientComments", "AdditionalPatientHistory")
DATES = ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate")
UIDS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID")
#: header keywords that may carry personal information, for scanning
PHI_KEYWORDS = ("PatientName", "PatientID", "AccessionNumber", *REMOVE)
METHOD = "PS3.15 E.1 basic subset; HMAC pseudonyms; date shift"  # LO: at most 64 characters


def _new_uid(key: bytes, old: str) -> str:
    """A new UID (2.25 arc) that only the key's holder can link to the old one."""
    digest = hmac.new(key, b"uid:" + old.encode(), hashlib.sha256).digest()[:16]
    return f"2.25.{uuid.UUID(bytes=digest, version=4).int}"


def deidentify_dicom(ds: "Dataset", *, key: bytes, max_shift_days: int = 365) -> "Dataset":
    """A de-identified copy of `ds` (the original is not changed)."""
    key = _check_key(key)
    out = copy.deepcopy(ds)
    patient = str(out.get("PatientID", ""))
    shift = int(shift_days([patient], key=key, max_days=max_shift_days)[0])
    for keyword in REMOVE:
        if keyword in out:
            delattr(out, keyword)
    out.remove_private_tags()
    out.PatientName = pseudonymise([patient], key=key, prefix="P")[0]
    out.PatientID = str(out.PatientName)
    if out.get("AccessionNumber"):
        out.AccessionNumber = pseudonymise([out.AccessionNumber], key=key, length=12, prefix="A")[0]
    for keyword in DATES:
        value = out.get(keyword)
        if value:
            day = dt.datetime.strptime(str(value), "%Y%m%d").date() + dt.timedelta(days=shift)
            setattr(out, keyword, day.strftime("%Y%m%d"))
    age = str(out.get("PatientAge", ""))
    if age.endswith("Y") and age[:-1].isdigit() and int(age[:-1]) > 89:
        out.PatientAge = "090Y"
    for keyword in UIDS:
        if out.get(keyword):
            setattr(out, keyword, _new_uid(key, str(getattr(out, keyword))))
    if getattr(out, "file_meta", None) is not None and "SOPInstanceUID" in out:
        out.file_meta.MediaStorageSOPInstanceUID = out.SOPInstanceUID
    out.PatientIdentityRemoved = "YES"
    out.DeidentificationMethod = METHOD
    return out


def phi_in_header(ds: "Dataset") -> dict[str, str]:
    """Non-empty header values that may identify the patient (by keyword)."""
    return {k: str(ds.get(k)) for k in PHI_KEYWORDS if ds.get(k) not in (None, "")}
