"""Chapter 10, losing data: how many acknowledged records a failure loses.

Solvers: short runs of the chapter's failure presets with the book's seed, read with the checker
(``Result.check()["lost"]``). The unclean election has a rule that gives nearly the same number without a
run: everything acknowledged after the stale replica (broker 2) crashed and before the lone leader
(broker 0) crashed is lost, about the producer's rate times that time. The zombie leader has none: it
loses the records of the requests that were waiting for it when it woke, which a run counts.
"""

from __future__ import annotations

from eventsim.book.registry import SEED, Exercise, Param, Range, Tolerance, register

CHAPTER = "10_losing_data"
LONE_LEADER_CRASH_MS = 2000  # failure-unclean-election: broker 0, the last of the ISR, crashes here


def unclean_scenario(p):
    """``failure-unclean-election`` with the producer at ``p.rate_per_s`` and broker 2's crash at
    ``p.first_crash_ms`` (broker 1 at 1.5 s, broker 0 at 2 s and broker 2's return at 2.5 s unchanged)."""
    import eventsim

    return eventsim.Scenario.load("failure-unclean-election").with_(
        {"producers[0].rate_per_s": p.rate_per_s, "faults[0].at_ms": p.first_crash_ms}
    )


def _unclean_lost(p) -> float:
    import eventsim

    return float(eventsim.simulate(unclean_scenario(p), seed=SEED).check()["lost"])


def zombie_scenario(p):
    """``failure-zombie-leader`` (``acks=1``) with the producer at ``p.rate_per_s`` and broker 0's pause
    lasting ``p.pause_ms``."""
    import eventsim

    return eventsim.Scenario.load("failure-zombie-leader").with_(
        {"producers[0].rate_per_s": p.rate_per_s, "faults[0].duration_ms": p.pause_ms}
    )


def _zombie_lost(p) -> float:
    import eventsim

    return float(eventsim.simulate(zombie_scenario(p), seed=SEED).check()["lost"])


register(
    Exercise(
        key="failover.unclean-lost-records",
        title="What an unclean election loses",
        chapter=CHAPTER,
        source="Exercise 1",
        question=(
            "In `failure-unclean-election` the producer writes {rate_per_s} records/s with `acks=all` to a "
            "partition on brokers 0 (the leader), 1 and 2, with `min.insync.replicas=1` and unclean leader "
            "election on. Broker 2 crashes at {first_crash_ms_raw} ms, broker 1 at 1500 ms, broker 0 at "
            "2000 ms, and broker 2 comes back alone at 2500 ms and is elected. How many **acknowledged** "
            "records are lost (the checker's `lost`)?"
        ),
        params={
            "rate_per_s": Param(3000, Range(1000, 5000, 500), "records/s"),
            "first_crash_ms": Param(500, Range(200, 1200, 100), "ms", "when broker 2 crashes"),
        },
        solve=_unclean_lost,
        tolerance=Tolerance(rel=0.06),
        hint="broker 2 has everything written before it crashed and nothing after; with "
        "min.insync.replicas=1 the leader goes on acknowledging alone until it crashes itself: the rate "
        "times the time between the two crashes, or run unclean_scenario(p) and read check()['lost'].",
        unit="records",
        solver="simulation",
        answer="integer",
    ),
    Exercise(
        key="failover.zombie-lost-records",
        title="How many records does the zombie lose?",
        chapter=CHAPTER,
        source="Exercise 2",
        question=(
            "In `failure-zombie-leader` the producer writes {rate_per_s} records/s with `acks=1`; broker 0, "
            "the leader of `events-0`, pauses at 1050 ms for {pause_ms_raw} ms, longer than the session "
            "timeout (400 ms), and wakes as a zombie. How many acknowledged records are lost "
            "(the checker's `lost`)?"
        ),
        params={
            "rate_per_s": Param(3000, Range(2000, 6000, 500), "records/s"),
            "pause_ms": Param(1500, Range(600, 2000, 100), "ms", "the pause's duration_ms"),
        },
        solve=_zombie_lost,
        tolerance=Tolerance(abs=1, rel=0.05),
        hint="only the produce requests waiting in the zombie's socket when it wakes are acknowledged by it "
        "and truncated afterwards, so the pause's length hardly matters and the batch sizes do; run "
        "zombie_scenario(p) and read check()['lost'].",
        unit="records",
        solver="simulation",
        answer="integer",
    ),
)
