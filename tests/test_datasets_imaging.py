"""Synthetic images with masks: NIfTI and DICOM agree on pixels, spacing and orientation; DICOM headers carry
PHI and de-identification removes it; builds are byte-identical for a seed."""
from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest

from medai.datasets import DatasetError
from medai.datasets.build import build_datasets
from medai.datasets.deid.dicom import deidentify_dicom, phi_in_header
from medai.datasets.deid.phi import rrn_is_valid
from medai.datasets.imaging import generate_ct_volumes, generate_mr_slices

KEY = b"k" * 32


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("img")
    report = build_datasets(out_dir=tmp / "data", truth_dir=tmp / "truth", names=["ct-lesions-3d", "mr-lesions-2d"],
                            seed=2, size=3)
    return {d.name: Path(d.path) for d in report.datasets}, tmp


def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_lesions_are_visible_and_masks_match_them():
    for image in generate_ct_volumes(cases=3, seed=1):
        inside, organ_nearby = image.pixels[image.mask == 1], image.pixels[(image.mask == 0) & (image.pixels > 45)]
        assert image.lesions >= 1 and image.mask.sum() > 20
        assert inside.mean() < organ_nearby.mean() - 15  # hypodense
        assert image.pixels.dtype == np.int16 and image.mask.dtype == np.uint8
    for image in generate_mr_slices(cases=5, seed=1):
        assert image.pixels[image.mask == 1].mean() > np.median(image.pixels[image.pixels > 500]) + 300
    a, b = generate_mr_slices(cases=2, seed=4), generate_mr_slices(cases=2, seed=4)
    assert all((x.pixels == y.pixels).all() and (x.mask == y.mask).all() for x, y in zip(a, b))
    assert not (generate_mr_slices(cases=1, seed=5)[0].pixels == a[0].pixels).all()
    with pytest.raises(DatasetError, match="cases"):
        generate_ct_volumes(cases=-2)


def test_nifti_and_dicom_agree_on_pixels_spacing_and_orientation(built):
    paths, _ = built
    root = paths["ct-lesions-3d"]
    image = nib.load(root / "nifti" / "ct-0001_image.nii.gz")
    mask = nib.load(root / "nifti" / "ct-0001_mask.nii.gz")
    assert image.shape == (96, 96, 40) and mask.shape == image.shape
    assert np.allclose(image.header.get_zooms(), (0.8, 0.8, 2.5)) and nib.aff2axcodes(image.affine) == ("L", "P", "S")
    assert set(np.unique(np.asarray(mask.dataobj))) == {0, 1}
    files = sorted((root / "dicom" / "ct-0001").glob("*.dcm"))
    assert len(files) == 40
    slices = [pydicom.dcmread(f) for f in files]
    volume = np.stack([s.pixel_array for s in slices])  # (z, y, x)
    assert (volume.transpose(2, 1, 0) == np.asarray(image.dataobj)).all()
    first, second = slices[0], slices[1]
    assert [float(v) for v in first.PixelSpacing] == [0.8, 0.8] and float(first.SliceThickness) == 2.5
    assert float(second.ImagePositionPatient[2]) - float(first.ImagePositionPatient[2]) == 2.5
    # the NIfTI affine maps voxel (0,0,k) to the DICOM position of slice k (LPS -> RAS flips x and y)
    lps = np.array([float(v) for v in second.ImagePositionPatient])
    ras = image.affine @ np.array([0, 0, 1, 1])
    assert np.allclose(ras[:3], lps * [-1, -1, 1])
    assert first.Modality == "CT" and first.RescaleType == "HU" and len({s.SeriesInstanceUID for s in slices}) == 1
    assert len({s.SOPInstanceUID for s in slices}) == 40


def test_dicom_headers_carry_phi_and_deidentification_removes_it(built):
    paths, _ = built
    ds = pydicom.dcmread(next((paths["mr-lesions-2d"] / "dicom" / "mr-0001").glob("*.dcm")))
    phi = phi_in_header(ds)
    assert {"PatientName", "PatientID", "OtherPatientIDs", "PatientBirthDate", "PatientAddress",
            "PatientTelephoneNumbers"} <= set(phi)
    assert rrn_is_valid(str(ds.OtherPatientIDs)) and str(ds.PatientName).count("^") == 1
    clean = deidentify_dicom(ds, key=KEY)
    left = phi_in_header(clean)
    assert set(left) <= {"PatientName", "PatientID", "AccessionNumber"}
    text = "\n".join(str(e.value) for e in clean.iterall())
    for value in phi.values():
        assert value.replace("^", "") not in text.replace("^", ""), value
    assert clean.PatientIdentityRemoved == "YES" and clean.StudyInstanceUID != ds.StudyInstanceUID
    assert clean.StudyDate != ds.StudyDate and phi_in_header(ds) == phi  # the original is untouched
    again = deidentify_dicom(ds, key=KEY)
    assert again.StudyInstanceUID == clean.StudyInstanceUID and again.PatientID == clean.PatientID
    (Path(built[1]) / "clean.dcm").unlink(missing_ok=True)
    clean.save_as(Path(built[1]) / "clean.dcm", enforce_file_format=True)
    assert pydicom.dcmread(Path(built[1]) / "clean.dcm").pixel_array.shape == (128, 128)


def test_imaging_builds_are_byte_identical_for_a_seed(built, tmp_path):
    paths, _ = built
    again = build_datasets(out_dir=tmp_path / "data", truth_dir=tmp_path / "truth", names=["ct-lesions-3d"],
                           seed=2, size=3)
    assert _hashes(Path(again.datasets[0].path)) == _hashes(paths["ct-lesions-3d"])
    nii = (paths["ct-lesions-3d"] / "nifti" / "ct-0001_image.nii.gz").read_bytes()
    assert nii[4:8] == b"\0\0\0\0"  # gzip header without a timestamp
    assert gzip.decompress(nii)[344:348] == b"n+1\0"  # NIfTI-1 single file
