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

How: a record id is its producer instance's number and that producer's sequence, dense from 0, so a set of
records is, per producer instance, a bit per sequence (``IdSet``: a numpy ``uint8`` array grown by
doubling, filled thousands of ids at a time, never a record at a time), or sorted runs of sequences while
they are sparse. What a run keeps, and its memory:

* the acknowledged records (``History``): one set for all partitions, as a record belongs to one
  partition: a bit per record each producer sent, two at most with the doubling (0.25 bytes a record);
* every log keeps its entries until retention deletes them (a consumer reset to ``earliest`` reads
  them all again, as in Kafka), and remembers what retention deleted as a set of its own
  (``Log.expired``) with the number of copies among it (``Log.expired_duplicates``): a replica holds one
  record in every ``p`` of a producer writing ``p`` partitions, so a deleted record costs each replica
  ``2 p`` bits at most while ``p`` is below 16 (bits), and 4 bytes beyond (runs); nothing until then.

At the end each partition's final log is its expired set and the ids of the entries it keeps: a
duplicate is an append of a record already there, and an acknowledged record in none is ``lost``.
Consumers count what they skip and rewind as they go; unavailability comes from the controller's
metadata log and the fault trace.
"""

from __future__ import annotations

import numpy as np

from eventsim.protocol import RECORD_ID_PRODUCER_SHIFT

__all__ = ["History", "IdSet", "counts", "record_counts"]

_SEQ_MASK = (1 << RECORD_ID_PRODUCER_SHIFT) - 1
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


class IdSet:
    """A set of record ids, per producer instance: a bit per sequence (a ``uint8`` array grown by doubling,
    so at most two bits per sequence up to the largest), or, while the producer's sequences in the set are
    sparse (fewer than one in ``DENSE``, as in one partition of a producer writing many), sorted runs of
    them (4 bytes each; 8 past ``2**32``). ``dense`` sets are bits from the start. Ids are added thousands
    at a time, never one by one."""

    __slots__ = ("bits", "runs", "dense")

    DENSE = 16  # runs cost 4 bytes a sequence, bits at most 2 bits a sequence up to the largest: 1 in 16

    def __init__(self, dense: bool = False):
        self.bits: dict[int, np.ndarray] = {}  # producer number -> bit array indexed by sequence
        self.runs: dict[int, list] = {}  # producer number -> sorted arrays of sequences, pairwise disjoint
        self.dense = dense

    def add(self, record_ids) -> int:
        """Add ``record_ids`` (any order); returns how many of them the set held already or that occur
        more than once in them (the copies)."""
        ids = np.sort(np.asarray(record_ids, dtype=np.int64), kind="stable")  # mostly sorted runs: fast
        n = ids.size
        if n == 0:
            return 0
        first = np.empty(n, dtype=bool)
        first[0] = True
        np.not_equal(ids[1:], ids[:-1], out=first[1:])
        ids = ids[first]
        copies = n - ids.size
        producers = ids >> RECORD_ID_PRODUCER_SHIFT
        cuts = [0, *(np.flatnonzero(producers[1:] != producers[:-1]) + 1).tolist(), ids.size]
        for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
            producer, seq = int(producers[lo]), ids[lo:hi] & _SEQ_MASK
            if self.dense or producer in self.bits:
                copies += self._add_bits(producer, seq)
            else:
                copies += self._add_run(producer, seq)
        return copies

    def _add_bits(self, producer: int, seq: np.ndarray) -> int:
        """Set the bits of ``seq`` (sorted, distinct); returns how many were set already."""
        byte = seq >> 3
        bit = np.left_shift(1, seq & 7).astype(np.uint8)
        top = int(byte[-1])
        bits = self.bits.get(producer)
        if bits is None or bits.size <= top:
            grown = np.zeros(max(top + 1, 64, 0 if bits is None else 2 * bits.size), dtype=np.uint8)
            if bits is not None:
                grown[: bits.size] = bits
            bits = self.bits[producer] = grown
        already = int(np.count_nonzero(bits[byte] & bit))
        starts = np.flatnonzero(np.concatenate(([True], byte[1:] != byte[:-1])))
        bits[byte[starts]] |= np.bitwise_or.reduceat(bit, starts)
        return already

    def _add_run(self, producer: int, seq: np.ndarray) -> int:
        """Add ``seq`` (sorted, distinct) as a run; returns how many the runs held already."""
        runs = self.runs.setdefault(producer, [])
        already = 0
        top = max((int(r[-1]) for r in runs), default=-1)
        k = int(np.searchsorted(seq, top, side="right"))  # mostly 0: a log's records come in sequence order
        if k:
            low, seen = seq[:k], np.zeros(k, dtype=bool)
            for r in runs:
                seen |= r[np.minimum(np.searchsorted(r, low), r.size - 1)] == low
            already = int(np.count_nonzero(seen))
            seq = np.concatenate((low[~seen], seq[k:]))
        if seq.size:
            runs.append(seq.astype(np.uint32 if seq[-1] < 2**32 else np.int64))
        top = max(top, int(seq[-1]) if seq.size else -1)
        if self.DENSE * sum(r.size for r in runs) > top:  # dense enough: bits are smaller
            self.bits[producer] = self._bitmap(producer)
            del self.runs[producer]
        return already

    def _bitmap(self, producer: int) -> np.ndarray:
        """The producer's bit array (made from its runs when it has runs)."""
        bits = self.bits.get(producer)
        if bits is not None:
            return bits
        runs = self.runs.get(producer, ())
        top = max((int(r[-1]) for r in runs), default=-1)
        bits = np.zeros(max((top >> 3) + 1, 64), dtype=np.uint8)
        for r in runs:
            seq = r.astype(np.int64)
            np.bitwise_or.at(bits, seq >> 3, np.left_shift(1, seq & 7).astype(np.uint8))
        return bits

    def producers(self) -> list:
        return [*self.bits, *self.runs]

    def __len__(self) -> int:
        ones = sum(int(_POPCOUNT[bits].sum(dtype=np.int64)) for bits in self.bits.values())
        return ones + sum(r.size for runs in self.runs.values() for r in runs)

    @property
    def nbytes(self) -> int:
        return sum(b.nbytes for b in self.bits.values()) + sum(
            r.nbytes for runs in self.runs.values() for r in runs
        )

    def update(self, other: IdSet) -> None:
        """Add every record of ``other`` (as bits: a union of many partitions' records is dense)."""
        for producer in other.producers():
            theirs = other._bitmap(producer)
            mine = self._bitmap(producer) if producer in self.runs else self.bits.get(producer)
            self.runs.pop(producer, None)
            if mine is None:
                self.bits[producer] = theirs.copy()
                continue
            if mine.size < theirs.size:
                grown = np.zeros(theirs.size, dtype=np.uint8)
                grown[: mine.size] = mine
                mine = grown
            mine[: theirs.size] |= theirs
            self.bits[producer] = mine

    def missing_from(self, other: IdSet) -> int:
        """How many records of this set ``other`` does not hold."""
        total = 0
        for producer in self.producers():
            bits = self._bitmap(producer)
            have = other._bitmap(producer) if producer in other.bits or producer in other.runs else bits[:0]
            n = min(bits.size, have.size)
            total += int(_POPCOUNT[bits[:n] & ~have[:n]].sum(dtype=np.int64))
            total += int(_POPCOUNT[bits[n:]].sum(dtype=np.int64))
        return total


class History:
    """The acknowledged records of a run, a bit each (kept by the recorder when checking)."""

    def __init__(self):
        self.acked = IdSet(dense=True)  # every partition's records: a record belongs to one partition

    def acknowledged(self, record_ids) -> None:
        """Records were acknowledged (for ``acks=0``: sent): the ids of thousands of batches at a time."""
        self.acked.add(record_ids)

    @property
    def nbytes(self) -> int:
        return self.acked.nbytes


def record_counts(acked: IdSet, finals) -> tuple[int, int, int]:
    """``(acked, lost, duplicate)`` from the acknowledged records and each partition's final log as
    ``(expired, expired_duplicates, record ids it keeps)`` (``expired`` None when retention deleted nothing).

    A record id belongs to one partition, so the final logs' records make one set: a duplicate is an
    append of a record already in its log (retention may have deleted either copy since), and an
    acknowledged record in no final log is lost."""
    held = IdSet(dense=True)
    duplicate = 0
    for expired, expired_duplicates, ids in finals:
        if expired is not None:
            held.update(expired)
            duplicate += expired_duplicates
        duplicate += held.add(ids)
    return len(acked), acked.missing_from(held), duplicate


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
