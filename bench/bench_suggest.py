"""Benchmark boilerplate suggestions (issue 12) on ``../shared/boilerplate-dev``, cross-validated.

    pip install scikit-learn
    python bench/bench_suggest.py [--folds 5] [--json]

The pages are split into folds (by page: every page of the set is a different site or
article); the model (``train_suggest.fit``) is fitted on the other folds and scores the
held-out pages' labelled lines, as the app would score a corpus it has never seen. Printed:
boilerplate precision and recall and content precision, recall and F at the model's
threshold, and the best content F at any threshold with boilerplate precision ≥ 0.95.

Targets (the issue's): cold start content F ≥ 0.85 with boilerplate precision ≥ 0.95.
Exit status 1 when one is missed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scan import judge, print_rows  # noqa: E402
from suggest_data import load_pages  # noqa: E402
from train_suggest import fit  # noqa: E402

from corpus_tui.core.suggest.model import parse_model  # noqa: E402


def line_scores(labels: list[int], scores: list[float], threshold: float) -> dict[str, float]:
    """Precision, recall and F of both classes: boilerplate is a score at or above ``threshold``."""
    figures = {}
    for name, positive in (("boilerplate", 1), ("content", 0)):
        predicted = [(score >= threshold) == (positive == 1) for score in scores]
        actual = [label == positive for label in labels]
        hits = sum(p and a for p, a in zip(predicted, actual))
        precision = hits / max(sum(predicted), 1)
        recall = hits / max(sum(actual), 1)
        figures[f"{name}_precision"] = round(precision, 4)
        figures[f"{name}_recall"] = round(recall, 4)
        figures[f"{name}_f"] = round(2 * precision * recall / max(precision + recall, 1e-9), 4)
    return figures


def cross_validate(folds: int) -> tuple[list[int], list[float], float]:
    pages = load_pages()
    labels: list[int] = []
    scores: list[float] = []
    for fold in range(folds):
        held_out = pages[fold::folds]
        model = parse_model(fit([page for index, page in enumerate(pages) if index % folds != fold]))
        for page in held_out:
            for index, label in page.labels.items():
                labels.append(label)
                scores.append(model.score(page.lines[index]))
    return labels, scores, model.threshold


def best_at_precision(labels: list[int], scores: list[float], precision: float) -> dict[str, float]:
    best: dict[str, float] = {"threshold": 1.0, "content_f": 0.0}
    for step in range(50, 100):
        threshold = step / 100
        figures = line_scores(labels, scores, threshold)
        if figures["boilerplate_precision"] >= precision and figures["content_f"] > best["content_f"]:
            best = {"threshold": threshold, **figures}
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    labels, scores, threshold = cross_validate(args.folds)
    figures: dict[str, Any] = {"lines": len(labels), "threshold": threshold,
                               **line_scores(labels, scores, threshold),
                               "best_at_precision_095": best_at_precision(labels, scores, 0.95)}
    targets = {"cold_content_f": figures["content_f"] >= 0.85,
               "cold_boilerplate_precision": figures["boilerplate_precision"] >= 0.95}

    def table(figures: dict[str, Any]) -> None:
        ok = lambda name: "PASS" if figures["targets"][name] else "FAIL"  # noqa: E731
        best = figures["best_at_precision_095"]
        print(f"{figures['lines']:,} labelled lines, {args.folds}-fold cross-validation, threshold {figures['threshold']}")
        print_rows([
            ("cold start content F", str(figures["content_f"]),
             f"P {figures['content_precision']} R {figures['content_recall']}, target ≥ 0.85", ok("cold_content_f")),
            ("boilerplate precision", str(figures["boilerplate_precision"]),
             f"recall {figures['boilerplate_recall']}, target ≥ 0.95", ok("cold_boilerplate_precision")),
            ("best with P ≥ 0.95", f"content F {best['content_f']}", f"at threshold {best['threshold']}", "-"),
        ], figures["passed"])

    return judge(figures, targets, args.json, table)


if __name__ == "__main__":
    sys.exit(main())
