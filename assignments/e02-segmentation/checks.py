"""Self-checks for "Lesion segmentation with MONAI": public checks only (run `q1.check()`).

The hidden tests that decide your grade are not here; passing these means you are on the right track.
Messages in Korean or English: locale/ko/LC_MESSAGES/checks.po beside this file (medai.selfcheck.messages).
"""
import math

import numpy as np

from medai.selfcheck import NotYet, Question, expect, expect_close, messages

_, _n, N_ = messages(__file__)


def _q1(ns):
    dice = ns.function("dice_coefficient")
    got = dice(np.array([1, 1, 0, 0]), np.array([0, 1, 1, 0]))
    expect(isinstance(got, float), _("dice_coefficient should return a Python float, not {kind}.").format(
        kind=type(got).__name__))
    try:
        expect_close(got, 0.5, "dice_coefficient([1, 1, 0, 0], [0, 1, 1, 0])", rel=1e-6)
    except NotYet as err:
        raise NotYet(_("{err} One pixel overlaps; each mask has 2 pixels: 2 x 1 / (2 + 2). (If you got 0.333, "
                       "that is the IoU, |P and T| / |P or T|.)").format(err=err)) from None
    expect(dice(np.zeros((3, 3)), np.zeros((3, 3))) == 1.0, _("two empty masks should give 1.0 (nothing to find, "
                                                              "nothing found), not a division by zero."))
    expect(dice(np.ones(4), np.zeros(4)) == 0.0, _("a mask against an empty mask has Dice 0."))
    expect(math.isclose(dice(np.eye(3, dtype=bool), np.eye(3, dtype=np.uint8)), 1.0),
           _("masks of different dtypes (bool, uint8) should work: convert both with .astype(bool)."))


def _q2(ns):
    import copy

    train, val = ns.get("train_transforms"), ns.get("val_transforms")
    expect(callable(train) and callable(val), _("train_transforms and val_transforms should be MONAI Compose objects."))
    yy, xx = np.mgrid[0:128, 0:128]
    image = ((yy + 2 * xx) % 50 / 49.0).astype(np.float32)[None]
    item = {"image": image, "label": (image > 0.5).astype(np.float32)}
    for _ in range(8):
        out = train(copy.deepcopy(item))
        img, lab = np.asarray(out["image"]), np.asarray(out["label"])
        expect(img.shape == (1, 64, 64) and lab.shape == (1, 64, 64),
               _("training samples should be 64 x 64 patches with a channel axis; got {image} and "
                 "{label}.").format(image=img.shape, label=lab.shape))
        expect(np.array_equal(lab > 0.5, img > 0.5), _("after the training transforms the label no longer lines up "
                                                       "with the image: list BOTH keys in every spatial transform."))
    whole = val(copy.deepcopy(item))
    expect(np.asarray(whole["image"]).shape == (1, 128, 128), _("val_transforms should keep the whole slice."))
    expect(float(np.asarray(val({"image": image * 1000 + 7, "label": item["label"]})["image"]).max()) <= 1.0 + 1e-6,
           _("val_transforms should scale the image to [0, 1] (ScaleIntensityd)."))


def _q3(ns):
    import torch

    net = ns.function("make_unet")()
    expect(isinstance(net, torch.nn.Module), _("make_unet should return a MONAI UNet, not {kind}.").format(
        kind=type(net).__name__))
    net.eval()
    out = net(torch.zeros(1, 1, 64, 64))
    expect(tuple(out.shape) == (1, 1, 64, 64), _("the U-Net should output (1, 1, 64, 64) here; got {shape}.").format(
        shape=tuple(out.shape)))
    n = sum(p.numel() for p in net.parameters())
    expect(10_000 < n < 200_000, _("{n} parameters: check channels=(8, 16, 32, 64) and strides=(2, 2, 2).").format(n=n))
    loss_fn = ns.get("loss_fn")
    target = torch.zeros(1, 1, 8, 8)
    target[..., 2:5, 2:6] = 1
    good, bad = float(loss_fn(20 * (2 * target - 1), target)), float(loss_fn(-20 * (2 * target - 1), target))
    expect(good < 0.05 and bad > 0.9, _("on confident correct logits the loss is {good:.2f} and on wrong ones "
                                        "{bad:.2f}: the network outputs logits, so the loss must apply a sigmoid "
                                        "first.").format(good=good, bad=bad))


