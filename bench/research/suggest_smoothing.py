"""Sequence smoothing over the SHIPPED suggestion model's scores (research for issue 12; not shipped).

    pip install scikit-learn
    OMP_NUM_THREADS=1 python bench/research/suggest_smoothing.py [--cache /tmp/smoothing.pkl]

Question: does a cheap layer over the shipped logistic regression's per-line logits z (``model.py``,
fitted by ``train_suggest._fit``), looking at the page's other lines' z, lift cold-start content F to
>= 0.85 at boilerplate precision >= 0.95 on ../shared/boilerplate-dev?

Protocol, as bench_suggest.py: outer folds pages[fold::5]; stage 1 = ``train_suggest._fit`` on the other
folds (the shipped recipe); its inner 4-fold split (training[j::4], as ``train_suggest.choose_threshold``)
gives out-of-fold stage-1 logits for every line of every training page, and the baseline threshold is
exactly ``fit``'s. Each smoother is fitted on the training pages' out-of-fold logits only; its threshold is
the lowest one at which boilerplate precision reaches 0.95 over an inner 4-fold CV of the smoother on the
training pages (smoother refitted on 3/4, scored on 1/4, all with out-of-fold stage-1 logits; the HMMs:
below). Held-out
pages are scored with stage 1 fitted on all training pages, then the smoother. Reported as bench_suggest
reports: the labels and scores of all folds pooled, at the mean of the folds' thresholds, and the best
content F at any threshold (bench grid 0.50..0.99, also a finer 0.02..0.995 grid) with boilerplate P >= 0.95.

Candidates (z = stage-1 logit of every non-blank line of the page; blank = a blank line before the line):
  hmm-prior  2-state HMM, emission log-likelihood ratio z - logit(labelled boilerplate share) (the calibrated
             probability over the class prior), stay probabilities per state with and without a blank line
             between the lines, initial state: 5 parameters. Labels are sparse (160 adjacent labelled pairs in
             6,629), so transitions cannot be counted: they are fitted by minimizing the labelled lines'
             log-loss of the forward-backward posterior (scipy Powell, on the out-of-fold logits).
  hmm        the same with the emission a*z + c fitted too (7 parameters; it learns a ~0.72: z is over-confident).
  viterbi    the fitted HMM's max-marginal margin (its sign is the Viterbi path).
  lr2        logistic regression over z at 0, +-1, +-2, +-3, blank before/after, the blank-line block's mean/min/
             max z and log size, the page's mean z and share z<0, relative position (16 weights).
  lr2+hmm    lr2 plus the fitted HMM's posterior and symmetric-HMM posteriors (switch 0.1 and 0.3).
  lr2-rich   lr2+hmm plus suggest_recipe.py's context (mean z +-5, max/min +-2, max-subarray content zones,
             between first and last confident content line) and the line's words/sentence end/short flag,
             alone and times its neighbours' mean z.
  gbt-rich   lr2-rich's inputs into 50 depth-3 gradient-boosted trees (exported to pure Python).
HMM thresholds come from the HMM's own scores of the training pages' out-of-fold logits (5-7 parameters, fitted
on the same pages: no held-out page is used); lr2* and gbt thresholds from the inner 4-fold CV.

Measured (2 vCPUs, a run from scratch ~4 min; µs = the smoother alone in pure Python over stage-1 logits, all lines of
100 held-out pages, best of 3; the stage-1 line features and dot product are unchanged):

    candidate  thresh  content F (P / R)       boilerplate P / R   best F at bP>=0.95   µs/line
    shipped    0.85    0.8224 (0.721/0.957)    0.9543 / 0.7061     0.8246 (0.826 fine)  0
    hmm-prior  0.86    0.8223                  0.9546 / 0.7055     0.8259               0.9
    hmm        0.81    0.8307 (0.735/0.956)    0.9542 / 0.7261     0.8335 (0.834)       0.9
    viterbi    0.84    0.8243                  0.9523 / 0.7131     0.8318               1.1
    lr2        0.82    0.8306 (0.733/0.958)    0.9561 / 0.7236     0.8359 (0.837)       2.5
    lr2+hmm    0.83    0.8268                  0.9582 / 0.7120     0.8360 (0.837)       3.6
    lr2-rich   0.84    0.8257                  0.9557 / 0.7123     0.8280               6.9
    gbt-rich   0.81    0.8325 (0.735/0.960)    0.9579 / 0.7258     0.8367               7.8

(each fold at its own threshold instead of their mean: shipped 0.8200, hmm 0.8285, lr2 0.8274, gbt-rich 0.8308.)
Conclusion: smoothing the shipped model's scores is worth ~+0.008 to +0.010 content F; no candidate reaches 0.85,
and even the best threshold chosen on the held-out pages tops out at ~0.837. The gap to 0.85 is in stage 1's
evidence (suggest_recipe.py's richer features + cohesion reach 0.832 and 0.844 with a second stage), not in how
the neighbours' scores are combined.
"""

