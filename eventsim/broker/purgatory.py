"""``DelayedFetch`` purgatory: fetches that wait for ``fetch.min.bytes`` or ``fetch.max.wait.ms``.

What Kafka does (``core/.../server/DelayedFetch.scala``, ``DelayedOperationPurgatory``): a fetch that
finds fewer than ``fetch.min.bytes`` available is parked, watched by the partitions it reads; each
append to a watched partition tries to complete it; otherwise it expires after ``fetch.max.wait.ms``
(``replica.fetch.wait.max.ms`` for followers) and returns what there is. A consumer's fetch counts
bytes below the high watermark, a follower's bytes below the log end offset. ``DelayedProduce``
(``DelayedProduce.scala``): a produce request with ``acks=all`` waits, watched by its partitions, until
the high watermark of each has passed the last offset of its batch (checked whenever a high watermark
advances), or expires after the request's timeout (the producer's ``request.timeout.ms``) and answers
``REQUEST_TIMED_OUT`` for the partitions still waiting.

Modelled: both, each with one timer for the earliest deadline (an operation completed early costs no
event, and leaves the deadline queues long before its own deadline, as from Kafka's timing wheel). High
watermarks only grow, so the produce requests waiting on a partition are a queue in offset order and a
check looks at its head only. What waits on a partition is kept on the leader's log (``Log.fetch_watchers``,
``Log.produce_waiters``), so an append or a high watermark's move finds it without a lookup. The purgatories
live in the broker's process, as Kafka's do: when it stops, they are closed (``close``) and what was
parked in them is dropped unanswered, also when its deadline comes.
"""

from __future__ import annotations

import heapq
import math

__all__ = ["Purgatory", "DelayedFetchPurgatory", "DelayedProducePurgatory", "DelayedProduce"]

from array import array

from eventsim.core.environment import _heap_pop, _heap_push  # the kernel's heap: (time, seq, ...) entries

COMPACT_SLACK = 64  # finished operations a purgatory's deadline queues may hold beyond twice the parked
_SLACK = COMPACT_SLACK  # (compiled, a C number: the test runs on every parked operation)


class _Deadlines:
    """A FIFO of ``(deadline, seq)`` pairs as two rings of numbers (C numbers compiled: no tuple, float
    or int object per parked operation), doubled when full. Iterating gives the pairs as tuples."""

    def __init__(self, room: int = 64):
        self._room = room
        self._times = array("d", bytes(8 * room))
        self._seqs = array("q", bytes(8 * room))
        self._tv = self._times
        self._sv = self._seqs
        self._head = 0
        self.n = 0

    def _at(self, k: int) -> int:
        """The ring index of the ``k``-th pair from the front."""
        k += self._head
        return k - self._room if k >= self._room else k

    def push(self, t: float, seq: int) -> None:
        if self.n == self._room:
            pairs = list(self)
            room = 2 * self._room
            self._times = array("d", bytes(8 * room))
            self._seqs = array("q", bytes(8 * room))
            self._tv = self._times
            self._sv = self._seqs
            for i, (ti, si) in enumerate(pairs):
                self._tv[i] = ti
                self._sv[i] = si
            self._head = 0
            self._room = room
        k = self._at(self.n)
        self._tv[k] = t
        self._sv[k] = seq
        self.n += 1

    def first_time(self) -> float:
        return self._tv[self._head]

    def first_seq(self) -> int:
        return self._sv[self._head]

    def last_time(self) -> float:
        return self._tv[self._at(self.n - 1)]

    def popleft(self) -> None:
        self._head += 1
        if self._head == self._room:
            self._head = 0
        self.n -= 1

    def __len__(self) -> int:
        return self.n

    def __iter__(self):
        return iter([(self._tv[self._at(i)], self._sv[self._at(i)]) for i in range(self.n)])