def _q4(ns):
    import torch

    predict = ns.function("predict_masks")
    device = ns.get("device", str)
    stub = torch.nn.Conv2d(1, 1, 1).to(device)
    with torch.no_grad():
        stub.weight.fill_(10.0)
        stub.bias.fill_(-5.0)
    images = torch.linspace(0, 1, 2 * 80 * 80).reshape(2, 1, 80, 80)
    masks = predict(stub, images)
    expect(isinstance(masks, np.ndarray), _("predict_masks should return a NumPy array, not {kind}.").format(
        kind=type(masks).__name__))
    expect(masks.shape == (2, 80, 80), _("for 2 images of 80 x 80 the masks should be (2, 80, 80); got "
                                         "{shape}.").format(shape=masks.shape))
    want = (images[:, 0].numpy() > 0.5)
    agree = float(np.mean(masks.astype(bool) == want))
    expect(agree > 0.99, _("with a network whose logit is 10 x image - 5, pixels brighter than 0.5 have probability "
                           "above 0.5; your masks agree on only {agree:.1%} of the pixels. Apply torch.sigmoid "
                           "before thresholding at 0.5.").format(agree=agree))


def _q5(ns):
    pred = np.asarray(ns.get("test_pred"))
    dice = np.asarray(ns.get("test_dice"), dtype=float)
    expect(pred.shape == (40, 128, 128), _("test_pred should hold 40 masks of 128 x 128; its shape is {shape}.").format(
        shape=pred.shape))
    expect(dice.shape == (40,), _("test_dice should hold one Dice per test slice (40); its shape is {shape}.").format(
        shape=dice.shape))
    expect(((dice >= 0) & (dice <= 1)).all(), _("every Dice lies between 0 and 1."))
    expect(dice.mean() > 0.6, _("a mean test Dice of {dice:.2f} is low: check the transforms (Q2) and the loss "
                                "(Q3).").format(dice=dice.mean()))


def _q6(ns):
    spacing = ns.get("spacing_mm", tuple)
    expect(len(spacing) == 2, _("spacing_mm should hold the two in-plane pixel sizes."))
    area = ns.function("lesion_area_mm2")
    got = area(np.ones((10, 4)), (0.5, 2.0))
    expect_close(got, 40.0, "lesion_area_mm2(np.ones((10, 4)), (0.5, 2.0))", rel=1e-9)
    true, pred = np.asarray(ns.get("area_true")), np.asarray(ns.get("area_pred"))
    expect(true.shape == (40,) and pred.shape == (40,), _("area_true and area_pred should hold 40 areas each."))
    bias = ns.get("area_bias_mm2", float)
    expect(math.isclose(bias, float(np.mean(pred - true)), rel_tol=1e-6, abs_tol=1e-6),
           _("area_bias_mm2 should be the mean of area_pred - area_true."))


q1 = Question(N_("Q1 (dice_coefficient)"), _q1, N_("intersection = np.logical_and(p, t).sum(); handle p.sum() + t.sum() "
                                                   "== 0 before you divide."))
q2 = Question(N_("Q2 (MONAI transforms)"), _q2, N_("every spatial transform gets keys=['image', 'label']; only "
                 "ScaleIntensityd is for the image alone."))
q3 = Question(N_("Q3 (U-Net and loss)"), _q3, N_("UNet(spatial_dims=2, ...) from monai.networks.nets; DiceLoss has a "
                 "parameter that applies a sigmoid to the input."))
q4 = Question(N_("Q4 (sliding-window inference)"), _q4, N_("sliding_window_inference(images.to(device), roi_size, 8, "
                                                           "model, overlap=overlap) returns logits (N, 1, H, W)."))
q5 = Question(N_("Q5 (train and evaluate)"), _q5, N_("test_dice = np.array([dice_coefficient(p, t) for p, t in "
                 "zip(test_pred, masks[test_idx])])."))
q6 = Question(N_("Q6 (lesion areas)"), _q6, N_("nib.load(path).header.get_zooms()[:2]; count the mask's nonzero pixels "
                                               "and multiply by dy * dx."))
