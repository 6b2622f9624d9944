"""``Metadata``: what a client knows of its topic's partitions: each one's leader and leader epoch.

What Kafka does (``clients/.../Metadata.java``, with ``ProducerMetadata`` and ``ConsumerMetadata`` on
top): a client learns the leaders from ``MetadataResponse``s, which any broker answers from its metadata
cache. It asks again when its view is older than ``metadata.max.age.ms``, or at once after a response
says the view is stale (``NOT_LEADER_OR_FOLLOWER``, ``UNKNOWN_LEADER_EPOCH``: ``requestUpdate``), and never
twice within ``retry.backoff.ms`` (``timeToAllowUpdate``). An update never takes a partition back to an
older leader epoch. Since KIP-951 (Kafka 3.7) a produce or fetch response that says
``NOT_LEADER_OR_FOLLOWER`` carries the new leader and its epoch, and the client takes it at once, without
waiting for a metadata round trip: that is how fast clients follow a failover. The producer's
accumulator drains each partition to its current leader; the consumer's fetcher sends each fetch to it.

What is modelled: one ``Metadata`` per client, for its topic, filled from the cluster when the client is
built (the bootstrap's first metadata response; its latency is not modelled), refreshed every
``metadata.max.age.ms`` (or sooner after ``request_update``) by a ``MetadataRequest`` to the broker with
the fewest of this client's requests in flight (``leastLoadedNode``), which goes through that broker's
network and request-handler threads like any request; ``update_leader`` takes a KIP-951 hint. Epochs
only move forward. When a leader changes, the listeners (the producer's accumulator and sender, the
consumer's fetcher) move the partition to its new leader.

A client sends at most one metadata request per millisecond: with ``metadata.max.age.ms`` and
``retry.backoff.ms`` both 0 a real client refreshes as fast as its event loop turns, which takes time the
model does not otherwise spend.

Not modelled: topic creation and deletion seen through metadata, metadata for topics the client does not
use, the consumer's own ``retry.backoff.ms`` (its refreshes are at least Kafka's default 100 ms apart),
and the time of the very first metadata request.
"""

from __future__ import annotations

from eventsim.protocol import METADATA_REQUEST_BYTES

__all__ = ["Metadata", "MetadataRequest", "DEFAULT_REFRESH_BACKOFF_MS"]

DEFAULT_REFRESH_BACKOFF_MS = 100.0  # retry.backoff.ms default: the least time between two refreshes
MIN_REFRESH_MS = 1.0  # a client sends at most one metadata request per ms (see the module docstring)


class MetadataRequest:
    """A ``MetadataRequest`` for one topic, answered with every partition's leader and leader epoch."""

    __slots__ = ("client", "topic", "conn", "host", "send_ms", "arrive_ms")

    def __init__(self, client, topic: str, conn: int, host, send_ms: float):
        self.client = client
        self.topic = topic
        self.conn = conn
        self.host = host
        self.send_ms = send_ms
        self.arrive_ms = send_ms


