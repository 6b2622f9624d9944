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

How: while the run runs, the acknowledged records' ids are kept per partition (record ids are dense per
producer; 8 bytes per record), and every log keeps all its entries (retention's deletions are remembered
as record ids), so at the end each partition's final log is read whole. Consumers count what they skip
and rewind as they go; unavailability comes from the controller's metadata log and the fault trace.
"""

from __future__ import annotations

import numpy as np

from eventsim.protocol import RECORD_ID

__all__ = ["History", "counts"]


class History:
    """The acknowledged records of a run, per partition (kept by the recorder when checking)."""

    def __init__(self):
        self.acked: dict = {}  # tp -> list of record-id arrays

    def acknowledged(self, batches) -> None:
        acked = self.acked
        for b in batches:
            ids = b.records[:, RECORD_ID]
            lst = acked.get(b.tp)
            if lst is None:
                acked[b.tp] = [ids]
            else:
                lst.append(ids)


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
    acked = lost = duplicate = 0
    unavailable: dict = {}
    for topic in cluster.topics.values():
        for tp in topic.tps():
            present = cluster.partition(tp).log.record_ids()
            held = np.unique(present)
            duplicate += int(present.size - held.size)
            ids = history.acked.get(tp)
            if ids:
                mine = np.unique(np.concatenate(ids).astype(np.int64))
                acked += int(mine.size)
                lost += int(mine.size - np.count_nonzero(np.isin(mine, held, assume_unique=True)))
            unavailable[f"{tp.topic}-{tp.partition}"] = _unavailable_ms(leaders.get(tp, []), down, horizon)
    consumers = run.consumers
    return {
        "acked": acked,
        "lost": lost,
        "duplicate": duplicate,
        "poll_skip": int(sum(c.skipped for c in consumers)),
        "nonmonotonic_poll": int(sum(c.rewinds for c in consumers)),
        "unavailable_ms": unavailable,
    }