class Purgatory:
    """Operations parked by partition, with one expiry timer for the whole purgatory.

    Kafka's purgatory keeps a timing wheel; here a queue of deadlines (a heap for the few that come out
    of order) and a single pending timer event do the same job, so an operation completed early costs no
    event of its own. Subclasses keep an operation's key (``_set_seq``), take it out of ``_ops`` when it
    finishes, and say what its expiry does (``_on_expiry``).
    """

    def __init__(self, env, complete):
        self.env = env
        self._complete = complete  # callback that answers a completed operation
        self.watchers: dict = {}  # partition -> the operations parked on it
        # (expire_at_ms, seq) of the parked operations: those that come in deadline order (the usual case)
        # queue in ``_in_order``, the others in the heap ``_deadlines``; expiry takes the earlier head of
        # the two, so operations expire in (deadline, seq) order as from one heap. The operations
        # themselves are in ``_ops`` by seq while they are parked: one that finishes leaves it at once
        # (and is freed once answered), its deadline entry when it comes to a queue's head. Seqs are
        # handed out in order, so ``_ops`` is a list: the operation of seq ``_base + k`` at ``k`` (None
        # once finished), its finished head dropped as it grows (``_finish``): a parked operation is found
        # by a subtraction, where a dictionary would hash its seq three times over its life.
        self._in_order = _Deadlines()
        self._deadlines: list = []
        self._ops: list = []
        self._base = 1  # the seq of ``_ops[0]``; always ``_base + len(_ops) == _seq + 1``
        self._head = 0  # ``_ops[:_head]`` are all finished
        self._seq = 0
        self._timer_at = math.inf
        self.parked = 0
        self.closed = False  # its process stopped (``close``)
        self._attached: list = []  # the logs that keep a list or queue of this purgatory's (``watch``)

    def _deadline(self, op, expire_at_ms: float) -> None:
        """``op`` expires at ``expire_at_ms`` unless finished before."""
        self.parked += 1
        self._seq += 1
        seq = self._seq
        self._ops.append(op)
        self._set_seq(op, seq)
        q = self._in_order
        # Operations finished early leave the front of the queue now, not when the timer comes (as a
        # completed operation leaves Kafka's timing wheel).
        while q.n and self._op(q.first_seq()) is None:
            q.popleft()
        if not q.n or q.last_time() <= expire_at_ms:
            q.push(expire_at_ms, seq)
        else:
            _heap_push(self._deadlines, (expire_at_ms, seq))
        if expire_at_ms < self._timer_at:
            self._timer_at = expire_at_ms
            self.env.at(expire_at_ms, self._expire, (expire_at_ms,))
        if len(q) + len(self._deadlines) > 2 * self.parked + _SLACK:
            self._compact()

    def _compact(self) -> None:
        """Drop the finished operations from both deadline queues (as a completed operation leaves
        Kafka's timing wheel). Without it, one operation that waits its full deadline at the head keeps
        every one behind it, and each out-of-order deadline stays in the heap until its own time: on a
        cluster of 30 brokers, about 1,200 answered fetches per broker beside some 40 parked ones. What
        expires, and when, is unchanged: the timer is set from the earliest unfinished deadline either way."""
        q = self._in_order
        w = 0  # in place, in order: the kept pairs move forward in the ring (no new queue to allocate)
        for i in range(q.n):  # (by index: compiled, the deadlines stay C numbers)
            k = q._at(i)
            seq = q._sv[k]
            if self._op(seq) is not None:
                j = q._at(w)
                q._tv[j] = q._tv[k]
                q._sv[j] = seq
                w += 1
        q.n = w
        dl = [e for e in self._deadlines if self._op(e[1]) is not None]
        heapq.heapify(dl)
        self._deadlines = dl

    def _first(self):
        """The parked entry that expires first, ``(deadline, seq)`` (None when none is left); the heap's
        own entry when it is the heap's head."""
        q = self._in_order
        dl = self._deadlines
        if q.n:
            head = (q.first_time(), q.first_seq())
            return dl[0] if dl and dl[0] < head else head
        return dl[0] if dl else None

    def close(self) -> None:
        """The process that holds this purgatory stopped: what is parked in it is dropped with it (the logs
        let go of its lists: ``_detach``), and its pending timer answers nothing (a stopped broker sends no
        response, not even an expired one)."""
        self.closed = True
        for log in self._attached:
            self._detach(log)

    def _detach(self, log) -> None:
        """``log`` lets go of what this purgatory keeps on it."""
        raise NotImplementedError

    def _expire(self, when_ms: float) -> None:
        if when_ms != self._timer_at or self.closed:
            return  # superseded by an earlier timer, or its process stopped
        self._timer_at = math.inf
        now = self.env.now
        q = self._in_order
        dl = self._deadlines
        while True:
            if dl:  # deadlines that came out of order: the earlier of the two heads goes first
                first = self._first()
                op = self._op(first[1])
                if not (first[0] <= now or op is None):
                    break
                if dl[0] is first:
                    _heap_pop(dl)
                else:
                    q.popleft()
                if op is not None:
                    self._on_expiry(op)
                continue
            if not q.n:
                break
            op = self._op(q.first_seq())  # the usual case: deadlines in order, one queue
            if not (q.first_time() <= now or op is None):
                break
            q.popleft()
            if op is not None:
                self._on_expiry(op)
        first = self._first()
        if first is not None:
            self._timer_at = first[0]
            self.env.at(self._timer_at, self._expire, (self._timer_at,))

    def _op(self, seq: int):
        """The parked operation ``seq``, or None (finished)."""
        k = seq - self._base
        if 0 <= k < len(self._ops):
            return self._ops[k]
        return None

    def _finish(self, seq: int) -> None:
        """The parked operation ``seq`` is done (answered or expired): it is let go."""
        self.parked -= 1
        if self._op(seq) is None:
            raise KeyError(seq)  # not parked (finished twice)
        ops = self._ops
        ops[seq - self._base] = None
        if not self.parked:  # none left: start again empty
            ops.clear()
            self._base = self._seq + 1
            self._head = 0
            return
        h = self._head
        while ops[h] is None:
            h += 1
        if h > _SLACK and 2 * h > len(ops):  # more finished than not before the first parked: drop them
            del ops[:h]
            self._base += h
            h = 0
        self._head = h

    def parked_seqs(self) -> list:
        """The seqs of the operations still parked, in order."""
        return [self._base + k for k in range(len(self._ops)) if self._ops[k] is not None]

    def _set_seq(self, op, seq: int) -> None:
        """Remember ``seq`` on ``op`` (its key in ``_ops``, which it leaves when it finishes)."""
        raise NotImplementedError

    def _on_expiry(self, op) -> None:
        raise NotImplementedError