class Metadata:
    """A client's view of its topic's leaders (see module docstring)."""

    def __init__(
        self,
        env,
        cluster,
        topic: str,
        max_age_ms: float,
        host,
        refresh_backoff_ms: float,
        connect,
        request_timeout_ms: float = 30000.0,
    ):
        """``connect(node)``: the client's connection id to broker ``node``; a refresh left unanswered for
        ``request_timeout_ms`` (a stopped broker) is tried again after the backoff."""
        self.env = env
        self.cluster = cluster
        self.topic = topic
        self.max_age_ms = float(max_age_ms)
        self.refresh_backoff_ms = max(float(refresh_backoff_ms), MIN_REFRESH_MS)
        self.host = host
        self._connect = connect
        self.request_timeout_ms = float(request_timeout_ms)
        self.leaders: dict = {}  # tp -> leader broker id
        self.epochs: dict = {}  # tp -> leader epoch
        self.listeners: list = []  # callback(tp, old leader, new leader)
        self.in_flight_by_node = None  # callable(node) -> requests in flight, for leastLoadedNode
        self.last_refresh_ms = env.now
        self.update_requested = False
        self.requests = 0
        self.updates = 0
        self._wake = None
        self._answer = None
        self._asked = -1  # the broker the metadata request in flight went to
        self.update(cluster.metadata(topic), env.now)

    # ------------------------------------------------------------------ queries
    def leader_for(self, tp) -> int:
        return self.leaders[tp]

    def leader_epoch(self, tp) -> int:
        return self.epochs[tp]

    def partitions_for(self, node: int) -> list:
        return [tp for tp, leader in self.leaders.items() if leader == node]

    # ------------------------------------------------------------------ updates
    def update(self, partitions: dict, now: float) -> list:
        """Take a metadata response's ``{tp: (leader, epoch)}``; returns the partitions whose leader changed.

        A partition whose epoch in the response is older than the one known keeps what is known
        (``Metadata.updateLatestMetadata``)."""
        changed = []
        for tp, (leader, epoch) in partitions.items():
            if self._take(tp, leader, epoch):
                changed.append(tp)
        self.last_refresh_ms = now
        self.update_requested = False
        self.updates += 1
        return changed

    def update_leader(self, tp, leader: int, epoch: int) -> bool:
        """A KIP-951 hint from a response: the new leader of ``tp`` and its epoch; whether it moved."""
        return self._take(tp, leader, epoch)

    def _take(self, tp, leader: int, epoch: int) -> bool:
        known = self.epochs.get(tp)
        if known is not None and epoch < known:
            return False  # an older view: ignored
        old = self.leaders.get(tp)
        self.leaders[tp] = leader
        self.epochs[tp] = epoch
        if old is not None and old != leader:
            for listener in self.listeners:
                listener(tp, old, leader)
            return True
        return False

    def request_update(self) -> None:
        """``requestUpdate``: refresh as soon as ``retry.backoff.ms`` since the last refresh allows."""
        self.update_requested = True
        w = self._wake
        if w is not None and not w.triggered:
            w.succeed()

    def time_to_next_update(self, now: float) -> float:
        """``Metadata.timeToNextUpdate``: until the view expires (or now if an update was requested), but
        not sooner than ``retry.backoff.ms`` after the last refresh."""
        expire = 0.0 if self.update_requested else self.last_refresh_ms + self.max_age_ms - now
        allow = self.last_refresh_ms + self.refresh_backoff_ms - now
        return max(expire, allow, 0.0)

    # ------------------------------------------------------------------ the refresh loop
    def least_loaded_node(self) -> int:
        """``NetworkClient.leastLoadedNode``: the broker with the fewest of this client's requests in flight
        (ties: the lowest id)."""
        count = self.in_flight_by_node
        best, best_n = -1, None
        for node in range(len(self.cluster.brokers)):
            if not self.cluster.brokers[node].running:
                continue
            n = count(node) if count is not None else 0
            if best_n is None or n < best_n:
                best, best_n = node, n
        return best  # -1: no broker can be reached

    def refresh_loop(self):
        """A ``MetadataRequest`` whenever the view expires or an update is requested."""
        env = self.env
        while True:
            wait = self.time_to_next_update(env.now)
            if wait > 0:
                self._wake = env.event()
                yield env.any_of([self._wake, env.timeout(wait)])
                self._wake = None
                if self.time_to_next_update(env.now) > 0:
                    continue
            node = self.least_loaded_node()
            if node < 0:  # every broker is down: try again after the backoff
                self.last_refresh_ms = env.now
                self.update_requested = True
                continue
            broker = self.cluster.brokers[node]
            now = env.now
            req = MetadataRequest(self, self.topic, self._connect(node), self.host, now)
            req.arrive_ms = self.cluster.network.control(self.host, broker.host, now, METADATA_REQUEST_BYTES)
            self.requests += 1
            self._answer = env.event()
            self._asked = node
            if req.arrive_ms != float("inf"):  # else lost to a network partition: it times out
                broker.handle_metadata(req)
            answered = yield env.any_of([self._answer, env.timeout(self.request_timeout_ms)])
            if self._answer not in answered:
                self.last_refresh_ms = env.now  # unanswered (a stopped broker): try again after the backoff
                self.update_requested = True

    def on_disconnect(self, node: int) -> None:
        """``node``'s connection was reset: a metadata request waiting on it fails now, and is tried again
        after the backoff (``NetworkClient`` fails the in-flight requests of a disconnected node)."""
        ev = self._answer
        if ev is not None and not ev.triggered and self._asked == node:
            self.last_refresh_ms = self.env.now
            self.update_requested = True
            self._asked = -1
            ev.succeed()

    def on_metadata_response(self, req: MetadataRequest, partitions: dict) -> None:
        self.update(partitions, self.env.now)
        ev = self._answer
        if ev is not None and not ev.triggered:
            ev.succeed()