from __future__ import annotations

import argparse
import math
import pickle
import sys
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))

from bench_suggest import best_at_precision, line_scores  # noqa: E402
from train_suggest import _fit  # noqa: E402

from corpus_tui.core.suggest.features import DENSE_NAMES, TOKEN_BUCKETS  # noqa: E402

FOLDS, INNER, TARGET = 5, 4, 0.95
BLANK = DENSE_NAMES.index("blank_before")


# ------------------------------------------------------------------ data and stage 1
def load(cache: Path | None):
    if cache and cache.exists():
        return pickle.loads(cache.read_bytes())
    from scipy import sparse

    from suggest_data import load_pages
    pages = load_pages()
    data = []
    for page in pages:
        rows, cols = [], []
        for number, line in enumerate(page.lines):
            for bucket in set(line.tokens):
                rows.append(number)
                cols.append(bucket)
        tokens = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(page.lines), TOKEN_BUCKETS))
        li = sorted(page.labels)
        data.append({"page": page, "D": np.array([line.dense for line in page.lines]).reshape(len(page.lines), -1),
                     "T": tokens, "bb": [line.dense[BLANK] == 1.0 for line in page.lines],
                     "li": np.array(li, dtype=int), "y": np.array([page.labels[i] for i in li], dtype=int)})
    return data


def logits(model: dict, P: dict) -> np.ndarray:
    """The shipped LineModel.score's logit for every line of the page (same rounded weights)."""
    if not len(P["D"]):
        return np.zeros(0)
    x = (P["D"] - np.array(model["mean"])) / np.array(model["scale"])
    return x @ np.array(model["dense_weights"]) + P["T"] @ np.array(model["token_weights"]) + model["bias"]


def stage1(data):
    """Per outer fold: held-out logits (stage 1 on all training pages), training pages' out-of-fold logits
    (inner split training[j::4]) and the baseline threshold exactly as train_suggest.fit chooses it."""
    folds = []
    for fold in range(FOLDS):
        train = [i for i in range(len(data)) if i % FOLDS != fold]
        test = list(range(fold, len(data), FOLDS))
        started = time.time()
        full = _fit([data[i]["page"] for i in train])
        zt = {i: logits(full, data[i]) for i in test}
        oof = {}
        for j in range(INNER):
            inner = _fit([data[i]["page"] for n, i in enumerate(train) if n % INNER != j])
            for n, i in enumerate(train):
                if n % INNER == j:
                    oof[i] = logits(inner, data[i])
        folds.append({"train": train, "test": test, "z_test": zt, "z_oof": oof})
        log(f"stage 1 fold {fold}: {time.time() - started:.0f} s")
    return folds


def pick(y, s, grid):
    for t in grid:
        chosen = y[s >= t]
        if len(chosen) and chosen.mean() >= TARGET:
            return float(t)
    return float(grid[-1])


BENCH_GRID = np.arange(50, 100) / 100
FINE_GRID = np.round(np.arange(0.02, 0.9951, 0.005), 3)


# ------------------------------------------------------------------ HMM (numpy, batched over pages, for fitting)
def _sig(x):
    return 1 / (1 + np.exp(-x))


