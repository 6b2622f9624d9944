"""``DelayedFetch`` purgatory: fetches that wait for ``fetch.min.bytes`` or ``fetch.max.wait.ms``.

What Kafka does (``core/.../server/DelayedFetch.scala``, ``DelayedOperationPurgatory``): a fetch that
finds fewer than ``fetch.min.bytes`` available is parked, watched by the partitions it reads; each
append to a watched partition tries to complete it; otherwise it expires after ``fetch.max.wait.ms``
(``replica.fetch.wait.max.ms`` for followers) and returns what there is. ``DelayedProduce`` (acks=all
waiting for the ISR) arrives with replication.

Modelled: that, with one expiry event per parked fetch; a fetch completed early ignores its expiry.
"""

from __future__ import annotations

__all__ = ["DelayedFetchPurgatory"]


class DelayedFetchPurgatory:
    def __init__(self, env, complete):
        self.env = env
        self._complete = complete  # callback(fetch) that builds and sends the response
        self._watchers: dict[object, list] = {}
        self.parked = 0
        self.expired = 0

    def watch(self, fetch, tps, expire_at_ms: float) -> None:
        fetch.parked = True
        self.parked += 1
        for tp in tps:
            self._watchers.setdefault(tp, []).append(fetch)
        self.env.call_at(expire_at_ms, self._expire, fetch)

    def _expire(self, fetch) -> None:
        if fetch.parked:
            self.expired += 1
            self._release(fetch)

    def _release(self, fetch) -> None:
        fetch.parked = False
        for tp, _ in fetch.partitions:
            ws = self._watchers.get(tp)
            if ws and fetch in ws:
                ws.remove(fetch)
        self._complete(fetch)

    def check(self, tp, available_bytes) -> None:
        """After an append to ``tp``: complete the parked fetches that now have enough bytes."""
        ws = self._watchers.get(tp)
        if not ws:
            return
        for fetch in list(ws):
            if fetch.parked and available_bytes(fetch) >= fetch.min_bytes:
                self._release(fetch)
