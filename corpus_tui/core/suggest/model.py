"""The shipped suggestion model: logistic regression weights over ``features``, read from
``model.json`` (written by ``bench/train_suggest.py``; nothing is downloaded at run time).

``LineModel.score`` is a dot product and a logistic: ~10 µs a line in pure Python.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .features import DENSE_NAMES, TOKEN_BUCKETS, LineFeatures

MODEL_PATH = Path(__file__).with_name("model.json")
DEFAULT_THRESHOLD = 0.5  # when the model file names none


@dataclass(frozen=True)
class LineModel:
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    dense_weights: tuple[float, ...]
    token_weights: tuple[float, ...]
    bias: float
    threshold: float  # scores at or above it are suggested

    def score(self, line: LineFeatures) -> float:
        total = self.bias
        for value, mean, scale, weight in zip(line.dense, self.mean, self.scale, self.dense_weights):
            total += (value - mean) / scale * weight
        token_weights = self.token_weights
        for bucket in set(line.tokens):
            total += token_weights[bucket]
        return _logistic(total)


def _logistic(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    exp = math.exp(value)
    return exp / (1.0 + exp)


def parse_model(data: dict) -> LineModel:  # type: ignore[type-arg]
    """A model from its JSON form; ValueError when it does not fit these features."""
    if data.get("format") != 1 or list(data.get("dense_names", [])) != list(DENSE_NAMES):
        raise ValueError("the suggestion model was trained on other features: run bench/train_suggest.py")
    if len(data["token_weights"]) != TOKEN_BUCKETS:
        raise ValueError("the suggestion model has the wrong number of word buckets")
    return LineModel(tuple(data["mean"]), tuple(data["scale"]), tuple(data["dense_weights"]),
                     tuple(data["token_weights"]), float(data["bias"]),
                     float(data.get("threshold", DEFAULT_THRESHOLD)))


@cache
def shipped_model() -> LineModel:
    return parse_model(json.loads(MODEL_PATH.read_text(encoding="utf-8")))
