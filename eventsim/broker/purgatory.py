"""``DelayedFetch`` purgatory: fetches that wait for ``fetch.min.bytes`` or ``fetch.max.wait.ms``.

What Kafka does (``core/.../server/DelayedFetch.scala``, ``DelayedOperationPurgatory``): a fetch that
finds fewer than ``fetch.min.bytes`` available is parked, watched by the partitions it reads; each
append to a watched partition tries to complete it; otherwise it expires after ``fetch.max.wait.ms``
(``replica.fetch.wait.max.ms`` for followers) and returns what there is. ``DelayedProduce`` (acks=all
waiting for the ISR) arrives with replication.

Modelled: that, with one timer for the earliest deadline (a fetch completed early costs no event).
"""

from __future__ import annotations

import heapq
import math

__all__ = ["DelayedFetchPurgatory"]


class DelayedFetchPurgatory:
    """Parked fetches keyed by partition, with one expiry timer for the whole purgatory.

    Kafka's purgatory keeps a timing wheel; here a heap of deadlines and a single pending timer event
    do the same job, so a fetch completed by an append costs no event of its own.
    """

    def __init__(self, env, complete):
        self.env = env
        self._complete = complete  # callback(fetch) that builds and sends the response
        self.watchers: dict[object, list] = {}  # partition -> fetches parked on it (may be empty)
        self._deadlines: list = []  # heap of (expire_at_ms, seq, fetch)
        self._seq = 0
        self._timer_at = math.inf
        self.parked = 0

    def watch(self, fetch, tps, expire_at_ms: float) -> None:
        fetch.parked = True
        self.parked += 1
        watchers = self.watchers
        for tp in tps:
            ws = watchers.get(tp)
            if ws is None:
                watchers[tp] = [fetch]
            else:
                ws.append(fetch)
        self._seq += 1
        heapq.heappush(self._deadlines, (expire_at_ms, self._seq, fetch))
        if expire_at_ms < self._timer_at:
            self._timer_at = expire_at_ms
            self.env.call_at(expire_at_ms, self._expire, expire_at_ms)

    def _expire(self, when_ms: float) -> None:
        if when_ms != self._timer_at:
            return  # superseded by an earlier timer
        self._timer_at = math.inf
        now = self.env.now
        dl = self._deadlines
        while dl and (dl[0][0] <= now or not dl[0][2].parked):
            _, _, fetch = heapq.heappop(dl)
            if fetch.parked:
                self._release(fetch)
        if dl:
            self._timer_at = dl[0][0]
            self.env.call_at(self._timer_at, self._expire, self._timer_at)

    def _release(self, fetch) -> None:
        fetch.parked = False
        watchers = self.watchers
        for tp, _ in fetch.partitions:
            ws = watchers.get(tp)
            if ws:
                try:
                    ws.remove(fetch)
                except ValueError:
                    pass
        self._complete(fetch)

    def check(self, tp, available_bytes) -> None:
        """After an append to ``tp``: complete the parked fetches that now have enough bytes."""
        ws = self.watchers.get(tp)
        if not ws:
            return
        for fetch in list(ws):
            if fetch.parked and available_bytes(fetch) >= fetch.min_bytes:
                self._release(fetch)