class Batch:
    """Pages sorted by length and padded in groups (positions x pages, so a step is one row): z,
    blank-before, mask; labelled positions and labels."""

    GROUP = 96

    def __init__(self, zs, bbs, lis, ys):
        order = sorted(range(len(zs)), key=lambda k: len(zs[k]))
        self.order = order
        self.groups = []
        for g in range(0, len(order), self.GROUP):
            members = order[g:g + self.GROUP]
            n = max(1, max(len(zs[k]) for k in members))
            Z = np.zeros((n, len(members))); B = np.zeros((n, len(members)), bool); M = np.zeros((n, len(members)), bool)
            rows, cols, y = [], [], []
            for col, k in enumerate(members):
                z = zs[k]
                Z[:len(z), col] = z; B[:len(z), col] = bbs[k]; M[:len(z), col] = True
                rows.append(np.asarray(lis[k], int)); cols.append(np.full(len(lis[k]), col)); y.append(np.asarray(ys[k]))
            self.groups.append((members, Z, B, M, np.concatenate(rows).astype(int), np.concatenate(cols).astype(int)))
        self.y = np.concatenate([np.concatenate([np.asarray(ys[k]) for k in g[0]]) for g in self.groups])


def hmm_batch(batch: Batch, theta, viterbi=False):
    """posterior log-odds (or Viterbi max-marginal margin) at the labelled positions, in batch.y's order;
    and the per-page arrays (in the input order) when asked via hmm_pages."""
    return np.concatenate([post[rows, cols] for (_, _, _, _, rows, cols), post in zip(batch.groups, _hmm_groups(batch, theta, viterbi))])


def hmm_pages(batch: Batch, theta, lengths, viterbi=False):
    out = [None] * len(lengths)
    for (members, *_), post in zip(batch.groups, _hmm_groups(batch, theta, viterbi)):
        for col, k in enumerate(members):
            out[k] = post[:lengths[k], col]
    return out


def _hmm_groups(batch, theta, viterbi):
    a, c, sb, sc, sbb, scb, p0 = (float(v) for v in theta)
    SB = (_sig(sb), _sig(sbb)); SC = (_sig(sc), _sig(scb))
    found = []
    for members, Z, B, M, rows, cols in batch.groups:
        N, K = Z.shape
        E = np.where(M, a * Z + c, 0.0)
        sbv = np.where(B, SB[1], SB[0]); scv = np.where(B, SC[1], SC[0])
        lsb, lsc, lxb, lxc = np.log(sbv), np.log(scv), np.log1p(-sbv), np.log1p(-scv)
        if not viterbi:
            fw = np.empty((N, K)); bw = np.zeros((N, K))
            prior = np.full(K, p0)
            for i in range(N):
                d = prior + E[i]
                fw[i] = d
                if i + 1 < N:
                    prior = np.logaddexp(lsb[i + 1] + d, lxc[i + 1]) - np.logaddexp(lxb[i + 1] + d, lsc[i + 1])
            for i in range(N - 2, -1, -1):
                u = E[i + 1] + bw[i + 1]
                bw[i] = np.logaddexp(lsb[i + 1] + u, lxb[i + 1]) - np.logaddexp(lxc[i + 1] + u, lsc[i + 1])
            # padding (E = 0, bw = 0 past a page's end) sends back exactly 0: nothing to mask
            found.append(np.clip(fw + bw, -30, 30))
            continue
        dB = np.empty((N, K)); dC = np.empty((N, K))
        dB[0] = p0 / 2 + E[0]; dC[0] = -p0 / 2
        for i in range(1, N):
            dB[i] = E[i] + np.maximum(dB[i - 1] + lsb[i], dC[i - 1] + lxc[i])
            dC[i] = np.maximum(dB[i - 1] + lxb[i], dC[i - 1] + lsc[i])
        gB = np.zeros((N, K)); gC = np.zeros((N, K))
        for i in range(N - 2, -1, -1):
            m = M[i + 1]
            nb = np.maximum(lsb[i + 1] + E[i + 1] + gB[i + 1], lxb[i + 1] + gC[i + 1])
            nc = np.maximum(lxc[i + 1] + E[i + 1] + gB[i + 1], lsc[i + 1] + gC[i + 1])
            gB[i] = np.where(m, nb, 0.0); gC[i] = np.where(m, nc, 0.0)
        found.append(np.clip((dB + gB) - (dC + gC), -30, 30))
    return found


