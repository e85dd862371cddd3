"""Self-checks for "Neural networks in PyTorch": public checks only (run `q1.check()`).

The hidden tests that decide your grade are not here; passing these means you are on the right track.
Messages in Korean or English: locale/ko/LC_MESSAGES/checks.po beside this file (medai.selfcheck.messages).
"""
import math

import numpy as np

from medai.selfcheck import NotYet, Question, expect, messages

_, _n, N_ = messages(__file__)


def _q1(ns):
    standardise = ns.function("standardise")
    train = np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 10.0]])
    other = np.array([[7.0, 12.0], [3.0, 4.0]])
    kept = other.copy()
    result = standardise(train, other)
    expect(isinstance(result, tuple) and len(result) == 2, _("standardise should return a pair (Z_train, Z_other)."))
    z_train, z_other = (np.asarray(z) for z in result)
    expect(np.array_equal(other, kept), _("standardise changed the array it was given: work on copies."))
    expect(z_train.shape == train.shape and z_other.shape == other.shape, _("the shapes should not change."))
    expect(z_train.dtype == np.float32 and z_other.dtype == np.float32, _("return float32 arrays (.astype(np.float32))."))
    expect(np.isfinite(z_train).all() and np.isfinite(z_other).all(),
           _("you got inf or NaN: a column that is constant in the training data has standard deviation 0; "
             "divide it by 1 instead."))
    expect(math.isclose(float(z_other[1, 0]), 0.0, abs_tol=1e-5),
           _("a value equal to the TRAINING mean (3.0 in column 0) should become 0 in the other array: "
             "compute the mean and standard deviation from X_train only, never from the data you will evaluate on."))
    expect(np.allclose(z_train.mean(axis=0), 0, atol=1e-5), _("the training columns should have mean 0 afterwards."))
    expect(math.isclose(float(z_other[0, 0]), 4 / np.std([1.0, 3.0, 5.0]), rel_tol=1e-4),
           _("the other array should be divided by the TRAINING standard deviation (np.std, ddof=0)."))


def _q2(ns):
    import torch
    from torch import nn

    make_mlp = ns.function("make_mlp")
    net = make_mlp(30)
    expect(isinstance(net, nn.Module), _("make_mlp should return a torch module, not a {kind}.").format(
        kind=type(net).__name__))
    out = net(torch.randn(4, 30))
    expect(tuple(out.shape) == (4, 1), _("for 4 rows the output should have shape (4, 1); yours is {shape}.").format(
        shape=tuple(out.shape)))
    expect(not any(isinstance(m, (nn.Sigmoid, nn.Softmax)) for m in net.modules()),
           _("the network should end with the Linear layer: it outputs logits, and BCEWithLogitsLoss applies the "
             "sigmoid itself."))
    n_weights = sum(p.numel() for p in net.parameters())
    expect(n_weights == 2081, _("make_mlp(30) should have 2081 weights and biases; yours has {n_weights}. Check the "
                                "layer sizes: 30 -> 32 -> 32 -> 1.").format(n_weights=n_weights))
    drops = [m.p for m in make_mlp(30, dropout=0.4).modules() if isinstance(m, nn.Dropout)]
    expect(drops == [0.4, 0.4], _("make_mlp(30, dropout=0.4) should have two Dropout(0.4) layers; found "
                                  "{drops}.").format(drops=drops))


def _q3(ns):
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    train_one_epoch, evaluate = ns.function("train_one_epoch"), ns.function("evaluate")
    device = ns.get("device", str)
    torch.manual_seed(0)
    x, y = torch.randn(10, 3), torch.randn(10, 1)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    net = nn.Linear(3, 1).to(device)
    before = [p.detach().clone() for p in net.parameters()]
    val = evaluate(net, loader, nn.MSELoss(), device)
    expect(isinstance(val, float), _("evaluate should return a Python float (loss.item()), not {kind}.").format(
        kind=type(val).__name__))
    expect(all(torch.equal(a, b) for a, b in zip(before, net.parameters())), _("evaluate changed the weights."))
    with torch.no_grad():
        full = nn.MSELoss()(net(x.to(device)), y.to(device)).item()
    expect(math.isclose(val, full, rel_tol=1e-5),
           _("evaluate gave {val:.4f} but the mean loss over the 10 samples is {full:.4f}: the last "
             "batch has only 2 samples, so weight each batch's loss by its size.").format(val=val, full=full))
    loss = train_one_epoch(net, loader, nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=0.1), device)
    expect(isinstance(loss, float), _("train_one_epoch should return a Python float."))
    expect(not all(torch.equal(a, b) for a, b in zip(before, net.parameters())),
           _("train_one_epoch did not change the weights: call loss.backward() and optimizer.step()."))
    dropout_net = nn.Sequential(nn.Linear(3, 16), nn.Dropout(0.5), nn.Linear(16, 1)).to(device)
    first, second = (evaluate(dropout_net, loader, nn.MSELoss(), device) for _ in range(2))
    expect(math.isclose(first, second, rel_tol=1e-6),
           _("two evaluations of the same network differ: put the model in evaluation mode (model.eval())."))


