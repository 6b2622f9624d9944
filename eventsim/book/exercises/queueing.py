"""Chapter 02, SimPy on a single log: one and several request-handler threads as queues.

Solvers: the queueing formulas the chapter checks its simulations against (M/M/1, M/M/c with Erlang C,
M/D/1 with Pollaczek-Khinchine). Tolerances are wide enough that a simulated mean of 50,000 requests,
as the chapter computes it, usually passes too.
"""

from __future__ import annotations

from math import factorial

from eventsim.book.registry import Exercise, Param, Range, Tolerance, register

CHAPTER = "02_simpy_single_log"


def erlang_c(c: int, a: float) -> float:
    """Probability that a request must wait in an M/M/c queue with offered load ``a = lambda/mu``."""
    top = a**c / factorial(c) * c / (c - a)
    return top / (sum(a**k / factorial(k) for k in range(c)) + top)


def _mm1(p) -> float:
    mu = 1.0 / p.service_ms
    return 1.0 / (mu - p.utilisation * mu)


def _mmc(p) -> float:
    mu = 1.0 / p.service_ms
    lam = p.utilisation * p.threads * mu
    return 1.0 / mu + erlang_c(p.threads, lam / mu) / (p.threads * mu - lam)


def _md1(p) -> float:
    mu = 1.0 / p.service_ms
    return 1.0 / mu + p.utilisation / (2 * mu * (1 - p.utilisation))


_SERVICE = Param(1.0, Range(0.5, 2.0, 0.1), "ms", "mean service time of one request (1/mu)")

register(
    Exercise(
        key="queueing.mm1-time-in-system",
        title="One handler thread: the M/M/1 queue",
        chapter=CHAPTER,
        source="section: one request-handler thread",
        question=(
            "One handler thread serves requests in {service_ms} ms on average (exponential), and requests "
            "arrive as a Poisson stream that keeps it busy {utilisation} of the time. What is the mean time "
            "a request spends in the system (waiting plus service)?"
        ),
        params={
            "service_ms": _SERVICE,
            "utilisation": Param(0.9, Range(0.5, 0.85, 0.05), "", "rho = lambda / mu"),
        },
        solve=_mm1,
        tolerance=Tolerance(rel=0.1),
        hint="W = 1 / (mu - lambda) = (1/mu) / (1 - rho); mu is per ms, 1 / service_ms.",
        unit="ms",
    ),
    Exercise(
        key="queueing.mmc-time-in-system",
        title="Several handler threads: the M/M/c queue",
        chapter=CHAPTER,
        source="Exercise 2",
        question=(
            "A broker has {threads} handler threads, each serving a request in {service_ms} ms on average "
            "(exponential), and requests keep them busy {utilisation} of the time. What is the mean time a "
            "request spends in the system?"
        ),
        params={
            "threads": Param(8, Range(2, 16, 1), "threads", "num.io.threads"),
            "service_ms": _SERVICE,
            "utilisation": Param(0.9, Range(0.7, 0.9, 0.05), "", "rho = lambda / (c mu)"),
        },
        solve=_mmc,
        tolerance=Tolerance(rel=0.1),
        hint="W = 1/mu + C(c, a) / (c mu - lambda), a = lambda / mu, C the Erlang C probability of waiting.",
        unit="ms",
    ),
    Exercise(
        key="queueing.md1-time-in-system",
        title="Constant service times: the M/D/1 queue",
        chapter=CHAPTER,
        source="Exercise 3",
        question=(
            "One thread serves every request in exactly {service_ms} ms, and Poisson arrivals keep it busy "
            "{utilisation} of the time. What is the mean time a request spends in the system?"
        ),
        params={
            "service_ms": _SERVICE,
            "utilisation": Param(0.9, Range(0.5, 0.85, 0.05), "", "rho = lambda / mu"),
        },
        solve=_md1,
        tolerance=Tolerance(rel=0.1),
        hint="Pollaczek-Khinchine: W = 1/mu + rho / (2 mu (1 - rho)); the waiting part is half of M/M/1's.",
        unit="ms",
    ),
)
