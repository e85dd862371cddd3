"""Self-checks for "Medical imaging I/O": public checks only (run `q1.check()`).

The hidden tests that decide your grade are not here; passing these means you are on the right track.
Messages in Korean or English: locale/ko/LC_MESSAGES/checks.po beside this file (medai.selfcheck.messages).
"""
import numpy as np

from medai.selfcheck import Question, expect, expect_close, messages

_, _n, N_ = messages(__file__)


def _q1(ns):
    import nibabel as nib

    load = ns.function("load_ct_series")
    hu_a, spacing_a = load(ns.get("SERIES_A"))
    hu_b, spacing_b = load(ns.get("SERIES_B"))
    reference = np.asarray(nib.load(ns.get("IMAGE")).dataobj).transpose(2, 1, 0)
    for name, hu in ((_("scanner A"), hu_a), (_("scanner B"), hu_b)):
        expect(isinstance(hu, np.ndarray) and hu.shape == reference.shape,
               _("{name}: expected a NumPy array of shape {shape} (z, y, x); got {hu}.").format(
                   name=name, shape=reference.shape, hu=getattr(hu, 'shape', type(hu).__name__)))
        expect(hu.dtype == np.float32, _("{name}: return float32 Hounsfield units (got {dtype}).").format(
            name=name, dtype=hu.dtype))
    expect(np.array_equal(hu_a, reference), _("scanner A: your volume is not the same as the case's NIfTI. Order the "
                                              "slices by ImagePositionPatient[2], lowest first, and stack (z, y, x)."))
    if not np.array_equal(hu_b, reference):
        offset = float(np.median(hu_b - reference))
        expect(abs(offset) < 1, _("scanner B: your values are about {offset:.0f} HU off. Apply HU = stored * "
                                  "RescaleSlope + RescaleIntercept to every slice.").format(offset=offset))
        expect(False, _("scanner B: the values are right but the slices are out of order. File names mean nothing "
                        "here: sort by ImagePositionPatient[2]."))
    expect(len(spacing_a) == 3, _("spacing should be a tuple (dz, dy, dx)."))
    expect(np.allclose(spacing_a, (2.5, 0.8, 0.8)) and np.allclose(spacing_b, (2.5, 0.8, 0.8)),
           _("spacing should be (2.5, 0.8, 0.8) mm for this case; yours is {spacing_a}.").format(spacing_a=spacing_a))


def _q2(ns):
    import nibabel as nib

    load = ns.function("load_nifti_zyx")
    image = ns.get("IMAGE")
    array, spacing, codes = load(image)
    ref = nib.load(image)
    expect(np.shape(array) == tuple(reversed(ref.shape[:3])),
           _("the array should be indexed (z, y, x), shape {want}; yours is {shape}. NIfTI stores "
             "(x, y, z): transpose(2, 1, 0).").format(want=tuple(reversed(ref.shape[:3])), shape=np.shape(array)))
    expect(np.allclose(spacing, (2.5, 0.8, 0.8)), _("spacing in (z, y, x) order should be (2.5, 0.8, 0.8); yours is "
                                                    "{spacing}. The header's zooms are in (x, y, z) order.").format(
                                                        spacing=spacing))
    expect(tuple(codes) == ("L", "P", "S"), _("nib.aff2axcodes(affine) of these files gives ('L', 'P', 'S'); you "
                                              "returned {codes}.").format(codes=codes))
    lesion_ml = ns.get("lesion_ml", (float, np.floating))
    cases = ns.get("cases")
    want = float(cases.set_index("case_id").loc[ns.get("CASE"), "lesion_volume_mm3"]) / 1000
    expect_close(lesion_ml, want, _("lesion_ml (the case table lists the lesion volume in mm3)"), rel=1e-3)
    centre = np.asarray(ns.function("lesion_centroid_mm")(ns.get("MASK")), dtype=float)
    expect(centre.shape == (3,), _("lesion_centroid_mm should return three coordinates."))
    mask = nib.load(ns.get("MASK"))
    corners = nib.affines.apply_affine(mask.affine, np.array([[0, 0, 0], np.array(mask.shape[:3]) - 1]))
    low, high = corners.min(axis=0), corners.max(axis=0)
    expect(np.all((centre >= low - 1e-6) & (centre <= high + 1e-6)),
           _("the centroid {centre} lies outside the scanned volume ({low} to {high} mm): feed the "
             "affine (i, j, k) = (x, y, z) indices, not (z, y, x).").format(
                 centre=np.round(centre, 1), low=np.round(low, 1), high=np.round(high, 1)))


