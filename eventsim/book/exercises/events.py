"""Chapter 01, events and event-driven architecture: a consumer that cannot keep up, or starts late.

Solvers: the closed forms of the chapter's back-of-the-envelope check, and one short run of the
quickstart scenario (10 simulated seconds, about 0.2 s).
"""

from __future__ import annotations

from eventsim.book.registry import SEED, Exercise, Param, Range, Tolerance, register

CHAPTER = "01_events"


def _latency_growth(p) -> float:
    service_rate = 1000.0 / p.processing_ms  # records/s the application can handle
    return (1.0 - service_rate / p.rate_per_s) * 1000.0  # ms of end-to-end latency per second of run


def _keep_up_limit(p) -> float:
    return 1000.0 / p.rate_per_s


def _late_consumer_missed(p) -> float:
    import eventsim

    quickstart = eventsim.Scenario.load("quickstart")
    producer = {**quickstart.producers[0].to_dict(), "rate_per_s": p.rate_per_s}
    late = quickstart.replace(
        producers=[producer],
        consumers=[
            {
                "name": "reader",
                "topic": "events",
                "start_ms": p.start_ms,
                "config": {"auto.offset.reset": "latest"},
            }
        ],
    )
    stats = eventsim.simulate(late, seed=SEED).stats
    return float(stats["records_produced"] - stats["records_consumed"])


register(
    Exercise(
        key="events.latency-growth-rate",
        title="How fast does a slow consumer fall behind?",
        chapter=CHAPTER,
        source="Check: how fast does it fall behind?",
        question=(
            "Records arrive at {rate_per_s} records/s and the application spends {processing_ms} ms on each. "
            "By how many milliseconds does the end-to-end latency grow per second of running?"
        ),
        params={
            "rate_per_s": Param(1000, Range(1000, 1500, 100), "records/s", "the producer's rate_per_s"),
            "processing_ms": Param(
                1.2, Range(1.2, 1.8, 0.1), "ms", "the consumer's processing_ms per record"
            ),
        },
        solve=_latency_growth,
        tolerance=Tolerance(rel=0.15),
        hint="a record handed over at time T is number mu*T in the sequence, created at about mu*T/lambda; "
        "mu = 1000 / processing_ms.",
        unit="ms per s",
    ),
    Exercise(
        key="events.keep-up-processing-ms",
        title="Where is the limit?",
        chapter=CHAPTER,
        source="Exercise 2",
        question=(
            "A producer writes {rate_per_s} records/s. What is the largest `processing_ms` per record with "
            "which one consumer still keeps up on average?"
        ),
        params={"rate_per_s": Param(1000, Range(500, 2500, 100), "records/s", "the producer's rate_per_s")},
        solve=_keep_up_limit,
        tolerance=Tolerance(rel=0.02),
        hint="the consumer is busy rate_per_s x processing_ms / 1000 of the time; that must stay below 1.",
        unit="ms",
    ),
    Exercise(
        key="events.late-consumer-missed",
        title="A consumer that starts late",
        chapter=CHAPTER,
        source="Exercise 1",
        question=(
            "Run the quickstart scenario with the producer at {rate_per_s} records/s and the consumer "
            "starting at `start_ms: {start_ms_raw}` with `auto.offset.reset: latest` (seed `SEED`). How many "
            "records does the consumer never see?"
        ),
        params={
            "rate_per_s": Param(1000, Range(500, 2000, 100), "records/s", "the producer's rate_per_s"),
            "start_ms": Param(4000, Range(2000, 7000, 500), "ms", "the consumer's start_ms"),
        },
        solve=_late_consumer_missed,
        tolerance=Tolerance(rel=0.08),
        hint="with latest the consumer starts at the log end offset when it joins; everything appended "
             "before is skipped. records_produced - records_consumed in result.stats counts them (rate x "
             "start time is a good estimate).",
        unit="records",
        solver="simulation",
    ),
)