def fit_hmm(batch: Batch, prior_only=False):
    from scipy.optimize import minimize
    prior = batch.y.mean()
    theta0 = np.array([1.0, -math.log(prior / (1 - prior)), 2.0, 2.0, 1.0, 1.0, 0.0])
    fixed = theta0[:2].copy()

    def full(t):
        return np.concatenate([fixed, t]) if prior_only else t

    def loss(t):
        post = hmm_batch(batch, full(t))
        return float(np.mean(np.logaddexp(0, post) - batch.y * post)) + 1e-4 * float(np.sum(t ** 2))

    start = theta0[2:] if prior_only else theta0
    started = time.time()
    result = minimize(loss, start, method="Powell", options={"xtol": 1e-2, "ftol": 1e-5, "maxfev": MAXFEV})
    log(f"  HMM fitted in {time.time() - started:.0f} s, {result.nfev} evaluations: log-loss {result.fun:.4f} "
        f"(start {loss(start):.4f}), theta {np.round(full(result.x), 3).tolist()}")
    return full(result.x)


MAXFEV = 400


# ------------------------------------------------------------------ pure-Python runtimes (what the app would run)
def hmm_py(z, blank, theta):
    """forward-backward posterior log-odds per line, pure Python; theta as fit_hmm's."""
    a, c, sb, sc, sbb, scb, p0 = (float(v) for v in theta)
    s = {False: (1 / (1 + math.exp(-sb)), 1 / (1 + math.exp(-sc))),
         True: (1 / (1 + math.exp(-sbb)), 1 / (1 + math.exp(-scb)))}
    n = len(z)
    e = [a * x + c for x in z]
    fw = [0.0] * n
    prior = p0
    for i in range(n):
        d = prior + e[i]
        fw[i] = d
        if i + 1 < n:
            stay_b, stay_c = s[blank[i + 1]]
            if d > 30:
                prior = math.log(stay_b) - math.log1p(-stay_b)
            elif d < -30:
                prior = math.log1p(-stay_c) - math.log(stay_c)
            else:
                q = math.exp(d)
                prior = math.log(stay_b * q + 1 - stay_c) - math.log((1 - stay_b) * q + stay_c)
    out = [0.0] * n
    g = 0.0
    for i in range(n - 1, -1, -1):
        out[i] = fw[i] + g
        if i:
            stay_b, stay_c = s[blank[i]]
            u = e[i] + g
            if u > 30:
                g = math.log(stay_b) - math.log1p(-stay_c)
            elif u < -30:
                g = math.log1p(-stay_b) - math.log(stay_c)
            else:
                q = math.exp(u)
                g = math.log(stay_b * q + 1 - stay_b) - math.log((1 - stay_c) * q + stay_c)
    return out


def viterbi_py(z, blank, theta):
    """Viterbi max-marginal margin per line (best path with the line boilerplate minus best with it
    content), pure Python; its sign is the Viterbi path."""
    a, c, sb, sc, sbb, scb, p0 = (float(v) for v in theta)
    logs = {}
    for flag, (x, y) in ((False, (sb, sc)), (True, (sbb, scb))):
        pb, pc = 1 / (1 + math.exp(-x)), 1 / (1 + math.exp(-y))
        logs[flag] = (math.log(pb), math.log1p(-pb), math.log(pc), math.log1p(-pc))
    n = len(z)
    e = [a * x + c for x in z]
    db = [0.0] * n; dc = [0.0] * n
    if n:
        db[0] = p0 / 2 + e[0]; dc[0] = -p0 / 2
    for i in range(1, n):
        lsb, lxb, lsc, lxc = logs[blank[i]]
        pb, pc = db[i - 1], dc[i - 1]
        db[i] = e[i] + max(pb + lsb, pc + lxc)
        dc[i] = max(pb + lxb, pc + lsc)
    out = [0.0] * n
    gb = gc = 0.0
    for i in range(n - 1, -1, -1):
        out[i] = min(max((db[i] + gb) - (dc[i] + gc), -30.0), 30.0)
        if i:
            lsb, lxb, lsc, lxc = logs[blank[i]]
            gb, gc = max(lsb + e[i] + gb, lxb + gc), max(lxc + e[i] + gb, lsc + gc)
    return out


