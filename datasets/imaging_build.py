"""The imaging datasets as files: NIfTI images and masks, DICOM series with (synthetic) PHI, a case table;
and their cards."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from medai.datasets.cards import Card

STUDY_DAY = np.datetime64("2024-01-02", "D")


def write_imaging(out: Path, *, kind: str, cases: int, seed: int) -> None:
    import pandas as pd

    from medai.datasets.deid import phi
    from medai.datasets.imaging import generate_ct_volumes, generate_mr_slices
    from medai.datasets.imaging_io import dicom_slices, write_dicom, write_nifti

    images = generate_ct_volumes(cases=cases, seed=seed) if kind == "ct" else generate_mr_slices(cases=cases,
                                                                                                 seed=seed)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xD1C0, 1 if kind == "ct" else 2]))
    study = STUDY_DAY + rng.integers(0, 365, cases).astype("timedelta64[D]")
    people = phi.people(rng, cases, at=STUDY_DAY, min_age=25, max_age=95)
    referrers = phi.names(rng, np.where(rng.random(cases) < 0.5, "M", "F"))
    rows = []
    for i, image in enumerate(images):
        birth = people["birth_date"][i]
        age = int((study[i] - birth).astype(int) // 365.25)
        patient = {"name": str(people["name"][i]), "mrn": str(people["mrn"][i]), "rrn": str(people["rrn"][i]),
                   "birth_date": str(birth).replace("-", ""), "sex": str(people["sex"][i]), "age": f"{age:03d}Y",
                   "phone": str(people["phone"][i]), "address": str(people["address"][i]),
                   "accession": f"A{seed % 10000:04d}{i + 1:07d}",
                   "referrer": f"{referrers[i][0]}^{referrers[i][1:]}"}
        (out / "nifti").mkdir(exist_ok=True)
        write_nifti(out / "nifti" / f"{image.case_id}_image.nii.gz", image.pixels, image.spacing)
        write_nifti(out / "nifti" / f"{image.case_id}_mask.nii.gz", image.mask, image.spacing)
        write_dicom(out / "dicom" / image.case_id,
                    dicom_slices(image, patient=patient, seed=seed, study_date=str(study[i]).replace("-", "")))
        rows.append({"case_id": image.case_id, "modality": image.modality, "shape": "x".join(map(str,
                     image.pixels.shape)), "spacing_mm": "x".join(f"{s:g}" for s in image.spacing),
                     "lesions": image.lesions, "lesion_volume_mm3": round(image.lesion_volume_mm3, 2)})
    pd.DataFrame(rows).to_csv(out / "cases.csv", index=False, lineterminator="\n")


_COMMON = dict(
    licence="CC0 1.0 (generated data); the generator is part of medai (BSD-3-Clause)",
    deidentification=("none in the DICOM headers on purpose: made-up patient name, record number, RRN "
                      "(OtherPatientIDs), birth date, address, phone, referring physician, institution, for the "
                      "de-identification assignment (medai.datasets.deid.deidentify_dicom); NIfTI files and "
                      "cases.csv carry no personal information"),
)
MR_CARD = Card(
    name="mr-lesions-2d", title="Synthetic 2D brain MR slices with lesion masks",
    summary="T2-weighted-like axial head slices (128 x 128, 0.9 mm pixels) with 1-3 bright lesions each, a bias "
            "field and Rician noise, and a lesion mask per slice.",
    source="synthetic (medai.datasets.imaging.make_mr_slice)",
    generator="medai.datasets.imaging.generate_mr_slices(cases=..., seed=...)",
    size="images x (NIfTI image + mask ~20 kB, DICOM 33 kB)",
    schema=(("nifti/<case>_image.nii.gz", "int16 image, shape (128, 128, 1), RAS affine with 0.9 mm pixels"),
            ("nifti/<case>_mask.nii.gz", "uint8 mask, 1 = lesion"),
            ("dicom/<case>/IM00001.dcm", "MR Image Storage, explicit VR little endian, PHI in the header"),
            ("cases.csv", "case_id, modality, shape, spacing_mm, lesions, lesion_volume_mm3 (here the lesion area, mm2)")),
    intended_tasks=("2D segmentation (U-Net with MONAI), Dice", "reading DICOM and NIfTI; de-identifying DICOM"),
    disease_area="neurology (white-matter lesions)", **_COMMON)
CT_CARD = Card(
    name="ct-lesions-3d", title="Synthetic 3D abdominal CT volumes with liver-lesion masks",
    summary="CT-like volumes in Hounsfield units (40 x 96 x 96 voxels of 2.5 x 0.8 x 0.8 mm): body, fat, a "
            "liver-like organ with 1-4 hypodense lesions, a spine; lesion masks; DICOM series per case.",
    source="synthetic (medai.datasets.imaging.make_ct_volume)",
    generator="medai.datasets.imaging.generate_ct_volumes(cases=..., seed=...)",
    size="volumes x (NIfTI ~0.5 MB, DICOM series 40 slices ~0.75 MB)",
    schema=(("nifti/<case>_image.nii.gz", "int16 HU, shape (96, 96, 40) in (x, y, z), RAS affine (L, P, S)"),
            ("nifti/<case>_mask.nii.gz", "uint8 mask, 1 = lesion"),
            ("dicom/<case>/IM000NN.dcm", "CT Image Storage, one file per slice, ImagePositionPatient / "
                                         "PixelSpacing / SliceThickness match the NIfTI affine; PHI in headers"),
            ("cases.csv", "case_id, modality, shape, spacing_mm, lesions, lesion_volume_mm3")),
    intended_tasks=("3D segmentation and lesion volumetry", "resampling anisotropic voxels; HU windowing",
                    "DICOM series handling and header de-identification"),
    disease_area="cancer (liver lesions)", **_COMMON)
