"""The checker: what happened to every record, counted from the records' history, not from the brokers.

What is counted (``Result.check()``, for a run with ``metrics.check: true``), in the spirit of Jepsen's
Kafka analyses:

* ``acked``: distinct records whose producer was told they were written (for ``acks=0``: sent);
* ``lost``: acknowledged records that the log of their partition's leader at the end of the run does not
  hold (the last leader's, for a partition left without one) -- after recovery, no consumer can read them;
* ``duplicate``: extra copies of records in those logs (a record appended at more than one offset, as a
  retry without idempotence does); the summary's ``records_consumed_duplicate`` also counts a consumer
  reading one copy twice;
* ``poll_skip``: offsets a consumer's position jumped over without handing out their records;
* ``nonmonotonic_poll``: times a consumer's position moved back (``OFFSET_OUT_OF_RANGE`` after an unclean
  election, reset to ``earliest``), so ``poll()`` handed out offsets again;
* ``unavailable_ms``: per partition, how long it had no leader or a leader whose process was down or
  paused (writes and reads could not succeed).

How: a record id is its producer instance's number and that producer's sequence (dense from 0), so a set
of records is, per producer instance, a bit per sequence (``eventsim.metrics.duplicates.SeenRecords``: a
numpy ``uint8`` array grown by doubling, filled a whole batch of ids at a time, never a record at a
time). While the run runs, the acknowledged records are one such set (``History``: one bit per record
each producer sent, at most two with the doubling, over every partition, since a record belongs to one
partition). Every log keeps its entries until retention deletes them, and a log remembers what retention
deleted as a set of its own (``Log.expired``: a bit per sequence of each producer it holds records of)
and how many of those deletions were copies of a record it had already deleted (``expired_duplicates``).
At the end each partition's final log is its expired set and the record ids of the entries it keeps: a
duplicate is an append of a record already there, ``lost`` is an acknowledged record in none of them.
Consumers count what they skip and rewind as they go; unavailability comes from the controller's
metadata log and the fault trace.
"""

from __future__ import annotations

import numpy as np

from eventsim.metrics.duplicates import SeenRecords
from eventsim.protocol import RECORD_ID

__all__ = ["History", "counts", "record_counts", "popcount", "union", "missing"]

_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


class History:
    """The acknowledged records of a run, one bit per record (kept by the recorder when checking)."""

    def __init__(self):
        self.acked = SeenRecords()  # one bit per producer sequence, every partition's records together

    def acknowledged(self, batches) -> None:
        """``batches`` were acknowledged (for ``acks=0``: sent); the recorder passes thousands at a time."""
        if batches:
            self.acked.add(np.concatenate([b.records[:, RECORD_ID] for b in batches]).astype(np.int64))

    @property
    def nbytes(self) -> int:
        return sum(bits.nbytes for bits in self.acked.bits.values())


def popcount(records: SeenRecords) -> int:
    """How many records ``records`` holds."""
    return sum(int(_POPCOUNT[bits].sum(dtype=np.int64)) for bits in records.bits.values())


def union(into: SeenRecords, other: SeenRecords) -> None:
    """Add every record of ``other`` to ``into``."""
    for producer, bits in other.bits.items():
        mine = into.bits.get(producer)
        if mine is None:
            into.bits[producer] = bits.copy()
            continue
        if mine.size < bits.size:
            grown = np.zeros(bits.size, dtype=np.uint8)
            grown[: mine.size] = mine
            mine = into.bits[producer] = grown
        mine[: bits.size] |= bits


def missing(records: SeenRecords, present: SeenRecords) -> int:
    """How many records of ``records`` are not in ``present``."""
    total = 0
    for producer, bits in records.bits.items():
        have = present.bits.get(producer)
        if have is None:
            total += int(_POPCOUNT[bits].sum(dtype=np.int64))
            continue
        n = min(bits.size, have.size)
        total += int(_POPCOUNT[bits[:n] & ~have[:n]].sum(dtype=np.int64))
        total += int(_POPCOUNT[bits[n:]].sum(dtype=np.int64))
    return total


