"""Writes the PyTorch reference values the Swift tests compare against.

Run once (needs torch and numpy): python3 Tests/LearningTests/Fixtures/make_fixtures.py
The Swift tests read only the files this writes; they never run Python.
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)


class Block(nn.Module):
    """Post-activation basic block, as BackdoorLab's ResidualUnit."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return F.relu(h + self.shortcut(x))


class TinyResNet(nn.Module):
    def __init__(self, cin, stem, widths, classes, mean, std):
        super().__init__()
        self.register_buffer("m", torch.tensor(mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("s", torch.tensor(std).view(1, -1, 1, 1), persistent=False)
        self.conv1 = nn.Conv2d(cin, stem, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        c = stem
        for g, w in enumerate(widths):
            setattr(self, f"layer{g + 1}", nn.Sequential(Block(c, w, 1 if g == 0 else 2)))
            c = w
        self.fc = nn.Linear(c, classes)
        self.groups = len(widths)

    def forward(self, x):  # x: NCHW on the 0-255 scale
        x = (x / 255 - self.m) / self.s
        h = F.relu(self.bn1(self.conv1(x)))
        for g in range(self.groups):
            h = getattr(self, f"layer{g + 1}")(h)
        return self.fc(h.mean(dim=(2, 3)))


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        a = tensors[name].detach().contiguous().numpy().astype("<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def nhwc(t):
    return t.permute(0, 2, 3, 1).contiguous().flatten().tolist()


mean, std = [0.3, 0.6], [0.2, 0.4]
model = TinyResNet(2, 4, [4, 8], 3, mean, std)
with torch.no_grad():  # non-trivial batch-norm parameters and statistics
    for mod in model.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.weight.uniform_(0.5, 1.5)
            mod.bias.uniform_(-0.3, 0.3)
            mod.running_mean.uniform_(-0.2, 0.2)
            mod.running_var.uniform_(0.5, 2.0)
state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
write_safetensors(os.path.join(HERE, "tiny_resnet.safetensors"), state)

x = torch.randint(0, 256, (3, 2, 6, 6)).float()
labels = torch.tensor([0, 2, 1])

model.eval()
eval_logits = model(x)

model.train()
xg = x.clone().requires_grad_(True)
loss = F.cross_entropy(model(xg), labels)
loss.backward()

fixture = {
    "input_shape_nhwc": [3, 6, 6, 2],
    "input_nhwc": nhwc(x),
    "labels": labels.tolist(),
    "mean": mean,
    "std": std,
    "eval_logits": eval_logits.flatten().tolist(),
    "train_loss": loss.item(),
    "train_input_gradient_nhwc": nhwc(xg.grad),
    "train_conv1_weight_gradient_oihw": model.conv1.weight.grad.flatten().tolist(),
    "train_fc_weight_gradient": model.fc.weight.grad.flatten().tolist(),
    "running_mean_bn1_after_train_step": model.bn1.running_mean.tolist(),
    "running_var_bn1_after_train_step": model.bn1.running_var.tolist(),
}
with open(os.path.join(HERE, "tiny_resnet.json"), "w") as f:
    json.dump(fixture, f)

# One SGD step with momentum and weight decay, and two Adam steps, on a small vector.
w0 = torch.tensor([1.0, -2.0, 0.5])
grads = [torch.tensor([0.1, 0.2, -0.3]), torch.tensor([-0.2, 0.05, 0.4])]
out = {}
for name, make in [("sgd", lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)),
                   ("adam", lambda p: torch.optim.Adam([p], lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01))]:
    p = w0.clone().requires_grad_(True)
    opt = make(p)
    for g in grads:
        p.grad = g.clone()
        opt.step()
    out[name] = p.detach().tolist()
out["w0"] = w0.tolist()
out["grads"] = [g.tolist() for g in grads]
with open(os.path.join(HERE, "optimizers.json"), "w") as f:
    json.dump(out, f)

# .npy files as numpy writes them, for the loader tests.
npy_dir = os.path.join(HERE, "..", "..", "DatasetsTests", "Fixtures")
os.makedirs(npy_dir, exist_ok=True)
np.save(os.path.join(npy_dir, "uint8_2x3x2.npy"), np.arange(12, dtype=np.uint8).reshape(2, 3, 2))
np.save(os.path.join(npy_dir, "float32_4.npy"), np.array([0.5, -1.25, 3.0, 1e-3], dtype=np.float32))
np.save(os.path.join(npy_dir, "int64_3.npy"), np.array([7, -1, 1 << 40], dtype=np.int64))
print("fixtures written")

# RDP accountant values from Google's dp-accounting (pip install dp-accounting==0.6.0).
try:
    import dp_accounting
    from dp_accounting import rdp

    rows = []
    for q, sigma, steps, delta in [(0.04, 1.0, 10000, 1e-5), (0.04, 2 / 3, 10000, 1e-5), (0.04, 1 / 3, 10000, 1e-5),
                                   (2000 / 30000, 1.0, 1500, 1e-5), (0.01, 1.1, 5000, 1e-6), (0.1, 4.0, 100, 1e-5)]:
        acc = rdp.RdpAccountant()
        acc.compose(dp_accounting.SelfComposedDpEvent(
            dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(sigma)), steps))
        eps, order = acc.get_epsilon_and_optimal_order(delta)
        rows.append({"q": q, "sigma": sigma, "steps": steps, "delta": delta, "epsilon": eps, "order": order})
    single = []
    for q, sigma, order in [(0.04, 1.0, 2.0), (0.04, 2 / 3, 1.5), (0.04, 1.0, 3.7), (0.3, 0.8, 12.0)]:
        single.append({"q": q, "sigma": sigma, "order": order,
                       "rdp": float(rdp.rdp_privacy_accountant._compute_rdp_poisson_subsampled_gaussian(q, sigma, [order])[0])})
    with open(os.path.join(HERE, "rdp_accountant.json"), "w") as f:
        json.dump({"epsilon": rows, "rdp": single}, f, indent=1)
    print("accountant fixture written")
except ImportError:
    print("dp-accounting not installed: rdp_accountant.json left as it is")