def symmetric_hmm(z, eps):
    """posterior log-odds of a symmetric 2-state HMM with switch probability eps, emissions z."""
    n = len(z)
    le, l1 = math.log(eps), math.log(1 - eps)

    def f(d):
        if d > 30:
            return l1 - le
        if d < -30:
            return le - l1
        q = math.exp(d)
        return math.log((1 - eps) * q + eps) - math.log(eps * q + 1 - eps)

    fw = [0.0] * n
    prior = 0.0
    for i in range(n):
        fw[i] = z[i] + prior
        prior = f(fw[i])
    out = [0.0] * n
    g = 0.0
    for i in range(n - 1, -1, -1):
        out[i] = fw[i] + g
        g = f(z[i] + g)
    return out


LR2_NAMES = ["z", "z-1", "z+1", "z-2", "z+2", "z-3", "z+3", "blank_before", "blank_after", "block_mean", "block_min",
             "block_max", "log_block_lines", "page_mean", "page_content_share", "position"]


def lr2_rows(z, blank, extra=()):
    """stage-2 inputs per line from the page's stage-1 logits, pure Python (+ extra per-line columns)."""
    n = len(z)
    block = []
    for i in range(n):
        block.append(block[-1] + (1 if blank[i] else 0) if i else 0)
    total, low, high, size = {}, {}, {}, {}
    for i, b in enumerate(block):
        x = z[i]
        if b in size:
            total[b] += x; size[b] += 1
            if x < low[b]:
                low[b] = x
            if x > high[b]:
                high[b] = x
        else:
            total[b] = x; size[b] = 1; low[b] = high[b] = x
    mean = sum(z) / max(n, 1)
    share = sum(1 for x in z if x < 0) / max(n, 1)
    rows = []
    for i in range(n):
        b = block[i]
        row = [z[i]]
        for o in (1, 2, 3):
            row.append(z[i - o] if i - o >= 0 else 0.0)
            row.append(z[i + o] if i + o < n else 0.0)
        row += [1.0 if blank[i] else 0.0, 1.0 if i + 1 >= n or blank[i + 1] else 0.0, total[b] / size[b], low[b],
                high[b], math.log1p(size[b]), mean, share, i / max(n - 1, 1)]
        for column in extra:
            row.append(column[i])
        rows.append(row)
    return rows


SHAPE_COLUMNS = [DENSE_NAMES.index(name) for name in ("log_words", "ends_like_sentence", "three_words_or_fewer")]


def _maxsub(values):
    best, current, start, best_start, best_end = -1e18, 0.0, 0, 0, -1
    for i, x in enumerate(values):
        if current <= 0:
            current, start = x, i
        else:
            current += x
        if current > best:
            best, best_start, best_end = current, start, i
    return best_start, best_end


def rich_extra(z, blank, shape):
    """more context of the stage-1 logits (suggest_recipe.py's): the mean of z over +-5, max/min over +-2,
    in or how far from the page's best content stretch (max-subarray of -z, -z-1), between the first and
    last confident content line; and the line's own length and punctuation, alone and times its
    neighbours' mean z (a short line between content lines is content)."""
    n = len(z)
    cs = [0.0]
    for x in z:
        cs.append(cs[-1] + x)
    zones = [_maxsub([-x - off for x in z]) for off in (0.0, 1.0)]
    confident = [i for i in range(n) if z[i] < -1.0]
    first, last = (confident[0], confident[-1]) if confident else (n, -1)
    columns = [[] for _ in range(13)]
    for i in range(n):
        lo, hi = max(i - 5, 0), min(i + 6, n)
        k = hi - lo - 1
        values = [(cs[hi] - cs[lo] - z[i]) / k if k > 0 else 0.0]
        window = z[max(i - 2, 0): i + 3]
        values += [max(window), min(window)]
        for a, b in zones:
            inside = a <= i <= b
            values += [1.0 if inside else 0.0, 0.0 if inside else math.log1p(min(abs(i - a), abs(i - b)))]
        values.append(1.0 if first <= i <= last else 0.0)
        words, sentence, short = shape[i]
        around = ((z[i - 1] if i else 0.0) + (z[i + 1] if i + 1 < n else 0.0)) / 2
        values += [words, sentence, short, words * around, sentence * around, short * around]
        for column, value in zip(columns, values):
            column.append(value)
    return columns