def record_counts(acked: SeenRecords, finals) -> tuple[int, int, int]:
    """``(acked, lost, duplicate)`` from the acknowledged records and each partition's final log as
    ``(expired, expired_duplicates, record ids it keeps)`` (``expired`` None when retention deleted nothing).

    A record id belongs to one partition, so the final logs' records make one set: a duplicate is an
    append of a record already in its log (retention may have deleted either copy since), and an
    acknowledged record in no final log is lost."""
    held = SeenRecords()
    duplicate = 0
    for expired, expired_duplicates, ids in finals:
        if expired is not None:
            union(held, expired)
            duplicate += expired_duplicates
        duplicate += held.add(ids)
    return popcount(acked), missing(acked, held), duplicate


def _unavailable_ms(history_rows, down: dict, horizon_ms: float) -> float:
    """Time without a usable leader, from the partition's leader changes ``[(t_ms, leader)]`` and each
    broker's down intervals ``{broker: [(start_ms, end_ms)]}``."""
    cuts = {0.0, horizon_ms}
    for t, _ in history_rows:
        cuts.add(min(t, horizon_ms))
    for spans in down.values():
        for a, b in spans:
            cuts.add(min(a, horizon_ms))
            cuts.add(min(b, horizon_ms))
    points = sorted(cuts)
    total = 0.0
    k = 0
    leader = history_rows[0][1] if history_rows else -1
    for a, b in zip(points[:-1], points[1:], strict=True):
        while k < len(history_rows) and history_rows[k][0] <= a:
            leader = history_rows[k][1]
            k += 1
        mid = (a + b) / 2.0
        if leader < 0 or any(s <= mid < e for s, e in down.get(leader, ())):
            total += b - a
    return total


def _down_intervals(fault_rows, horizon_ms: float, stopped: dict) -> dict:
    """Each broker's intervals of a stopped process, from the fault trace (a controlled shutdown stops
    it when its leaderships have moved: ``stopped``)."""
    down: dict = {}
    started: dict = {}
    for t_s, kind, _target, broker, outcome in fault_rows:
        if outcome != "done":
            continue
        t = t_s * 1000.0
        if kind == "shutdown":
            started[broker] = stopped.get(broker, t)
        elif kind in ("crash", "power_loss"):
            started[broker] = t
        elif kind == "restart" and broker in started:
            down.setdefault(broker, []).append((started.pop(broker), t))
    for broker, t in started.items():
        down.setdefault(broker, []).append((t, horizon_ms))
    return down


def counts(run, history: History, fault_rows, pauses, stopped=None) -> dict:
    """The checker's counts for a finished run (see module docstring)."""
    cluster = run.cluster
    horizon = run.horizon_ms
    down = _down_intervals(fault_rows, horizon, stopped or {})
    for broker, spans in pauses.items():
        down.setdefault(broker, []).extend(spans)
    leaders: dict = {}
    for t, tp, leader, _epoch, _isr, _elr in cluster.controller.history:
        leaders.setdefault(tp, []).append((t, leader))
    finals = []
    unavailable: dict = {}
    for topic in cluster.topics.values():
        for tp in topic.tps():
            log = cluster.partition(tp).log  # the leader's at the end (the last one's, without a leader)
            finals.append((log.expired, log.expired_duplicates, log.record_ids()))
            unavailable[f"{tp.topic}-{tp.partition}"] = _unavailable_ms(leaders.get(tp, []), down, horizon)
    acked, lost, duplicate = record_counts(history.acked, finals)
    consumers = run.consumers
    return {
        "acked": acked,
        "lost": lost,
        "duplicate": duplicate,
        "poll_skip": int(sum(c.skipped for c in consumers)),
        "nonmonotonic_poll": int(sum(c.rewinds for c in consumers)),
        "unavailable_ms": unavailable,
    }
