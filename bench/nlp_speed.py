"""Cost of understanding: building the hazm Normalizer and the Interpreter once, and the
time to understand one message (median, p99) over the labelled citizen messages.

    python -m bench.nlp_speed [--rounds 20]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

from bench.nlp_accuracy import TODAY, load_cases
from dialogs.understanding import build_interpreter
from services.catalogue import shipped_service_names


def rss_mib() -> float:
    """Resident memory now, from /proc (ru_maxrss is only the peak)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20, help="passes over the message set")
    args = parser.parse_args()
    texts = [case["text"] for case in load_cases()]
    names = shipped_service_names()

    before = rss_mib()
    started = time.perf_counter()
    from nlp.normalize import shared_normalizer

    shared_normalizer()
    normalizer_seconds = time.perf_counter() - started
    after_normalizer = rss_mib()
    started = time.perf_counter()
    interpreter = build_interpreter(names)
    interpreter_seconds = time.perf_counter() - started
    after_interpreter = rss_mib()

    first_pass = []
    for text in texts:
        started = time.perf_counter()
        interpreter.understand(text, TODAY)
        first_pass.append(time.perf_counter() - started)
    timings = []
    for _ in range(args.rounds):
        for text in texts:
            started = time.perf_counter()
            interpreter.understand(text, TODAY)
            timings.append(time.perf_counter() - started)
    timings.sort()

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.3f} ms"

    print(
        f"hazm import + Normalizer build: {normalizer_seconds:.2f} s, "
        f"+{after_normalizer - before:.0f} MiB"
    )
    print(
        f"Interpreter build ({len(names)} services, every alias and place normalized): "
        f"{interpreter_seconds:.2f} s, +{after_interpreter - after_normalizer:.0f} MiB"
    )
    print(
        f"understand, first sight of each message (n={len(first_pass)}): "
        f"median {ms(statistics.median(first_pass))}, "
        f"p99 {ms(sorted(first_pass)[int(0.99 * len(first_pass))])}"
    )
    print(
        f"understand, steady state (n={len(timings)}): median {ms(statistics.median(timings))}, "
        f"p99 {ms(timings[int(0.99 * len(timings))])}"
    )
    print("target: median ≤ 0.3 ms per message")


if __name__ == "__main__":
    main()