class DelayedFetchPurgatory(Purgatory):
    """Parked fetches: answered when enough bytes arrived, or when their wait is over."""

    def watch(self, fetch, logs, expire_at_ms: float) -> None:
        """Park ``fetch`` on the partitions of ``logs`` (the broker's logs of them, in the fetch's order).
        Each log keeps the list of the fetches parked on it (``Log.fetch_watchers``, the same lists as
        ``watchers`` by partition), so an append finds them without a lookup by partition; the fetch keeps
        ``logs`` (``fetch.watching``: a list nobody changes in place, the fetch's logs when parked), whose
        lists it leaves when released, whatever its partitions are by then. A log keeps its list while the
        purgatory is open, so the lists are found again from the logs (no list of them per parked fetch)."""
        fetch.parked = True
        for i in range(len(logs)):
            log = logs[i]
            ws = log.fetch_watchers
            if ws is None:
                ws = log.fetch_watchers = []
                self.watchers[log.tp] = ws
                self._attached.append(log)
            ws.append(fetch)
        fetch.watching = logs
        self._deadline(fetch, expire_at_ms)

    def _set_seq(self, op, seq: int) -> None:
        fetch = op  # compiled, a FetchRequest: its field written in C
        fetch.parked_seq = seq

    def _on_expiry(self, fetch) -> None:
        self.release(fetch)

    def _detach(self, log) -> None:
        log.fetch_watchers = None

    def release(self, fetch) -> None:
        """``fetch`` leaves the purgatory (``leave``) and is answered: when its wait is over, or when a
        resignation answers it."""
        self.leave(fetch)
        self._complete(fetch)

    def leave(self, fetch) -> None:
        """``fetch`` leaves its partitions' watchers and its deadline; the caller answers it (the broker,
        when an append or a high watermark gives it ``fetch.min.bytes``: ``Broker._fetches_ready``)."""
        fetch.parked = False
        self._finish(fetch.parked_seq)
        for log in fetch.watching:  # (no lookup by partition; a resignation may have dropped one from
            ws = log.fetch_watchers  # the fetch's partitions, whose list it leaves all the same). By
            for i in range(len(ws)):  # identity: ``list.remove`` would compare each fetch before it with ==
                if ws[i] is fetch:
                    del ws[i]
                    break
        fetch.watching = None