def _q4(ns):
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    fit, device = ns.function("fit"), ns.get("device", str)
    torch.manual_seed(0)
    x = torch.randn(40, 3)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
    train = DataLoader(TensorDataset(x[:30], y[:30]), batch_size=10)
    val = DataLoader(TensorDataset(x[30:], y[30:]))
    net = nn.Linear(3, 1).to(device)
    history = fit(net, train, val, nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=0.05), device,
                  max_epochs=4, patience=10)
    expect(isinstance(history, dict) and {"train_loss", "val_loss", "best_epoch"} <= set(history),
           _("fit should return a dict with the keys 'train_loss', 'val_loss' and 'best_epoch'."))
    expect(len(history["train_loss"]) == len(history["val_loss"]) == 4,
           _("with max_epochs=4 and a large patience, fit should run exactly 4 epochs, one loss of each kind per "
             "epoch."))
    expect(history["best_epoch"] == int(np.argmin(history["val_loss"])),
           _("best_epoch should be the 0-based index of the lowest validation loss."))


def _q5(ns):
    auc = ns.get("mlp_test_auc", float)
    prob = np.asarray(ns.get("mlp_test_prob"))
    y_test = ns.get("y_test")
    expect(prob.shape == (len(y_test),), _("mlp_test_prob should hold one probability per test woman ({n}), as a 1-D "
                                           "array; its shape is {shape}.").format(n=len(y_test), shape=prob.shape))
    expect(((prob >= 0) & (prob <= 1)).all(), _("mlp_test_prob should be probabilities: apply torch.sigmoid to the "
                                                "logits."))
    expect(auc > 0.9, _("a test AUC of {auc:.3f} is low for this data: did you train with fit and standardised "
                        "inputs?").format(auc=auc))
    expect(len(ns.get("mlp_history", dict)["val_loss"]) >= 2, _("train for more than one epoch."))


def _q6(ns):
    import torch
    from torch import nn

    net_class = ns.get("ECGNet", type)
    net = net_class().eval()
    out = net(torch.randn(3, 1, 1000))
    expect(tuple(out.shape) == (3, 5), _("ECGNet() on 3 records should give logits of shape (3, 5); yours "
                                         "{shape}.").format(shape=tuple(out.shape)))
    try:
        short = net(torch.randn(2, 1, 640))
    except RuntimeError as err:
        raise NotYet(_("a shorter recording fails ({err}): average over the time axis before the Linear layer "
                       "(global average pooling).").format(err=err)) from None
    expect(tuple(short.shape) == (2, 5), _("any length should work thanks to global average pooling."))
    convs = [m for m in net.modules() if isinstance(m, nn.Conv1d)]
    expect([(m.in_channels, m.out_channels) for m in convs] == [(1, 16), (16, 16), (16, 32), (32, 32)],
           _("the four Conv1d layers should map channels 1 -> 16 -> 16 -> 32 -> 32 (width=16)."))
    twelve = net_class(n_classes=3, in_channels=12).eval()
    expect(tuple(twelve(torch.randn(2, 12, 500)).shape) == (2, 3),
           _("ECGNet(n_classes=3, in_channels=12) should accept 12-lead input and give 3 logits."))


def _q7(ns):
    pred = np.asarray(ns.get("ecg_test_pred"))
    test_idx = ns.get("ecg_test")
    bal = ns.get("ecg_bal_acc", float)
    expect(pred.shape == (len(test_idx),), _("ecg_test_pred should hold one predicted class per test record."))
    expect(np.issubdtype(pred.dtype, np.integer), _("ecg_test_pred should hold class indices (argmax of the logits)."))
    expect(bal > 0.6, _("a balanced accuracy of {bal:.2f} is low: check the training call and the learning "
                        "rate.").format(bal=bal))


q1 = Question(N_("Q1 (standardise)"), _q1, N_("compute mean and std with axis=0 on X_train only, then use the SAME "
                 "numbers for both arrays; np.where(std > 0, std, 1.0) handles constant columns."))
q2 = Question(N_("Q2 (make_mlp)"), _q2, N_("nn.Sequential(nn.Linear(...), nn.ReLU(), nn.Dropout(...), ...), ending with "
                                           "nn.Linear(hidden, 1) and nothing after it."))
q3 = Question(N_("Q3 (train_one_epoch, evaluate)"), _q3, N_("the order in the loop is optimizer.zero_grad(), loss = "
                                                            "..., loss.backward(), optimizer.step(); accumulate "
                                                            "loss.item() * len(inputs) and divide by the count."))
q4 = Question(N_("Q4 (fit with early stopping)"), _q4, N_("keep best_loss, a counter of epochs since the last "
                                                          "improvement, and best_state = "
                                                          "copy.deepcopy(model.state_dict()); reset the counter when "
                                                          "you improve."))
q5 = Question(N_("Q5 (train the MLP)"), _q5, N_("mlp = make_mlp(30).to(device); then fit(...); then "
                 "torch.sigmoid(predict_logits(mlp, Z_test)).numpy().ravel()."))
q6 = Question(N_("Q6 (ECGNet)"), _q6, N_("build the blocks in __init__ (nn.Sequential is fine); in forward, "
                 "features(x).mean(dim=-1) gives (batch, channels) for the Linear layer."))
q7 = Question(N_("Q7 (train the CNN)"), _q7, N_("the same fit as for the MLP, with nn.CrossEntropyLoss(); "
                 "predict_logits(ecg_model, ecg_x[ecg_test]).argmax(dim=1).numpy()."))