class LR2:
    """stage 2: a logistic regression (or, gbt, a small gradient-boosted tree ensemble) over lr2_rows
    (+ HMM posteriors when given the HMM's theta, + rich_extra when rich)."""

    def __init__(self, theta=None, rich=False, gbt=False):
        self.theta, self.rich, self.gbt = theta, rich, gbt

    def extra(self, z, blank, shape):
        columns = []
        if self.theta is not None:
            columns += [hmm_py(z, blank, self.theta), symmetric_hmm(z, 0.1), symmetric_hmm(z, 0.3)]
        if self.rich:
            columns += rich_extra(z, blank, shape)
        return columns

    def fit(self, zs, bbs, lis, ys, shapes):
        from sklearn.linear_model import LogisticRegression
        X = np.vstack([np.asarray(lr2_rows(list(z), bb, self.extra(list(z), bb, sh)))[li]
                       for z, bb, li, sh in zip(zs, bbs, lis, shapes) if len(li)])
        y = np.concatenate(ys)
        if self.gbt:
            from sklearn.ensemble import HistGradientBoostingClassifier
            g = HistGradientBoostingClassifier(max_depth=3, max_iter=GBT_TREES, learning_rate=0.1, l2_regularization=1.0,
                                               min_samples_leaf=40, random_state=0).fit(X, y)
            namespace: dict = {}
            exec(export_trees(g), namespace)
            self.f = namespace["f"]
            return self
        mu = X.mean(0); sd = X.std(0); sd[sd < 1e-6] = 1
        m = LogisticRegression(C=1.0, max_iter=5000).fit((X - mu) / sd, y)
        # the standardization folded into the weights: one dot product per line at run time
        self.w = [float(v) for v in m.coef_[0] / sd]
        self.b = float(m.intercept_[0] - np.sum(m.coef_[0] * mu / sd))
        return self

    def score(self, z, blank, shape):
        z = list(z)
        out = []
        if self.gbt:
            f = self.f
            for row in lr2_rows(z, blank, self.extra(z, blank, shape)):
                s = f(row)
                out.append(1 / (1 + math.exp(-min(max(s, -30.0), 30.0))))
            return out
        w, b = self.w, self.b
        for row in lr2_rows(z, blank, self.extra(z, blank, shape)):
            s = b
            for x, v in zip(row, w):
                s += x * v
            out.append(1 / (1 + math.exp(-min(max(s, -30.0), 30.0))))
        return out


GBT_TREES = 50


def export_trees(g):
    """a fitted HistGradientBoostingClassifier as pure-Python source: def f(x) -> raw logit
    (as suggest_recipe_stage2.export_trees)."""
    def node(nodes, k):
        nd = nodes[k]
        if nd["is_leaf"]:
            return repr(float(nd["value"]))
        return "(%s if x[%d] <= %r else %s)" % (node(nodes, nd["left"]), nd["feature_idx"], float(nd["num_threshold"]),
                                                node(nodes, nd["right"]))
    terms = [node(p[0].nodes, 0) for p in g._predictors]
    return "def f(x):\n    return %r + %s\n" % (float(g._baseline_prediction.ravel()[0]), " + ".join(terms))


class HMM:
    """the HMM with a theta fitted on the outer fold's training pages (fit: nothing more to fit)."""

    def __init__(self, theta, viterbi=False):
        self.theta, self.viterbi = theta, viterbi

    def fit(self, *args):
        return self

    def score_batch(self, zs, bbs):
        batch = Batch(zs, bbs, [np.zeros(0, int)] * len(zs), [np.zeros(0)] * len(zs))
        return [_sig(v) for v in hmm_pages(batch, self.theta, [len(z) for z in zs], self.viterbi)]

    def score(self, z, blank, shape=None):
        found = viterbi_py if self.viterbi else hmm_py
        return [1 / (1 + math.exp(-min(max(v, -30.0), 30.0))) for v in found(list(z), blank, self.theta)]


class Identity:
    def fit(self, *args):
        return self

    def score(self, z, blank, shape=None):
        return [1 / (1 + math.exp(-min(max(v, -30.0), 30.0))) for v in z]


def score_pages(smoother, zs, bbs, shapes):
    if hasattr(smoother, "score_batch"):
        return smoother.score_batch(zs, bbs)
    return [np.asarray(smoother.score(z, bb, sh)) for z, bb, sh in zip(zs, bbs, shapes)]


