"""Writes defences.json: reference values for BackdoorLab's defence algorithms on small fixed inputs,
computed by independent implementations — the Adversarial Robustness Toolbox (spectral signatures as ART
scores them), NumPy (the papers' formulas), scikit-learn (PCA, k-means, silhouette, ROC AUC) and SciPy
(entropy, the normal fit and its quantile). Run once: python3 make_defence_fixtures.py
(pip install adversarial-robustness-toolbox==1.20.1 scikit-learn numpy scipy packaging tqdm)."""
import json
import numpy as np
import scipy.stats
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score, silhouette_score
from art.defences.detector.poison.spectral_signature_defense import SpectralSignatureDefense

rng = np.random.default_rng(2026)
out = {}

# Spectral signatures: 60 clean representations of one class and 6 poisons shifted along one direction.
d = 8
clean = rng.normal(0, 1, (60, d))
poison = rng.normal(0, 1, (6, d)) + 4 * np.eye(d)[2]
r = np.vstack([clean, poison]).astype(np.float32)
centred = r.astype(np.float64) - r.astype(np.float64).mean(axis=0)
_, _, vt = np.linalg.svd(centred, full_matrices=False)
paper = (centred @ vt[0]) ** 2
art_scores = SpectralSignatureDefense.spectral_signature_scores(r.astype(np.float64))[:, 0]
remove = int(round(1.5 * 6))
out["spectral"] = {
    "rows": r.shape[0], "dim": d, "features": r.flatten().tolist(),
    "paper_scores": paper.tolist(), "art_scores": art_scores.tolist(),
    "remove": remove, "paper_removed": sorted(np.argsort(-paper, kind="stable")[:remove].tolist()),
}

# Activation clustering: 40 + 10 activations in 12 dimensions, reduced to 3 by PCA, then 2-means.
a = np.vstack([rng.normal(0, 1, (40, 12)), rng.normal(0, 1, (10, 12)) + 5 * np.eye(12)[0]]).astype(np.float32)
pca = PCA(n_components=3, svd_solver="full").fit(a.astype(np.float64))
proj = pca.transform(a.astype(np.float64))
km = KMeans(n_clusters=2, n_init=10, random_state=0).fit(proj)
out["clustering"] = {
    "rows": a.shape[0], "dim": 12, "components": 3, "activations": a.flatten().tolist(),
    "projection": proj.flatten().tolist(), "labels": km.labels_.tolist(),
    "silhouette": float(silhouette_score(proj, km.labels_)),
}

# STRIP: predictions of 5 superimposed copies over 4 classes, for 3 inputs.
p = rng.dirichlet(np.ones(4) * 0.7, size=(3, 5))
paper_entropy = [float(np.mean([scipy.stats.entropy(row, base=2) for row in copies])) for copies in p]
art_entropy = [float(np.sum(scipy.stats.entropy(copies, base=2, axis=0)) / len(copies)) for copies in p]
clean_entropies = rng.normal(1.2, 0.3, 40)
mu, sigma = scipy.stats.norm.fit(clean_entropies)
out["strip"] = {
    "inputs": 3, "copies": 5, "classes": 4, "probabilities": p.flatten().tolist(),
    "paper_entropy": paper_entropy, "art_entropy": art_entropy,
    "clean_entropies": clean_entropies.tolist(), "false_rejection_rate": 0.01,
    "threshold": float(scipy.stats.norm.ppf(0.01, loc=mu, scale=sigma)),
}

# ROC AUC with ties.
scores = np.round(rng.normal(0, 1, 30), 1)
labels = (rng.random(30) < 0.4).astype(int)
out["auroc"] = {"scores": scores.tolist(), "labels": labels.tolist(), "auroc": float(roc_auc_score(labels, scores))}

with open("defences.json", "w") as f:
    json.dump(out, f, indent=1)
