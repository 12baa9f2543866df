"""Which simple features of the true beat times tell the ecg-rhythm label? (docs/ecg.md)

    python scripts/ecg_rhythm_features.py
"""
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import PolynomialFeatures

from toytasks.tasks import get_generator

t = get_generator("ecg-rhythm")()
_, y, b = t.sample_annotated(8000, np.random.default_rng(0))
r = b.r_peak_s
i0, i1, y = r[:, -1] - r[:, -2], r[:, -2] - r[:, -3], y[:, 0]
for name, f in (("I0, I1 (linear)", np.c_[i0, i1]), ("I1/I0 (linear)", np.c_[i1 / i0]),
                ("I0, I1 (quadratic)", PolynomialFeatures(2).fit_transform(np.c_[i0, i1])),
                ("|I1/I0 - 1|", np.c_[abs(i1 / i0 - 1)])):
    clf = LogisticRegression(max_iter=3000).fit(f[:6000], y[:6000])
    print(f"| {name} | {clf.score(f[6000:], y[6000:]):.3f} |")