class DelayedProduce:
    """A produce request waiting for its partitions' high watermarks (one per request)."""

    __slots__ = ("req", "waiting", "done", "seq")

    def __init__(self, req, waiting: int):
        self.req = req
        self.waiting = waiting  # batches whose partition has not acknowledged yet
        self.done = False
        self.seq = 0  # its key in the purgatory's parked operations


class DelayedProducePurgatory(Purgatory):
    """``acks=all`` produce requests waiting for replication (see module docstring)."""

    def watch(self, req, pending, expire_at_ms: float) -> None:
        """Park ``req``; ``pending`` lists (log, required offset, batch index) still to replicate, the log
        being the leader's: each keeps its queue (``Log.produce_waiters``, the same queues as ``watchers``
        by partition), so a high watermark's move finds it without a lookup by partition."""
        op = DelayedProduce(req, len(pending))
        for log, required, index in pending:
            q = log.produce_waiters
            if q is None:
                q = log.produce_waiters = []  # (a list: appended, and dropped from the front, in C)
                self.watchers[log.tp] = q
                self._attached.append(log)
            q.append((required, index, op))
        self._deadline(op, expire_at_ms)

    def check(self, partition) -> None:
        """``partition``'s high watermark advanced: acknowledge the batches it now covers."""
        log = partition.log
        q = log.produce_waiters
        if not q:
            return
        hw = log.high_watermark
        while q and (q[0][0] <= hw or q[0][2].done):
            required, index, op = q[0]
            del q[0]
            if op.done:
                continue
            verdict = partition.check_enough_replicas_reach_offset(required)
            if verdict[0] is not None:
                req = op.req
                if req.errors is None:
                    req.errors = [None] * len(req.batches)
                req.errors[index] = verdict[0]
            op.waiting -= 1
            if op.waiting == 0:
                op.done = True
                self._finish(op.seq)
                self._complete(op.req)

    def abandon(self, log, error: str, hints: dict) -> None:
        """This broker no longer leads ``log``'s partition: its waiting batches are answered ``error``, with
        the leader ``hints`` (KIP-951) in the response."""
        q = log.produce_waiters
        log.produce_waiters = None
        self.watchers.pop(log.tp, None)
        if not q:
            return
        for _, index, op in q:
            if op.done:
                continue
            req = op.req
            if req.errors is None:
                req.errors = [None] * len(req.batches)
            req.errors[index] = error
            req.new_leaders = dict(hints) if req.new_leaders is None else {**req.new_leaders, **hints}
            op.waiting -= 1
            if op.waiting == 0:
                op.done = True
                self._finish(op.seq)
                self._complete(req)

    def _set_seq(self, op, seq: int) -> None:
        delayed = op  # compiled, a DelayedProduce: its field written in C
        delayed.seq = seq

    def _detach(self, log) -> None:
        log.produce_waiters = None

    def _on_expiry(self, op) -> None:
        """``REQUEST_TIMED_OUT`` for the batches still waiting: those of this request in some queue."""
        op.done = True
        self._finish(op.seq)
        req = op.req
        if req.errors is None:
            req.errors = [None] * len(req.batches)
        for q in self.watchers.values():
            for _, index, other in q:
                if other is op:
                    req.errors[index] = "REQUEST_TIMED_OUT"
        self._complete(req)