# ------------------------------------------------------------------ evaluation
# name -> (smoother factory given the fold's HMM thetas, refit on inner folds for the threshold?)
CANDIDATES = {
    "shipped": (lambda th: Identity(), False),
    "hmm-prior": (lambda th: HMM(th["prior"]), False),
    "hmm": (lambda th: HMM(th["full"]), False),
    "viterbi": (lambda th: HMM(th["full"], viterbi=True), False),
    "lr2": (lambda th: LR2(), True),
    "lr2+hmm": (lambda th: LR2(th["full"]), True),
    "lr2-rich": (lambda th: LR2(th["full"], rich=True), True),
    "gbt-rich": (lambda th: LR2(th["full"], rich=True, gbt=True), True),
}


def thetas(data, fold, cache):
    """the HMMs (7 and 5 free parameters) fitted on the fold's training pages' out-of-fold logits, once."""
    key = fold["index"]
    if key not in cache:
        train = fold["train"]
        args = ([fold["z_oof"][i] for i in train], [data[i]["bb"] for i in train], [data[i]["li"] for i in train],
                [data[i]["y"] for i in train])
        batch = Batch(*args)
        cache[key] = {"full": fit_hmm(batch), "prior": fit_hmm(batch, prior_only=True)}
        if THETA_CACHE:
            THETA_CACHE.write_bytes(pickle.dumps(cache))
    return cache[key]


THETA_CACHE: Path | None = None


def evaluate(name, data, folds, theta_cache):
    """HMM candidates (a handful of parameters) take their threshold from their own scores of the training
    pages' out-of-fold logits; stage-2 regressions from an inner 4-fold CV over the training pages."""
    make, inner_cv = CANDIDATES[name]
    labels, scores, thresholds, per_fold = [], [], [], []
    started = time.time()
    last = None
    for fold in folds:
        train, test = fold["train"], fold["test"]
        Z = fold["z_oof"]
        th = thetas(data, fold, theta_cache) if name != "shipped" and name != "lr2" else {}

        def args(pages):
            return ([Z[i] for i in pages], [data[i]["bb"] for i in pages], [data[i]["li"] for i in pages],
                    [data[i]["y"] for i in pages], [data[i]["shape"] for i in pages])

        if name == "shipped":
            s = [1 / (1 + np.exp(-Z[i][data[i]["li"]])) for i in train]
            t = pick(np.concatenate([data[i]["y"] for i in train]), np.concatenate(s), BENCH_GRID)  # = choose_threshold
        else:
            ys, ss = [], []
            splits = ([([i for n, i in enumerate(train) if n % INNER != j], [i for n, i in enumerate(train) if n % INNER == j])
                       for j in range(INNER)] if inner_cv else [(train, train)])
            for a, b in splits:
                sm = make(th).fit(*args(a))
                out = score_pages(sm, [Z[i] for i in b], [data[i]["bb"] for i in b], [data[i]["shape"] for i in b])
                ys += [data[i]["y"] for i in b]; ss += [o[data[i]["li"]] for o, i in zip(out, b)]
            t = pick(np.concatenate(ys), np.concatenate(ss), FINE_GRID)
        sm = make(th).fit(*args(train))
        last = (sm, fold)
        out = score_pages(sm, [fold["z_test"][i] for i in test], [data[i]["bb"] for i in test],
                          [data[i]["shape"] for i in test])
        fs = np.concatenate([np.asarray(o)[data[i]["li"]] for o, i in zip(out, test)])
        labels.append(np.concatenate([data[i]["y"] for i in test])); scores.append(fs); thresholds.append(t)
        per_fold.append(fs >= t)
    y = np.concatenate(labels).tolist(); s = np.concatenate(scores).tolist()
    threshold = round(sum(thresholds) / len(thresholds), 2)  # as bench_suggest
    at = line_scores(y, s, threshold)
    pred = np.concatenate(per_fold); yy = np.array(y)  # each fold at its own threshold
    tn = int((~pred & (yy == 0)).sum()); fn = int((~pred & (yy == 1)).sum()); fp = int((pred & (yy == 0)).sum())
    tp = int((pred & (yy == 1)).sum())
    cp, cr = tn / max(tn + fn, 1), tn / max(tn + fp, 1)
    best = best_at_precision(y, s, TARGET)
    fine = {"content_f": 0.0}
    for t in FINE_GRID:
        f = line_scores(y, s, float(t))
        if f["boilerplate_precision"] >= TARGET and f["content_f"] > fine["content_f"]:
            fine = {"threshold": float(t), **f}
    row = {"name": name, "threshold": threshold, "fold_thresholds": [round(t, 3) for t in thresholds],
           "content_f": at["content_f"], "content_p": at["content_precision"], "content_r": at["content_recall"],
           "bp": at["boilerplate_precision"], "br": at["boilerplate_recall"],
           "per_fold_threshold_content_f": round(2 * cp * cr / max(cp + cr, 1e-9), 4),
           "per_fold_threshold_bp": round(tp / max(tp + fp, 1), 4),
           "best_f_bench_grid": best["content_f"], "best_f_bench_t": best["threshold"],
           "best_f_fine_grid": fine["content_f"], "best_f_fine_t": fine.get("threshold"),
           "seconds": round(time.time() - started)}
    row["us_per_line"] = speed(last, data) if name != "shipped" else 0.0
    log(f"{row}")
    return row


