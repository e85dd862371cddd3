"""Write synthetic images as NIfTI (nibabel) and DICOM (pydicom), byte-for-byte reproducibly.

NIfTI: data in (x, y, z) order with an RAS+ affine carrying the voxel spacing (qform and sform code 1, units
mm), gzip-compressed with a zero timestamp. DICOM: one file per slice (CT Image Storage or MR Image Storage),
explicit VR little endian, UTF-8 (ISO_IR 192) text, image position/orientation in LPS, pixel spacing and slice
thickness from the image, UIDs derived from the seed and the case (``2.25.`` UUID-derived), fixed study dates.
The headers carry a made-up patient's personal information (name, record number, RRN in OtherPatientIDs,
birth date, address, phone): the input of DICOM de-identification.
"""
from __future__ import annotations

import gzip
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from medai.datasets.imaging import Image

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import FileDataset

CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
MR_STORAGE = "1.2.840.10008.5.1.4.1.1.4"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_OID, "medai.datasets.imaging")
INSTITUTION = "메드에이아이 대학교병원 (synthetic)"


def nifti_bytes(array: np.ndarray, spacing: tuple[float, ...]) -> bytes:
    """A .nii.gz of `array` indexed (z, y, x) or (y, x), spacing in the same order (mm)."""
    import nibabel as nib

    if array.ndim == 2:
        array, spacing = array[None], (1.0, *spacing)
    data = np.ascontiguousarray(array.transpose(2, 1, 0))  # -> (x, y, z)
    sz, sy, sx = spacing
    affine = np.diag([-sx, -sy, sz, 1.0])  # DICOM LPS rows/columns -> RAS+ (voxel axes point L, P, S)
    nx, ny = data.shape[:2]
    affine[:3, 3] = [(nx - 1) * sx / 2, (ny - 1) * sy / 2, 0.0]  # the same origin as ImagePositionPatient
    image = nib.Nifti1Image(data, affine)
    image.header.set_xyzt_units("mm")
    image.set_qform(affine, code=1)
    image.set_sform(affine, code=1)
    return gzip.compress(image.to_bytes(), compresslevel=6, mtime=0)


def write_nifti(path: Path, array: np.ndarray, spacing: tuple[float, ...]) -> Path:
    path.write_bytes(nifti_bytes(array, spacing))
    return path


def uid(*parts: object) -> str:
    """A DICOM UID under the UUID arc 2.25, from a name-based (SHA-1, version 5) UUID of `parts`: the same parts
    always give the same UID. (pydicom's generate_uid(prefix=None) ignores its entropy sources.)"""
    return f"2.25.{uuid.uuid5(_NAMESPACE, '/'.join(str(p) for p in parts)).int}"


def dicom_slices(image: Image, *, patient: dict[str, str], seed: int, study_date: str) -> list["FileDataset"]:
    """One DICOM dataset per slice of `image`, for `patient` (keys: name, mrn, rrn, birth_date YYYYMMDD, sex,
    age, phone, address, accession)."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    volume = image.pixels if image.pixels.ndim == 3 else image.pixels[None]
    spacing = image.spacing if image.pixels.ndim == 3 else (5.0, *image.spacing)
    ct = image.modality == "CT"
    sop_class = CT_STORAGE if ct else MR_STORAGE
    study, series, frame = (uid(seed, image.case_id, kind) for kind in ("study", "series", "frame"))
    out = []
    for k, plane in enumerate(volume):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = sop_class
        meta.MediaStorageSOPInstanceUID = uid(seed, image.case_id, "instance", k)
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SpecificCharacterSet = "ISO_IR 192"
        ds.SOPClassUID, ds.SOPInstanceUID = sop_class, meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
        ds.Modality = image.modality
        name = patient["name"]
        ds.PatientName = f"{name[0]}^{name[1:]}"
        ds.PatientID = patient["mrn"]
        ds.OtherPatientIDs = patient["rrn"]
        ds.PatientBirthDate = patient["birth_date"]
        ds.PatientSex = patient["sex"]
        ds.PatientAge = patient["age"]
        ds.PatientAddress = patient["address"]
        ds.PatientTelephoneNumbers = patient["phone"]
        ds.InstitutionName = INSTITUTION
        ds.ReferringPhysicianName = patient["referrer"]
        ds.AccessionNumber = patient["accession"]
        ds.StudyID = patient["accession"][-6:]
        ds.StudyDate = ds.SeriesDate = ds.ContentDate = ds.AcquisitionDate = study_date
        ds.StudyTime = ds.SeriesTime = ds.ContentTime = "093000"
        ds.StudyDescription = "CT ABDOMEN" if ct else "MR BRAIN T2"
        ds.SeriesDescription = "AXIAL 2.5mm" if ct else "AX T2"
        ds.BodyPartExamined = "ABDOMEN" if ct else "HEAD"
        ds.SeriesNumber, ds.InstanceNumber = 1, k + 1
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        z = k * spacing[0] if ct else 0.0  # slice index runs inferior -> superior, as in the NIfTI
        ds.ImagePositionPatient = [-(plane.shape[1] - 1) * spacing[2] / 2, -(plane.shape[0] - 1) * spacing[1] / 2, z]
        ds.SliceLocation = z
        ds.PixelSpacing = [spacing[1], spacing[2]]
        ds.SliceThickness = spacing[0]
        ds.SpacingBetweenSlices = spacing[0]
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.Rows, ds.Columns = plane.shape
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleIntercept, ds.RescaleSlope = 0, 1
        if ct:
            ds.RescaleType = "HU"
        ds.WindowCenter, ds.WindowWidth = (40, 400) if ct else (1500, 3000)
        ds.PixelData = np.ascontiguousarray(plane, dtype="<i2").tobytes()
        out.append(ds)
    return out


def write_dicom(folder: Path, datasets: list["FileDataset"]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for ds in datasets:
        path = folder / f"IM{int(ds.InstanceNumber):05d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths
