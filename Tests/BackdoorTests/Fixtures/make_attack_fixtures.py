"""Writes attacks.json: WaNet's warp computed by PyTorch on small fixed inputs.

Run once (python3 make_attack_fixtures.py, with torch installed); the Swift tests read only the JSON.
The formulas follow the WaNet paper: a k x k grid of offsets upsampled bicubically with corners
aligned, added to the identity grid at strength / height, clamped to [-1, 1], and sampled bilinearly
with corners aligned.
"""

import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)
cases = []
for k, h, w, c, s in [(4, 8, 8, 1, 0.5), (3, 7, 9, 3, 2.0), (4, 28, 28, 1, 0.5)]:
    ins = torch.rand(1, 2, k, k) * 2 - 1
    ins = ins / torch.mean(torch.abs(ins))
    noise = F.interpolate(ins, size=(h, w), mode="bicubic", align_corners=True).permute(0, 2, 3, 1)
    ys = torch.linspace(-1, 1, h)
    xs = torch.linspace(-1, 1, w)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    identity = torch.stack((gx, gy), 2)[None]
    grid = torch.clamp(identity + s * noise / h, -1, 1)
    image = torch.randint(0, 256, (1, c, h, w)).float()
    warped = F.grid_sample(image, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    cases.append(
        {
            "grid_size": k,
            "height": h,
            "width": w,
            "channels": c,
            "strength": s,
            "control": ins.flatten().tolist(),
            "field": grid.flatten().tolist(),
            # HWC, as BackdoorLab stores images.
            "image": image[0].permute(1, 2, 0).flatten().int().tolist(),
            "warped": warped[0].permute(1, 2, 0).flatten().tolist(),
        }
    )

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "attacks.json")
with open(out, "w") as f:
    json.dump({"torch": torch.__version__, "warp": cases}, f)
print("wrote", out)