def speed(last, data):
    """extra pure-Python µs per line of the smoother over given stage-1 logits (all lines of 100 held-out pages)."""
    sm, fold = last
    pages = fold["test"][:100]
    zs = [[float(v) for v in fold["z_test"][i]] for i in pages]
    bbs = [data[i]["bb"] for i in pages]
    shapes = [data[i]["shape"] for i in pages]
    lines = sum(len(z) for z in zs)
    best = 1e9
    for _ in range(3):
        started = time.perf_counter()
        for z, bb, sh in zip(zs, bbs, shapes):
            sm.score(z, bb, sh)
        best = min(best, time.perf_counter() - started)
    if hasattr(sm, "score_batch"):  # the pure Python the app would run agrees with the numpy evaluated
        ref = sm.score_batch([np.array(z) for z in zs[:30]], bbs[:30])
        diff = max((float(np.max(np.abs(np.array(sm.score(z, bb)) - r))) for z, bb, r in zip(zs, bbs, ref) if len(z)),
                   default=0.0)
        log(f"  max |pure Python - numpy| = {diff:.2e}")
    return round(best / lines * 1e6, 2)


def log(message):
    print(message, file=sys.stderr, flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, help="pickle of features and stage-1 logits (written when missing)")
    parser.add_argument("--only", nargs="*", help="candidate names to run")
    args = parser.parse_args(argv)
    started = time.time()
    if args.cache and args.cache.exists():
        data, folds = pickle.loads(args.cache.read_bytes())
    else:
        data = load(None)
        log(f"features: {sum(len(P['bb']) for P in data):,} lines in {time.time() - started:.0f} s")
        folds = stage1(data)
        if args.cache:
            for P in data:
                P["page"] = P["page"].__class__(P["page"].path, "", [], P["page"].labels)  # keep the pickle small
            args.cache.write_bytes(pickle.dumps((data, folds)))
    for P in data:  # the page's own lines are no longer needed, but for rich_extra's shape columns
        P["shape"] = P["D"][:, SHAPE_COLUMNS].tolist() if len(P["D"]) else []
        P.pop("D", None); P.pop("T", None)
    for index, fold in enumerate(folds):
        fold["index"] = index
    global THETA_CACHE
    theta_cache: dict = {}
    if args.cache:
        THETA_CACHE = args.cache.with_suffix(".thetas.pkl")
        if THETA_CACHE.exists():
            theta_cache = pickle.loads(THETA_CACHE.read_bytes())
    rows = [evaluate(name, data, folds, theta_cache) for name in CANDIDATES if not args.only or name in args.only]
    print(f"{'candidate':<10} {'thr':>6} {'content F':>9} {'P':>6} {'R':>6} {'bP':>6} {'bR':>6} "
          f"{'F(fold t)':>9} {'bP':>6} {'best F bP>=.95':>14} {'fine':>6} {'µs/line':>8}")
    for r in rows:
        print(f"{r['name']:<10} {r['threshold']:>6} {r['content_f']:>9} {r['content_p']:>6} {r['content_r']:>6} "
              f"{r['bp']:>6} {r['br']:>6} {r['per_fold_threshold_content_f']:>9} {r['per_fold_threshold_bp']:>6} "
              f"{r['best_f_bench_grid']:>14} {r['best_f_fine_grid']:>6} {r['us_per_line']:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
