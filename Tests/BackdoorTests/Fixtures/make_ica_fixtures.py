"""Writes ica.json: scikit-learn's FastICA (parallel, log-cosh, unit-variance whitening) on a fixed
mixture, for activation clustering's `reduce: ica`. Run once: python3 make_ica_fixtures.py
(pip install scikit-learn numpy)."""
import json
import os

import numpy as np
import sklearn
from sklearn.decomposition import FastICA

rng = np.random.default_rng(7)
n = 400
# Three independent non-Gaussian sources (uniform, Laplace, a sign wave), mixed into 6 dimensions with noise.
s = np.stack([rng.uniform(-1, 1, n), rng.laplace(0, 1, n), np.sign(np.sin(np.arange(n) / 7.0))], axis=1)
mixing = rng.normal(0, 1, (3, 6))
x = (s @ mixing + 0.01 * rng.normal(0, 1, (n, 6))).astype(np.float32)
w_init = rng.normal(0, 1, (3, 3))
ica = FastICA(n_components=3, algorithm="parallel", whiten="unit-variance", fun="logcosh", w_init=w_init,
              max_iter=1000, tol=1e-4)
sources = ica.fit_transform(x.astype(np.float64))
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ica.json")
with open(out, "w") as f:
    json.dump({"sklearn": sklearn.__version__, "rows": n, "dim": 6, "components": 3, "x": x.flatten().tolist(),
               "w_init": w_init.flatten().tolist(), "sources": sources.flatten().tolist(),
               "true_sources": s.flatten().tolist()}, f)
print("wrote", out)
