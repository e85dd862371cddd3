"""Synthetic medical images with lesion masks, seeded (in the spirit of MONAI's ``create_test_image_2d/3d``,
without importing MONAI, which costs seconds per process).

* :func:`make_mr_slice`: a 2D T2-weighted-like axial head slice (arbitrary units, 0-4095): skull ring, brain,
  dark ventricles, 1-3 bright lesions, a smooth bias field and Rician noise;
* :func:`make_ct_volume`: a 3D abdominal CT-like volume in Hounsfield units: air, subcutaneous fat, soft
  tissue, a liver-like organ, a spine, and 1-4 hypodense lesions in the organ; anisotropic voxels
  (0.8 x 0.8 x 2.5 mm by default).

Masks are uint8 label maps (1 = lesion) of the same shape. Arrays are indexed (z, y, x) for volumes and (y, x)
for slices; the writers in :mod:`medai.datasets.imaging_io` turn them into NIfTI and DICOM with matching
spacing and orientation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from medai.datasets.errors import check_size


@dataclass(frozen=True)
class Image:
    case_id: str
    modality: str             # "MR" or "CT"
    pixels: np.ndarray        # int16: (y, x) or (z, y, x)
    mask: np.ndarray          # uint8, same shape, 1 = lesion
    spacing: tuple[float, ...]  # mm, same axis order as pixels
    lesions: int

    @property
    def lesion_volume_mm3(self) -> float:
        return float(self.mask.sum() * np.prod(self.spacing))


def _smooth_blob(grid: list[np.ndarray], centre, radii, rng) -> np.ndarray:
    """A lesion-like blob: an ellipsoid with a lobulated (randomly modulated) edge, as a boolean array."""
    r2 = sum(((g - c) / r) ** 2 for g, c, r in zip(grid, centre, radii))
    angle = np.arctan2(grid[-2] - centre[-2], grid[-1] - centre[-1])
    lobes = 1 + 0.15 * np.sin(rng.integers(2, 5) * angle + rng.uniform(0, 2 * np.pi))
    return r2 <= lobes ** 2


def make_mr_slice(*, rng: np.random.Generator, size: int = 128, case_id: str = "mr-0001") -> Image:
    y, x = np.mgrid[0:size, 0:size].astype(float)
    c = size / 2
    head = ((y - c) / (0.42 * size)) ** 2 + ((x - c) / (0.36 * size)) ** 2
    brain = ((y - c) / (0.38 * size)) ** 2 + ((x - c) / (0.32 * size)) ** 2 <= 1
    image = np.where(head <= 1, 900.0, 0.0)
    image[brain] = 1300 + 150 * np.sin(x[brain] / 3.0) * np.cos(y[brain] / 4.0)  # grey/white texture
    ventricles = np.zeros((size, size), bool)
    for side in (-1, 1):
        ventricles |= ((y - c) / (0.12 * size)) ** 2 + ((x - c - side * 0.06 * size) / (0.035 * size)) ** 2 <= 1
    image[ventricles] = 2600  # CSF is bright on T2
    mask = np.zeros((size, size), np.uint8)
    lesions = int(rng.integers(1, 4))
    for _ in range(lesions):
        while True:
            centre = (c + rng.uniform(-0.25, 0.25) * size, c + rng.uniform(-0.22, 0.22) * size)
            radii = (rng.uniform(0.03, 0.08) * size, rng.uniform(0.03, 0.08) * size)
            blob = _smooth_blob([y, x], centre, radii, rng) & brain & ~ventricles
            if blob.sum() > 8:
                break
        mask[blob] = 1
        image[blob] = 2000 + rng.uniform(0, 600)
    bias = 1 + 0.15 * ((x - c) / size) + 0.1 * ((y - c) / size)
    noisy = np.hypot(image * bias + rng.normal(0, 40, image.shape), rng.normal(0, 40, image.shape))  # Rician
    return Image(case_id=case_id, modality="MR", pixels=np.clip(noisy, 0, 4095).astype(np.int16), mask=mask,
                 spacing=(0.9, 0.9), lesions=lesions)


def make_ct_volume(*, rng: np.random.Generator, shape: tuple[int, int, int] = (40, 96, 96),
                   spacing: tuple[float, float, float] = (2.5, 0.8, 0.8), case_id: str = "ct-0001") -> Image:
    nz, ny, nx = shape
    z, y, x = np.mgrid[0:nz, 0:ny, 0:nx].astype(float)
    cy, cx = ny / 2, nx / 2
    body = ((y - cy) / (0.40 * ny)) ** 2 + ((x - cx) / (0.46 * nx)) ** 2
    hu = np.full(shape, -1000.0)
    hu[body <= 1] = -100.0                      # subcutaneous fat
    hu[body <= 0.8] = 40.0                      # soft tissue
    taper = 1 - 0.3 * np.abs(z - nz / 2) / nz
    organ = (((y - cy + 0.05 * ny) / (0.27 * ny * taper)) ** 2 + ((x - cx + 0.13 * nx) / (0.25 * nx * taper)) ** 2
             <= 1)
    hu[organ] = 60.0                            # liver-like parenchyma
    spine = ((y - cy - 0.28 * ny) / (0.07 * ny)) ** 2 + ((x - cx) / (0.07 * nx)) ** 2 <= 1
    hu[spine] = 700.0
    mask = np.zeros(shape, np.uint8)
    lesions = int(rng.integers(1, 5))
    organ_idx = np.argwhere(organ)
    for _ in range(lesions):
        centre = organ_idx[rng.integers(len(organ_idx))].astype(float)
        radius_mm = rng.uniform(3, 9)
        radii = (radius_mm / spacing[0], radius_mm / spacing[1], radius_mm / spacing[2])
        blob = _smooth_blob([z, y, x], centre, radii, rng) & organ
        mask[blob] = 1
        hu[blob] = 60.0 - rng.uniform(25, 45)   # hypodense
    hu = hu + rng.normal(0, 12, shape)
    return Image(case_id=case_id, modality="CT", pixels=np.clip(np.round(hu), -1024, 3071).astype(np.int16),
                 mask=mask, spacing=spacing, lesions=lesions)


def generate_mr_slices(*, cases: int = 100, seed: int = 0, size: int = 128) -> list[Image]:
    cases = check_size("cases", cases, maximum=100_000)
    seed = check_size("seed", seed, minimum=0)
    size = check_size("size", size, minimum=32, maximum=1024)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence([seed, 0x3A]).spawn(cases)]
    return [make_mr_slice(rng=r, size=size, case_id=f"mr-{i + 1:04d}") for i, r in enumerate(rngs)]


def generate_ct_volumes(*, cases: int = 10, seed: int = 0, shape: tuple[int, int, int] = (40, 96, 96)) -> list[Image]:
    cases = check_size("cases", cases, maximum=10_000)
    seed = check_size("seed", seed, minimum=0)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence([seed, 0xC7]).spawn(cases)]
    return [make_ct_volume(rng=r, shape=shape, case_id=f"ct-{i + 1:04d}") for i, r in enumerate(rngs)]
