"""``SeenRecords``: which records a consumer group has already read, one bit per record.

A record id is ``(producer index << 40) + the producer's record number`` (see ``producer_batch.py``), so
the records a group has read are, per producer instance, a set of small integers: a bit set (a numpy
``uint8`` array grown by doubling) indexed by the record number. Memory is one bit per record the
producer ever sent, whatever the group reads; ``add`` is vectorised (no Python loop per record) and
returns how many of the records it is given the group had already read (or reads twice in the same
call): the *duplicates* the ``records_consumed_duplicate`` column counts.
"""

from __future__ import annotations

import numpy as np

from eventsim.protocol import RECORD_ID_PRODUCER_SHIFT

__all__ = ["SeenRecords"]

_SEQ_MASK = (1 << RECORD_ID_PRODUCER_SHIFT) - 1
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)


class SeenRecords:
    """A bit per record id, per producer instance (see module docstring)."""

    __slots__ = ("bits",)

    def __init__(self):
        self.bits: dict[int, np.ndarray] = {}

    def add(self, record_ids: np.ndarray) -> int:
        """Mark ``record_ids`` as read; return how many were read before (or occur twice in the call)."""
        rids = np.asarray(record_ids, dtype=np.int64)
        if rids.size == 0:
            return 0
        producers = rids >> RECORD_ID_PRODUCER_SHIFT
        first, last = int(producers.min()), int(producers.max())
        if first == last:
            return self._add_one(first, rids & _SEQ_MASK)
        dup = 0
        if last - first < 64:  # a few producer instances: one mask each is cheaper than a sort
            for p in range(first, last + 1):
                mine = producers == p
                if mine.any():
                    dup += self._add_one(p, rids[mine] & _SEQ_MASK)
            return dup
        order = np.argsort(producers, kind="stable")
        sorted_p = producers[order]
        cuts = np.flatnonzero(sorted_p[1:] != sorted_p[:-1]) + 1
        bounds = [0, *cuts.tolist(), rids.size]
        seqs = rids[order] & _SEQ_MASK
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            dup += self._add_one(int(sorted_p[lo]), seqs[lo:hi])
        return dup

    def _add_one(self, producer: int, seq: np.ndarray) -> int:
        lo, hi = int(seq.min()) >> 3, int(seq.max()) >> 3
        bits = self.bits.get(producer)
        if bits is None or bits.size <= hi:
            grown = np.zeros(max(hi + 1, 2 * (0 if bits is None else bits.size), 1024), dtype=np.uint8)
            if bits is not None:
                grown[: bits.size] = bits
            bits = self.bits[producer] = grown
        span = hi - lo + 1
        if span <= seq.size + 512:
            # Records read together are mostly recent and contiguous: flag them in a bit map of their span.
            flags = np.zeros(span * 8, dtype=bool)
            flags[seq - lo * 8] = True
            distinct = int(np.count_nonzero(flags))
            packed = np.packbits(flags, bitorder="little")
            region = bits[lo : hi + 1]
            already = int(_POPCOUNT[region & packed].sum())
            region |= packed
            return seq.size - distinct + already
        # A sparse spread (a group reading far apart in the log): test the distinct records one by one.
        uniq = np.unique(seq)
        ub = uniq >> 3
        um = np.left_shift(1, uniq & 7).astype(np.uint8)
        already = int(np.count_nonzero(bits[ub] & um))
        np.bitwise_or.at(bits, ub, um)
        return seq.size - uniq.size + already
