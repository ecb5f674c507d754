"""Accuracy of understanding on the labelled citizen messages in tests/data/nlp_eval.jsonl.

Prints service top-1 and top-3 accuracy, intent accuracy, place accuracy and the share of
messages naming no place that were given one anyway, overall and per kind of noise, for the
dev part (tuned on) and the held-back part (never tuned on).

    python -m bench.nlp_accuracy [--misses]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialogs.understanding import build_interpreter
from nlp.understand import Interpreter, Understanding
from services.catalogue import shipped_service_names

EVAL_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "nlp_eval.jsonl"
TODAY = dt.date(2026, 11, 25)


@dataclass
class Tally:
    messages: int = 0
    with_service: int = 0
    top1: int = 0
    top3: int = 0
    intent: int = 0
    with_place: int = 0
    place: int = 0
    spurious_place: int = 0  # a place found in a message that names none

    def add(self, case: dict[str, Any], result: Understanding) -> None:
        self.messages += 1
        self.intent += result.intent.value == case["intent"]
        if case["service"]:
            self.with_service += 1
            self.top1 += result.candidates(1) == [case["service"]]
            self.top3 += case["service"] in result.candidates(3)
        if case.get("place"):
            self.with_place += 1
            self.place += place_matches(case["place"], result)
        else:
            self.spurious_place += result.place is not None

    def rates(self) -> dict[str, float]:
        def share(part: int, whole: int) -> float:
            return part / whole if whole else 1.0

        return {
            "top1": share(self.top1, self.with_service),
            "top3": share(self.top3, self.with_service),
            "intent": share(self.intent, self.messages),
            "place": share(self.place, self.with_place),
            "spurious": self.spurious_place / max(1, self.messages - self.with_place),
        }


@dataclass
class Report:
    overall: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_noise: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    misses: list[str] = field(default_factory=list)


def place_matches(expected: dict[str, Any], result: Understanding) -> bool:
    found = result.place
    if found is None:
        return False
    return all(getattr(found, name) == value for name, value in expected.items() if value)


def load_cases(path: Path = EVAL_SET) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def evaluate(interpreter: Interpreter, cases: list[dict[str, Any]]) -> Report:
    report = Report()
    for case in cases:
        result = interpreter.understand(case["text"], TODAY)
        split = case["split"]
        report.overall[split].add(case, result)
        for noise in case["noise"]:
            report.by_noise[(split, noise)].add(case, result)
        wrong_service = case["service"] and result.candidates(1) != [case["service"]]
        wrong_place = (
            not place_matches(case["place"], result)
            if case.get("place")
            else result.place is not None
        )
        if wrong_service or result.intent.value != case["intent"] or wrong_place:
            report.misses.append(
                f"[{split}] {case['text']!r}: expected {case['intent']}/{case['service']}, "
                f"got {result.intent.value}/{[(m.key, m.score) for m in result.services[:3]]}"
                + (f", place {case.get('place')} got {result.place}" if wrong_place else "")
            )
    return report


def _line(name: str, tally: Tally) -> str:
    r = tally.rates()
    return (
        f"{name:24s} n={tally.messages:4d}  service top-1 {r['top1']:6.1%}  "
        f"top-3 {r['top3']:6.1%}  intent {r['intent']:6.1%}  place {r['place']:6.1%}  "
        f"spurious {r['spurious']:5.1%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--misses", action="store_true", help="list every wrong answer")
    args = parser.parse_args()
    report = evaluate(build_interpreter(shipped_service_names()), load_cases())
    for split in ("dev", "heldout"):
        print(_line(f"{split}: all", report.overall[split]))
        for (noise_split, noise), tally in sorted(report.by_noise.items()):
            if noise_split == split:
                print(_line(f"  {noise}", tally))
    print("targets: service top-1 ≥ 92%, top-3 ≥ 98%, intent ≥ 92%, place ≥ 90%, spurious ≤ 3%")
    if args.misses:
        print("\n".join(report.misses))


if __name__ == "__main__":
    main()
