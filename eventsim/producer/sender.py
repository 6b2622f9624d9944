"""``Sender``: the producer's I/O thread that turns ready batches into produce requests.

What Kafka does (``clients/.../producer/internals/Sender.java``, ``NetworkClient``): in a loop,
``accumulator.ready(now)`` names the leaders with sendable data; leaders whose connection already has
``max.in.flight.requests.per.connection`` unanswered requests are skipped; ``drain`` builds one
``ProduceRequest`` per remaining leader; the thread then polls the network until the next batch can
be ready or a response arrives. A request unanswered after ``request.timeout.ms`` fails, with every
other request in flight on its connection, and the connection is closed: the broker never reads the
requests still waiting on it, and the next connection opens ``reconnect.backoff.ms`` later. The batches
are retried after ``retry.backoff.ms`` (exponential up to ``retry.backoff.max.ms``, KIP-580) while
``retries`` and ``delivery.timeout.ms`` allow, and otherwise fail with a ``TimeoutException``.
``acks=0`` requests get no response: the batch counts as sent once on the wire.

What is modelled: that loop (``Sender.run``, callbacks on the simulation clock) sleeping until the earliest
linger/full/backoff time or until a response frees an in-flight slot it was waiting for; request
timeouts are enforced by a sweep every ``TIMEOUT_SWEEP_MS`` (or a tenth of the shorter timeout, when
that is smaller); ``delivery.timeout.ms`` expires each batch on time, whether it waits in the accumulator
or is in flight (Kafka 2.1+: the batch fails, its request stays in flight, and the broker's later answer
for it is ignored). Responses complete whole batches at once (latency columns go
to the metrics in one vectorised call).

With ``enable.idempotence`` (the default) each request carries, per batch, the producer id, epoch
and base sequence the batch had when the request was sent (the bytes on the wire do not change when a
later epoch bump renumbers the batch); the ``TransactionManager`` hears of every completed and failed
batch and decides whether an error is retried (``canRetry``: ``OUT_OF_ORDER_SEQUENCE_NUMBER`` is, with
an epoch bump when it is a real gap). Each pass of the loop first resolves unresolved sequences and
bumps the epoch if needed, as ``Sender.runOnce`` does.

Each request goes to the partition's leader as the producer's ``Metadata`` knows it
(``metadata.py``); a batch answered ``NOT_LEADER_OR_FOLLOWER`` moves to the leader named in the
response (KIP-951), or the metadata is refreshed, and the batch is retried.

A broker whose process died resets its connections: the requests in flight to it fail with
``NETWORK_EXCEPTION`` (retried; whether they were written is unknown) and the metadata is refreshed;
while it is down, connecting to it is refused and tried again after ``reconnect.backoff.ms`` (default 50 ms),
doubling per refused attempt up to ``reconnect.backoff.max.ms`` (default 1,000 ms), each wait within 20 %
either way; batches for it wait in the accumulator until the metadata names another leader, within
``delivery.timeout.ms``.

A young collection of the producer's JVM (``variability.client_gc``, ``eventsim.jvm``) stops this thread
too: until ``paused_until`` nothing is drained or sent, and responses (and reset connections) that arrive
meanwhile are handled when the pause ends. Four entry points check it (``run``, the start of every pass;
``complete``, every response; ``on_node_disconnected``; ``sweep``), so a pause costs an event per deferred
callback, per request, not per record. The timeouts keep counting through a pause and are enforced when
it ends, after the responses that arrived during it (``NetworkClient.poll`` handles received responses
before timed-out requests).

Not modelled: connection setup, ``max.block.ms`` for the first metadata, and a response that
arrives after its request timed out is ignored (Kafka closes the connection); whether its records
were written is the broker's business, which is exactly how duplicates arise without idempotence.
Nor ``InFlightRequests.canSendMore``'s other condition: Kafka builds a leader's next request only once
the previous one is completely written to the socket, where a request is built here whenever the leader
has fewer than ``max.in.flight.requests.per.connection`` unanswered (behind a slow broker whose socket
buffers are full, Kafka's batches wait in the accumulator and go in fewer, fuller requests).
"""

from __future__ import annotations

import math
from array import array

from eventsim.config.common import tcp_window
from eventsim.core.backoff import ReconnectBackoff
from eventsim.producer.producer_batch import ProducerBatch
from eventsim.protocol import PRODUCE_REQUEST_OVERHEAD, ProduceRequest, fill_produce_request

__all__ = ["Sender", "TIMEOUT_SWEEP_MS"]

