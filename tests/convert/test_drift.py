"""The accuracy gate: top-1 agreement on decisive samples, near-ties reported but not counted."""

from __future__ import annotations

import numpy as np
import pytest

from modelport.convert.drift import DriftExceeded, compare


def scores(*rows: tuple[float, float, float]) -> np.ndarray:
    return np.array(rows, dtype=np.float64)


# two near-ties (leads 0.02 and 0.06) and three decisive samples (leads 0.8, 0.5, 0.3)
BEFORE = scores(
    (0.50, 0.48, 0.02), (0.47, 0.41, 0.12), (0.9, 0.1, 0.0), (0.7, 0.2, 0.1), (0.1, 0.6, 0.3)
)


def test_near_tie_flips_are_reported_but_pass_the_gate() -> None:
    after = BEFORE.copy()
    after[0] = (0.48, 0.50, 0.02)
    after[1] = (0.40, 0.48, 0.12)
    drift = compare([BEFORE], [after])
    assert drift.top1_agreement == pytest.approx(3 / 5)
    assert (drift.near_tie, drift.decisive_samples, drift.decisive_agreement) == (0.1, 3, 1.0)
    drift.check(None, 0.99)  # no exception: every decisive sample agrees


def test_a_decisive_flip_is_refused_with_what_was_counted() -> None:
    after = BEFORE.copy()
    after[4] = (0.1, 0.3, 0.6)  # the original led by 0.3
    drift = compare([BEFORE], [after])
    assert drift.decisive_agreement == pytest.approx(2 / 3)
    with pytest.raises(DriftExceeded) as refused:
        drift.check(None, 0.99)
    assert refused.value.message == (
        "refused: top-1 agreement 66.67% on the 3 decisive samples < --min-agreement 0.99"
        " (nothing written)"
    )


def test_near_tie_zero_counts_every_sample() -> None:
    after = BEFORE.copy()
    after[0] = (0.48, 0.50, 0.02)
    drift = compare([BEFORE], [after], near_tie=0.0)
    assert drift.decisive_samples == 5
    assert drift.decisive_agreement == drift.top1_agreement == pytest.approx(4 / 5)
    with pytest.raises(DriftExceeded, match=r"80\.00% on the 5 decisive samples"):
        drift.check(None, 0.99)


def test_without_decisive_samples_the_gate_counts_all() -> None:
    before = scores((0.34, 0.33, 0.33), (0.35, 0.34, 0.31))
    after = scores((0.33, 0.34, 0.33), (0.35, 0.34, 0.31))
    drift = compare([before], [after])
    assert drift.decisive_samples == 0 and drift.decisive_agreement is None
    with pytest.raises(DriftExceeded, match=r"50\.00% on all 2 samples"):
        drift.check(None, 0.99)


def test_logits_are_ranked_as_probabilities() -> None:
    """Scores that are not probabilities get a softmax first: logits 2.0 and 1.9 are a
    near-tie (a lead of 0.05 in probability), 5.0 and 1.0 are not."""
    before = scores((2.0, 1.9, -10.0), (5.0, 1.0, 0.0))
    drift = compare([before], [before[:, [1, 0, 2]]])
    assert drift.top1_agreement == 0.0
    assert drift.decisive_samples == 1 and drift.decisive_agreement == 0.0


def test_outputs_that_are_not_scores_have_no_agreement() -> None:
    drift = compare([np.array([1.0, 2.0])], [np.array([1.0, 2.5])])
    assert drift.top1_agreement is None and drift.decisive_samples is None
    assert drift.to_json()["decisive_agreement"] is None


def test_docstring_examples() -> None:
    import doctest

    import modelport.convert.drift

    failed, tried = doctest.testmod(modelport.convert.drift)
    assert failed == 0 and tried >= 3