def _q3(ns):
    window = ns.function("window")
    got = window(np.array([-1000.0, -160.0, 40.0, 140.0, 240.0, 3000.0]), 40, 400)
    expect(isinstance(got, np.ndarray) and got.dtype == np.float32, _("window should return a float32 NumPy array."))
    expect(np.allclose(got, [0, 0, 0.5, 0.75, 1, 1]),
           _("window(..., 40, 400) of [-1000, -160, 40, 140, 240, 3000] should be [0, 0, 0.5, 0.75, "
             "1, 1]; yours is {got}.").format(got=np.round(got, 3).tolist()))
    contrast = ns.get("contrast", dict)
    windows = ns.get("WINDOWS", dict)
    expect(set(contrast) == set(windows), _("contrast needs one entry per window in WINDOWS."))
    expect(ns.get("best_window", str) == max(contrast, key=contrast.get),
           _("best_window should name the window with the largest contrast."))


def _q4(ns):
    from monai.transforms import Compose

    make = ns.function("make_transforms")
    pipeline = make((2.0, 2.0, 2.0), 40, 400)
    expect(isinstance(pipeline, Compose), _("make_transforms should return a monai.transforms.Compose."))
    out = pipeline({"image": str(ns.get("IMAGE")), "label": str(ns.get("MASK"))})
    expect(set(out) >= {"image", "label"}, _("the output should keep the keys 'image' and 'label'."))
    image, label = out["image"], out["label"]
    expect(image.shape[0] == 1 and image.shape == label.shape,
           _("image and label should be channel-first on the same grid: {image} vs {label}.").format(
               image=tuple(image.shape), label=tuple(label.shape)))
    diag = np.diag(np.asarray(image.affine))[:3]
    expect(np.allclose(diag, 2.0, atol=1e-3), _("with pixdim (2, 2, 2) the affine's diagonal should be +2 mm (RAS); "
                                                "yours is {diag}.").format(diag=np.round(diag, 3)))
    values = np.unique(np.asarray(label))
    expect(set(values.tolist()) <= {0.0, 1.0}, _("the label has {n} different values after resampling: use mode "
                                                 "'nearest' for the label.").format(n=len(values)))
    expect(float(image.min()) >= 0 and float(image.max()) <= 1, _("the image should be windowed to [0, 1] (clip=True)."))


q1 = Question(N_("Q1 (DICOM series to HU)"), _q1,
              N_("slices = [pydicom.dcmread(p) for p in Path(folder).glob('*.dcm')]; sort them with "
                 "key=lambda ds: float(ds.ImagePositionPatient[2]); rescale each ds.pixel_array; np.stack."))
q2 = Question(N_("Q2 (NIfTI and the affine)"), _q2,
              N_("np.asarray(img.dataobj).transpose(2, 1, 0); img.header.get_zooms() is (dx, dy, dz); "
                 "nib.affines.apply_affine(img.affine, ijk) maps (x, y, z) indices to mm."))
q3 = Question(N_("Q3 (windowing)"), _q3,
              N_("low = center - width / 2; np.clip((hu - low) / width, 0, 1); the contrast compares "
                 "window(slice_hu[lesion], c, w).mean() with the same for the ring."))
q4 = Question(N_("Q4 (MONAI transforms)"), _q4,
              N_("keys = ['image', 'label']; Spacingd(keys=keys, pixdim=pixdim, mode=('bilinear', 'nearest')); "
                 "ScaleIntensityRanged only on 'image'."))
