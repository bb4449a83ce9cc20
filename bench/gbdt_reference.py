"""scikit-learn's side of bench/gbdt-reference.mjs.

Reads the datasets the Node script wrote (float32 rows, uint8 labels, breakwater's float64 test
predictions), trains HistGradientBoostingClassifier with the same settings, and prints one JSON
object: scikit-learn's AUC and breakwater's AUC, both from roc_auc_score on the same test rows.
Run by Debian's /usr/bin/python3 (python3-sklearn) with OMP_NUM_THREADS=1.
"""
import json
import platform
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score


def main(jobs_path):
    with open(jobs_path) as f:
        spec = json.load(f)
    p = spec["params"]
    results = []
    for job in spec["jobs"]:
        prefix, width = job["prefix"], job["width"]
        train_x = np.fromfile(prefix + ".train_x", dtype=np.float32).reshape(-1, width)
        train_y = np.fromfile(prefix + ".train_y", dtype=np.uint8)
        test_x = np.fromfile(prefix + ".test_x", dtype=np.float32).reshape(-1, width)
        test_y = np.fromfile(prefix + ".test_y", dtype=np.uint8)
        ours = np.fromfile(prefix + ".ours", dtype=np.float64)
        model = HistGradientBoostingClassifier(
            loss="log_loss",
            max_iter=p["rounds"],
            learning_rate=p["learningRate"],
            max_depth=p["maxDepth"],
            max_leaf_nodes=None,
            min_samples_leaf=p["minSamplesLeaf"],
            l2_regularization=p["l2"],
            max_bins=p["maxBins"],
            early_stopping=True,
            validation_fraction=p["validationFraction"],
            n_iter_no_change=p["earlyStoppingRounds"],
            tol=p["tolerance"],
            scoring="loss",
            random_state=p["seed"],
        )
        started = time.perf_counter()
        model.fit(train_x, train_y)
        seconds = time.perf_counter() - started
        theirs = model.predict_proba(test_x)[:, 1]
        results.append({
            "sklearn_auc": float(roc_auc_score(test_y, theirs)),
            "ours_auc": float(roc_auc_score(test_y, ours)),
            "sklearn_trees": int(model.n_iter_),
            "sklearn_seconds": seconds,
        })
    print(json.dumps({"sklearn": sklearn.__version__, "numpy": np.__version__, "python": platform.python_version(), "results": results}))


if __name__ == "__main__":
    main(sys.argv[1])