INF = math.inf
_PRODUCE_REQUEST_OVERHEAD = PRODUCE_REQUEST_OVERHEAD  # compiled, a C number (sender.pxd)
TIMEOUT_SWEEP_MS = 100.0
# Errors the producer retries (Kafka: RetriableException subclasses).
RETRIABLE = frozenset(
    {
        "REQUEST_TIMED_OUT",
        "NOT_ENOUGH_REPLICAS",
        "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
        "NOT_LEADER_OR_FOLLOWER",
        "NETWORK_EXCEPTION",
    }
)
# Errors after which the client's metadata is stale (Kafka: InvalidMetadataException subclasses).
METADATA_ERRORS = frozenset({"NOT_LEADER_OR_FOLLOWER", "UNKNOWN_LEADER_EPOCH", "FENCED_LEADER_EPOCH"})
# Failures after which the producer cannot know whether the batch is in the log (its sequence is then
# "unresolved" for the idempotent producer); after any other error the broker did not append it.
UNKNOWN_OUTCOME = frozenset(
    {"REQUEST_TIMED_OUT", "NETWORK_EXCEPTION", "NOT_ENOUGH_REPLICAS_AFTER_APPEND", "DELIVERY_TIMEOUT"}
)


class Sender:
    """The producer's network thread (see module docstring)."""

    def __init__(self, producer):
        self.producer = producer
        self._brokers = producer.cluster.brokers  # by id (the cluster's list: read on every pass and request)
        # Bound once: the callbacks scheduled on every request (a method read off an object is a new
        # bound-method object each time).
        self.response_cb = self.on_produce_response
        self._on_timer_cb = self._on_timer
        self._run_cb = self.run
        self._complete_cb = self.complete
        self.env = producer.env
        self.network = producer.cluster.network
        cfg = producer.config
        self.max_in_flight = cfg.max_in_flight_requests_per_connection
        self.max_request_size = cfg.max_request_size
        self.request_timeout_ms = float(cfg.request_timeout_ms)
        self.delivery_timeout_ms = float(cfg.delivery_timeout_ms)
        self.retries = cfg.retries
        self.acks = {"all": -1, "1": 1, "0": 0}[str(cfg.acks)]
        # Per leader, its requests in flight in send order (lists: at most max.in.flight of them).
        self.in_flight: dict[int, list[ProduceRequest]] = {n: [] for n in producer.accumulator.by_node}
        # The same nodes and queues in the dictionary's order, the ids as C numbers (compiled, a typed view)
        # and the queues as a list: a pass over the leaders reads them by index, not a dictionary's items, and
        # reads each leader's earliest ready time by id before it touches its queue. Nodes are only added.
        self._node_ids = array("q", self.in_flight)
        self._queues: list = list(self.in_flight.values())
        # Compressed size of a batch's records (None: uncompressed, the raw size).
        self._codec_wire = None if producer.codec.name == "none" else producer.wire_bytes
        self._asleep = False  # the sender thread waits for a timer or a wake-up
        self._timer_at = INF
        self.requests_sent = 0
        self._topic_name = producer.spec.topic  # the one topic its batches go to
        self.transaction_manager = producer.transaction_manager  # None without idempotence
        self._expired: set = set()  # batches failed by delivery.timeout.ms while their request was in flight
        # The requests' TCP window: send.buffer.bytes and the brokers' socket.receive.buffer.bytes; each
        # connection delivers its requests in order (when the last one was delivered, per broker).
        self.window = tcp_window(
            cfg.send_buffer_bytes, producer.cluster.scenario.broker.socket_receive_buffer_bytes
        )
        self._stream_ms: dict = {}
        # Connection attempts to the brokers it lost (reconnect.backoff.ms, drawn from its own stream).
        self._reconnect = ReconnectBackoff(
            cfg.reconnect_backoff_ms,
            cfg.reconnect_backoff_max_ms,
            self.env.rng(f"producer.{producer.client_id}.reconnect"),
        )
        self.paused_until = 0.0  # a young collection of the producer's JVM stops this thread until then

    def in_flight_count(self, node: int) -> int:
        q = self.in_flight.get(node)
        return len(q) if q is not None else 0

    def add_node(self, node: int) -> None:
        """A broker that now leads one of the producer's partitions gets its in-flight window."""
        if node not in self.in_flight:
            q = self.in_flight[node] = []
            self._queues.append(q)
            self._node_ids = array("q", self.in_flight)  # (a new array: the typed view holds the old one)

    # ------------------------------------------------------------------ the loop
    def run(self) -> None:
        """The sender thread: a pass over the ready leaders, then sleep until a timer or a wake-up.

        A chain of callbacks on the simulation clock rather than a generator process: each wake-up costs
        a function call instead of an event object and a generator resumption. The producer starts it
        with ``Environment.call_soon``, where a process would start.
        """
        now = self.env.now
        if self.paused_until > now:  # a GC pause: the pass runs when it ends
            self.env.at(self.paused_until, self.run, ())
            return
        self._drain_ready(now)
        self._asleep = True

    def _drain_ready(self, now: float) -> None:
        """One pass: drain every ready leader with a free in-flight slot, and arm the next timer."""
        acc = self.producer.accumulator
        mif = self.max_in_flight
        producer = self.producer
        next_ms = INF  # the earliest time a node that can take a request has a sendable partition
        tm = self.transaction_manager
        if tm is not None:
            if tm.unresolved or tm.epoch_bump_required:
                tm.maybe_resolve_and_bump()
            tm.wake = False  # this pass looks at every partition
        brokers = self._brokers
        queues = self._queues
        ids = self._node_ids
        # Each leader's earliest ready time read from the accumulator's arrays as ``node_ready_ms`` reads it
        # (that call, which recomputes a stale time, only when the time is stale: as a call for every leader
        # of every pass it cost 1 % of a large cluster's run); a leader that is not due and cannot bring the
        # next timer forward is passed over without touching its queue of requests (most leaders, most
        # passes: a producer of a large cluster leads to dozens).
        ready_at = acc._ready_at
        dirty = acc._dirty
        rows = len(ready_at)
        exhausted = acc.exhausted
        for i in range(len(ids)):
            node = ids[i]
            k = node + 1
            if k >= rows:
                r = INF
            elif dirty[k]:
                r = acc.node_ready_ms(node)
            else:
                r = ready_at[k]
            if r > now and r >= next_ms and not exhausted:
                continue
            q = queues[i]
            if len(q) >= mif or node < 0:
                continue  # no free slot, or the partitions have no leader (they wait for metadata)
            if r <= now or (exhausted and acc.node_ready(node, now)):
                broker = brokers[node]
                if node in self._reconnect.waiting and broker.running:  # reconnect after the backoff
                    retry = self._reconnect.next_attempt(node, now, True)
                    if retry > now:
                        if retry < next_ms:
                            next_ms = retry
                        continue
                if not broker.running:  # the connection is refused: try again after a backoff
                    producer.metadata.request_update()  # NetworkClient: handleServerDisconnect
                    retry = self._reconnect.next_attempt(node, now, False)
                    if retry < next_ms:
                        next_ms = retry
                    continue
                batches = acc.drain_node(node, now, self.max_request_size, producer.index, self._codec_wire)
                if batches:
                    self._send(node, batches, now)
                    if len(q) >= mif:
                        continue
                r = acc.node_ready_ms(node)  # after the drain
            if r < next_ms:
                next_ms = r
        if next_ms <= now:
            next_ms = now  # drained partially (max.request.size): go again
        if next_ms < INF:
            self._arm(next_ms)

    def _close(self, node: int) -> None:
        """A request to ``node`` timed out: NetworkClient closes the connection and the next request goes
        on a new one. The broker drops the requests it had not read yet (a muted connection's: at most
        ``max.in.flight.requests.per.connection`` - 1), and still handles the one it was handling, whose
        answer is lost. So the broker never appends more of a producer's batches than were in flight,
        its last five batches per producer still hold a retried one, and the idempotent producer's retry
        is answered as a duplicate. The new connection waits ``reconnect.backoff.ms``, as
        ``ClusterConnectionStates.disconnected`` makes it."""
        p = self.producer
        conn = p._conn.pop(node, None)
        if conn is not None:
            p.cluster.brokers[node].socket_server.close(conn)
        self._stream_ms.pop(node, None)
        self._reconnect.disconnected(node, self.env.now)

    def on_node_disconnected(self, node: int) -> None:
        """The connection to ``node`` was reset: its requests in flight fail with ``NETWORK_EXCEPTION``
        (retriable; the outcome is unknown) and the metadata is refreshed (``handleServerDisconnect``)."""
        now = self.env.now
        if self.paused_until > now:  # a GC pause: the reset is handled when it ends
            self.env.at(self.paused_until, self.on_node_disconnected, (node,))
            return
        q = self.in_flight.get(node)
        self.producer.metadata.request_update()
        if q:
            failed = list(q)
            q.clear()
            for r in failed:
                r.timed_out = True  # a response still on its way is ignored
                for b in r.batches:
                    self._retry_or_fail(b, now, "NETWORK_EXCEPTION")
        self.wakeup()

    def _arm(self, when_ms: float) -> None:
        if when_ms < self._timer_at or self._timer_at <= self.env.now:
            self._timer_at = when_ms
            self.env.at(when_ms, self._on_timer_cb, (when_ms,))

    def _on_timer(self, when_ms: float) -> None:
        if when_ms == self._timer_at:
            self._timer_at = INF
            if self._asleep:  # the pass runs now (``wakeup`` would schedule it for this same instant)
                self._asleep = False
                self.run()

    def wakeup(self) -> None:
        """Wake the sender thread (a batch may be sendable, or an in-flight slot freed)."""
        if self._asleep:
            self._asleep = False
            self.env.later(0.0, self._run_cb, ())

    def _send(self, node: int, batches: list[ProducerBatch], now: float) -> None:
        p = self.producer
        wire = _PRODUCE_REQUEST_OVERHEAD
        records = 0
        # Batches sent for the first time: they count in the batch statistics and take pool memory.
        new_batches = new_records = new_bytes = new_alloc = 0
        state = None if self.transaction_manager is None else []
        for b in batches:
            if state is not None:
                state.append((b.producer_id, b.producer_epoch, b.base_sequence))
            wire += b.wire_bytes
            records += b.count
            if b.attempts == 0:
                new_batches += 1
                new_records += b.count
                new_bytes += b.wire_bytes
                new_alloc += b.alloc_bytes
            b.attempts += 1
        req = fill_produce_request(
            ProduceRequest.__new__(ProduceRequest),
            self,
            node,
            batches,
            now,
            self.acks,
            wire,
            records,
            p.connection(node),
            p.host,
            p.codec,
            self.request_timeout_ms,
        )
        req.producer_state = state
        p.inflight_alloc += new_alloc
        self.in_flight[node].append(req)
        self.requests_sent += 1
        p.recorder.request_sent(self._topic_name, new_batches, new_records, new_bytes)
        broker = self._brokers[node]
        tx_end, delivered = self.network.transfer(
            p.host, broker.host, now, req.wire_bytes, self.window, self._stream_ms.get(node, 0.0)
        )
        if delivered == INF:  # a network partition: lost on the way; it times out (request.timeout.ms)
            return
        self._stream_ms[node] = delivered
        req.arrive_ms = delivered
        broker.handle_produce(req)  # books the broker's stations for the arrival time
        if self.acks == 0:
            self.env.at(tx_end, self._complete_cb, (req,))

    def on_produce_response(self, req: ProduceRequest) -> None:
        """The broker's answer (the request's ``client`` is this sender)."""
        self.complete(req)

    def complete(self, req: ProduceRequest) -> None:
        """A produce response arrived (or, with acks=0, the request left the NIC)."""
        if req.timed_out:
            return
        if self.paused_until > self.env.now:  # a GC pause: the response is read when it ends
            self.env.at(self.paused_until, self.complete, (req,))
            return
        q = self.in_flight[req.node]
        was_full = len(q) >= self.max_in_flight
        if q and q[0] is req:
            del q[0]  # the usual case: answers come in send order (a muted connection's order)
        else:
            try:
                q.remove(req)
            except ValueError:
                return
        now = self.env.now
        p = self.producer
        errors = req.errors
        offsets = req.base_offsets
        if offsets is not None and req.acks != 0:  # RecordMetadata.offset of each batch's first record
            batches = req.batches
            if len(offsets) != len(batches):
                raise ValueError(f"{len(offsets)} base offsets for {len(batches)} batches")
            for i in range(len(batches)):  # (a loop by index: zip's strict= is parsed as a keyword each call)
                off = offsets[i]
                if off >= 0:
                    b = batches[i]
                    b.base_offset = off
        if self._expired and not self._expired.isdisjoint(req.batches):
            # Some of its batches expired in flight: their futures have failed already, so whatever the
            # broker answered for them is ignored (Kafka: ``ProducerBatch.done`` returns false).
            gone = self._expired
            if errors is None:
                errors = [None] * len(req.batches)
            errors = ["EXPIRED" if b in gone else e for b, e in zip(req.batches, errors, strict=True)]
            gone.difference_update(req.batches)
        if errors is None:
            p.batches_done(req.batches, req, now)
        else:
            for b, err in zip(req.batches, errors, strict=True):
                if err == "EXPIRED":
                    continue
                if err is None:
                    p.batches_done([b], req, now)
                    continue
                if err in METADATA_ERRORS:  # the leader moved: take the hint, or ask for metadata
                    hint = req.new_leaders.get(b.tp) if req.new_leaders is not None else None
                    if hint is None or not p.metadata.update_leader(b.tp, *hint):
                        p.metadata.request_update()
                self._retry_or_fail(b, now, err)
        tm = self.transaction_manager
        if tm is not None and (tm.wake or tm.unresolved or tm.epoch_bump_required):
            self.wakeup()  # a partition may go again, or sequences need resolving (each sender pass)
        elif was_full:  # the node could not take a request; now it can
            self.wakeup()

    # ------------------------------------------------------------------ timeouts
    def _out_of_pause(self, tick: float, interval: float):
        """The sweep during a GC pause: wait for its end and for the responses read then (Kafka's
        ``NetworkClient.poll`` handles them before it checks the timeouts); returns the next tick after."""
        env = self.env
        while self.paused_until > env.now:
            yield env.timeout(self.paused_until - env.now)
        yield env.timeout(0.0)
        while tick <= env.now:
            tick += interval
        return tick

    def sweep(self):
        """Request and delivery timeouts, checked every ``TIMEOUT_SWEEP_MS`` or a tenth of a timeout."""
        env = self.env
        p = self.producer
        shortest = min(self.request_timeout_ms, self.delivery_timeout_ms)
        interval = max(min(TIMEOUT_SWEEP_MS, shortest / 10.0), 0.1)
        delivery = self.delivery_timeout_ms
        tick = env.now + interval
        while True:
            # delivery.timeout.ms expires each batch on time (Sender.sendProducerData polls until the
            # accumulator's next expiry): wake for the earliest deadline if it comes before the next check.
            due = min(self._oldest_in_flight_ms(), p.oldest_unsent_ms()) + delivery
            if env.now < due < tick:
                yield env.timeout(due - env.now)
                if self.paused_until > env.now:  # a GC pause: the deadline is enforced when it ends
                    tick = yield from self._out_of_pause(tick, interval)
                now = env.now
                self._expire_in_flight(now)
                p.expire_queued(now, delivery)
                continue
            yield env.timeout(tick - env.now)
            tick += interval
            if self.paused_until > env.now:  # a GC pause: the timeouts are enforced when it ends
                tick = yield from self._out_of_pause(tick, interval)
            now = env.now
            for q in self.in_flight.values():
                # Requests are in send order, so the oldest one decides.
                if not q or now - q[0].send_ms < self.request_timeout_ms:
                    continue
                # Kafka disconnects the node: every in-flight request on it fails.
                failed = list(q)
                q.clear()
                self._close(failed[0].node)
                for r in failed:
                    r.timed_out = True
                    for b in r.batches:
                        self._retry_or_fail(b, now, "REQUEST_TIMED_OUT")
                self.wakeup()
            self._expire_in_flight(now)
            p.expire_queued(now, delivery)
            tm = self.transaction_manager
            if tm is not None and (tm.wake or tm.unresolved or tm.epoch_bump_required):
                self.wakeup()

    def _oldest_in_flight_ms(self) -> float:
        """The ``send()`` time of the oldest batch in flight that has not expired (inf: none)."""
        first = INF
        expired = self._expired
        for q in self.in_flight.values():
            for r in q:
                for b in r.batches:
                    t = b.first_create_ms
                    if t < first and b not in expired:
                        first = t
        return first

    def _expire_in_flight(self, now: float) -> None:
        """Batches in flight for longer than ``delivery.timeout.ms`` since their first ``send()`` fail now
        with a ``TimeoutException`` (``Sender.getExpiredInflightBatches``, Kafka 2.1+); their requests
        stay in flight, and whatever the broker later answers for them is ignored."""
        cutoff = now - self.delivery_timeout_ms
        expired = self._expired
        for q in self.in_flight.values():
            for r in q:
                for b in r.batches:
                    if b.first_create_ms <= cutoff and b not in expired:
                        expired.add(b)
                        self.producer.batch_failed(b, "DELIVERY_TIMEOUT", now, in_retry=b.attempts > 1)

    def _retry_or_fail(self, batch: ProducerBatch, now: float, error: str) -> None:
        """``Sender.canRetry``: within the delivery timeout and retries, and a retriable error (for the
        idempotent producer, as ``TransactionManager.canRetry`` decides); else the batch fails."""
        if self._expired and batch in self._expired:  # failed already, by delivery.timeout.ms in flight
            self._expired.discard(batch)
            return
        p = self.producer
        if (
            batch.attempts <= self.retries
            and now - batch.first_create_ms < self.delivery_timeout_ms
            and (
                error in RETRIABLE
                if self.transaction_manager is None
                else self.transaction_manager.can_retry(error, batch, error in RETRIABLE)
            )
        ):
            p.accumulator.reenqueue(batch, now)
            p.recorder.retried(batch)
        else:
            p.batch_failed(batch, error, now)
