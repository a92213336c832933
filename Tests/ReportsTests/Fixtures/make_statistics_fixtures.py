"""Writes statistics.json: Student t quantiles and CDF values from SciPy, and a t interval.

Run once (python3 make_statistics_fixtures.py, with scipy installed); the Swift tests read only the JSON.
"""

import json
import os

import numpy as np
import scipy
from scipy import stats

quantiles = []
for nu in [1, 2, 3, 4, 5, 9, 29, 200]:
    for p in [0.5, 0.9, 0.95, 0.975, 0.995, 0.025]:
        quantiles.append({"p": p, "nu": nu, "t": float(stats.t.ppf(p, nu))})
cdfs = []
for nu in [1, 2.5, 7]:
    for t in [-3.0, -0.7, 0.0, 0.4, 2.0, 10.0]:
        cdfs.append({"t": t, "nu": nu, "cdf": float(stats.t.cdf(t, nu))})
values = [0.194, 0.140, 0.141, 0.247]  # the trigger-only ASR of four seeds (fig 3-2's set-up, target 0)
mean = float(np.mean(values))
sem = float(stats.sem(values))
lo, hi = stats.t.interval(0.95, len(values) - 1, loc=mean, scale=sem)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "statistics.json")
with open(out, "w") as f:
    json.dump(
        {
            "scipy": scipy.__version__,
            "quantiles": quantiles,
            "cdfs": cdfs,
            "interval": {"values": values, "mean": mean, "sd": float(np.std(values, ddof=1)), "lower": lo, "upper": hi},
        },
        f,
        indent=1,
    )
print("wrote", out)
