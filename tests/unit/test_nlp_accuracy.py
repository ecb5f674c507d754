"""Understanding meets its targets on the labelled messages, tuned-on and held-back alike."""

from __future__ import annotations

import pytest

from bench.nlp_accuracy import Report, evaluate, load_cases
from dialogs.understanding import build_interpreter
from services.catalogue import shipped_service_names

TARGETS = {"top1": 0.92, "top3": 0.98, "intent": 0.92, "place": 0.90}
MOST_SPURIOUS_PLACES = 0.03  # of the messages that name no place


@pytest.fixture(scope="module")
def report() -> Report:
    return evaluate(build_interpreter(shipped_service_names()), load_cases())


def test_the_evaluation_set_covers_every_service_and_kind_of_noise() -> None:
    cases = load_cases()
    assert len(cases) >= 400
    services = {case["service"] for case in cases if case["service"]}
    assert services == {name.key for name in shipped_service_names()}
    noises = {noise for case in cases for noise in case["noise"]}
    assert {"arabic_letters", "half_space", "digits", "repeated_letters", "typo"} <= noises
    assert {"colloquial", "finglish", "english", "place"} <= noises
    assert {case["split"] for case in cases} == {"dev", "heldout"}


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_accuracy_meets_the_targets(report: Report, split: str) -> None:
    rates = report.overall[split].rates()
    for measure, target in TARGETS.items():
        assert rates[measure] >= target, (split, measure, rates, report.misses[:20])
    assert rates["spurious"] <= MOST_SPURIOUS_PLACES, (split, rates, report.misses[:20])
