"""``KafkaConsumer`` with ``assign()``: the poll loop and its ``Fetcher``.

What Kafka does (``clients/.../consumer/KafkaConsumer.java``, ``internals/Fetcher``,
``AbstractFetch``): the fetcher keeps at most one fetch in flight per broker, asking for every assigned
partition led by that broker that has no buffered data, from its position, with ``fetch.min.bytes``,
``fetch.max.wait.ms``, ``fetch.max.bytes`` and ``max.partition.fetch.bytes``. Completed fetches are
buffered; ``poll()`` returns at most ``max.poll.records`` records from the buffer and, before
returning, sends the next fetches (pipelining). The application then processes the records and polls
again. A new assignment starts at ``auto.offset.reset`` (``latest``: the log end; ``earliest``: the log
start) when there is no committed offset.

What is modelled: exactly that loop (``_poll``), as callbacks on the simulation clock; fetched batches
stay numpy columns; processing time is drawn per record from the scenario's distribution and summed per poll.
End-to-end latency is measured when ``poll()`` hands a record to the application (``consume_ms`` −
``create_ms``), as the OpenMessaging Benchmark does. The consumer's position (``consumed_positions``,
Kafka's ``position()``: the next offset ``poll()`` will hand out) is read once per metrics window for the
``lag`` frame. A consumer entry's partitions are split among its instances by ``RangeAssignor``'s rule
(``eventsim.group.assignors``), once, before the run. Each fetch goes to the partitions' leader as the
consumer's ``Metadata`` knows it (``metadata.py``); a partition answered ``NOT_LEADER_OR_FOLLOWER``
moves to the leader the response names (KIP-951), or the metadata is refreshed.

A broker whose process died resets its connections: the fetch in flight to it is lost, the metadata is
refreshed, and the broker is connected to again after ``reconnect.backoff.ms`` (default 50 ms), doubling
per refused attempt up to ``reconnect.backoff.max.ms`` (default 1,000 ms), each wait within 20 % either way
(``ReconnectBackoff``, as for the producer). Fetches for partitions with no leader known wait for the
metadata and are tried again 50 ms later; metadata that names a new leader wakes ``poll()`` at once.

With ``variability.client_gc`` the consumer's JVM has young collections (``eventsim.jvm``): eden fills
with the bytes its NIC has received (its fetch responses), checked as each response is read
(``on_fetch_response``). A pause stops the consumer's threads until ``paused_until``: the response that
filled eden, and any that arrive during the pause, are read when it ends; ``poll()`` does not run (so no
fetches are sent); and records being processed when it began finish that much later, their CPU time moved
past the pause (the ``clients`` frame counts no pause as busy). The checks sit at the two entry points,
``on_fetch_response`` (per response) and ``_poll`` (per ``poll()``), never per record.

Not modelled: consumer groups, rebalances and offset commits (``group/``, later), decompression cost on
the consumer, and ``isolation.level`` (no transactions yet).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from eventsim.config.common import (
    RECONNECT_BACKOFF_MS,
    tcp_window,
)
from eventsim.core.backoff import ReconnectBackoff
from eventsim.metadata import DEFAULT_REFRESH_BACKOFF_MS, Metadata
from eventsim.protocol import (
    CONSUMER_REPLICA_ID,
    FETCH_REQUEST_BYTES,
    VALUE_BYTES,
    FetchLimits,
    FetchRequest,
    fill_fetch_request,
)
from eventsim.structs import TopicPartition, topic_partition

__all__ = ["KafkaConsumer"]

INF = float("inf")
_FETCH_REQUEST_BYTES = FETCH_REQUEST_BYTES  # compiled, C numbers (consumer.pxd)
_CONSUMER_REPLICA_ID = CONSUMER_REPLICA_ID


class _Assigned:
    """An assigned partition's fetch state: its position (the next offset to fetch, Kafka's
    ``SubscriptionState``) and how many of its fetched batches wait in the buffer. One object per
    partition, carried in the buffer's entries: a fetch and its response read and write it in place
    instead of looking the partition up in a dictionary per field."""

    __slots__ = ("tp", "position", "buffered")

    def __init__(self, tp: TopicPartition):
        self.tp = tp
        self.position = 0
        self.buffered = 0


class KafkaConsumer:
    def __init__(self, env, cluster, spec, instance: int, partitions: list[int], recorder, host):
        self.env = env
        # Bound once: the callbacks scheduled on every request (a method read off an object is a new
        # bound-method object each time).
        self.response_cb = self.on_fetch_response
        self._on_data_cb = self._on_data
        self._poll_cb = self._poll
        self.cluster = cluster
        self._brokers = cluster.brokers  # by id (the cluster's list: read on every fetch and response)
        self.network = cluster.network
        self.spec = spec
        self.config = spec.config
        self._fetch_limits = FetchLimits(self.config)
        self._max_poll_records = self.config.max_poll_records  # read on every poll(): a field
        self.instance = instance
        self.client_id = f"{spec.name}-{instance}"
        self.recorder = recorder
        self.host = host
        self.assignment = [topic_partition(spec.topic, p) for p in partitions]
        self._conn: dict[int, int] = {}
        # The leaders as this client knows them (Kafka's ConsumerMetadata), refreshed while it runs.
        self.metadata = Metadata(
            env,
            cluster,
            spec.topic,
            self.config.metadata_max_age_ms,
            host,
            DEFAULT_REFRESH_BACKOFF_MS,
            self.connection,
        )
        self.metadata.in_flight_by_node = self._in_flight_count
        # Fetch responses' TCP window: this consumer's receive.buffer.bytes and the brokers' send buffers.
        self._window = tcp_window(
            cluster.scenario.broker.socket_send_buffer_bytes, self.config.receive_buffer_bytes
        )
        self.metadata.listeners.append(self._leader_moved)
        self._states: dict[TopicPartition, _Assigned] = {tp: _Assigned(tp) for tp in self.assignment}
        # The assigned partitions' states by leader, in assignment order (what a fetch to a leader asks for)
        self._node_states: dict[int, list[_Assigned]] = {}
        for tp in self.assignment:
            self._node_states.setdefault(self.metadata.leader_for(tp), []).append(self._states[tp])
        self._positioned = False  # positions are known from ``_position`` on
        self.buffer: deque = deque()  # [partition state, batch, index of next record, arrival ms]
        self.in_flight: set[int] = set()
        self._idle: set = set(self._node_states)  # leaders with no fetch in flight (none is at the start)
        # The last leader whose fetch came back: usually the only one idle, taken without iterating the set
        # (a set of a few nodes left in a table sized for all of them: a scan of every slot).
        self._last_idle = -1
        self._blocked = False  # poll() waits for a fetch response
        self._busy_until = 0.0  # when the application finishes the records of the last poll()
        self._fixed_ms = None  # the processing time per record when it is fixed (None: drawn)
        self._retry_at = 0.0  # when fetches that could not be sent are tried again
        # Connection attempts to the brokers it lost (reconnect.backoff.ms, drawn from its own stream).
        self._reconnect = ReconnectBackoff(
            self.config.reconnect_backoff_ms,
            self.config.reconnect_backoff_max_ms,
            env.rng(f"consumer.{self.client_id}.reconnect"),
        )
        self.skipped = 0  # offsets poll() jumped over (records the log no longer had)
        self.rewinds = 0  # positions reset below where poll() had come (offsets handed out again)
        self.jvm = None  # the JVM's young collections (variability.client_gc; eventsim.jvm.YoungCollector)
        self.paused_until = 0.0  # a young collection stops the consumer's threads until then
        # Where poll() puts what it hands out: one set of columns per topic and group.
        self._polled = recorder.polled_columns(spec.topic, self.config.group_id)
        self.rng_processing = env.rng(f"consumer.{self.client_id}.processing")
        # Hold the logs' record columns from the start of the run until this consumer positions itself.
        for tp in self.assignment:
            cluster.log(tp).register_reader(self, 0)

    def start(self) -> None:
        self.env.call_soon(self._begin)  # scheduled where a new process would start
        self.env.process(self.metadata.refresh_loop())

    def _in_flight_count(self, node: int) -> int:
        return 1 if node in self.in_flight else 0

    @property
    def by_node(self) -> dict:
        """The assigned partitions by the leader this consumer fetches them from."""
        return {node: [st.tp for st in states] for node, states in self._node_states.items()}

    def _leader_moved(self, tp, old: int, new: int) -> None:
        """Metadata says ``tp`` has a new leader: the next fetches for it go there."""
        st = self._states.get(tp)
        states = self._node_states.get(old)
        if st is None or states is None or st not in states:
            return
        states.remove(st)
        if not states:
            del self._node_states[old]
        self._node_states.setdefault(new, []).append(st)
        self._idle = {node for node in self._node_states if node not in self.in_flight}
        self._wake_poll()  # a poll() blocked in the network client returns with the metadata: fetch there

    def _fetch_done(self, node: int) -> None:
        """The fetch to ``node`` was answered or lost: the next one may go."""
        self.in_flight.discard(node)
        if node in self._node_states:
            self._idle.add(node)
            self._last_idle = node

    def connection(self, node: int) -> int:
        c = self._conn.get(node)
        if c is None:
            c = self._conn[node] = self.cluster.brokers[node].connect()
        return c

    # ------------------------------------------------------------------ fetcher
    def send_fetches(self) -> None:
        """One fetch per leader with no fetch in flight, for its partitions with no buffered data."""
        in_flight = self.in_flight
        if len(in_flight) == len(self._node_states):
            return  # a fetch is already out to every leader
        now = self.env.now
        idle = self._idle
        # The leaders with no fetch in flight, in ``_node_states``' order: usually the one that just answered.
        if len(idle) == 1 and self._last_idle in idle:
            nodes = [self._last_idle]
        else:
            nodes = list(idle) if len(idle) < 2 else [node for node in self._node_states if node in idle]
        for node in nodes:
            parts = []
            offsets = []
            for st in self._node_states[node]:  # (a loop, not a comprehension: compiled, ``st`` is typed)
                if not st.buffered:
                    parts.append(st.tp)
                    offsets.append(st.position)
            if not parts:
                continue
            if node < 0:
                self.metadata.request_update()  # no leader known
                self._retry_later(now)
                continue
            broker = self._brokers[node]
            if node in self._reconnect.waiting or not broker.running:
                at = self._reconnect.next_attempt(node, now, broker.running)
                if at > now:  # within the backoff, or the connection is refused
                    if not broker.running:
                        self.metadata.request_update()
                    self._wake_at(at)
                    continue
            fetch = fill_fetch_request(
                FetchRequest.__new__(FetchRequest), self, node, parts, offsets, self._fetch_limits, now,
                self.connection(node), self.host, _CONSUMER_REPLICA_ID, self.response_cb,
            )
            fetch.window = self._window
            in_flight.add(node)
            idle.discard(node)
            delivered = self.network.control(self.host, broker.host, now, _FETCH_REQUEST_BYTES)
            if delivered == INF:  # a network partition: lost on the way; it times out (Cluster.partitioned)
                continue
            fetch.arrive_ms = delivered
            broker.handle_fetch(fetch)  # books the broker's stations for the arrival time

    def bytes_received(self) -> int:
        """What the consumer's NIC has received so far (its fetch responses): what fills its JVM's eden."""
        return self.host.bytes_in

    def gc_pause(self, duration_ms: float) -> None:
        """A young collection stops the JVM from now for ``duration_ms``. Processing under way stops too: it
        ends ``duration_ms`` later, and the CPU time booked for the pause's span moves past it."""
        env = self.env
        now = env.now
        end = now + duration_ms
        if end > self.paused_until:
            self.paused_until = end
        busy_until = self._busy_until
        if busy_until > now:
            cpu = self.host.cpu
            _take_back(cpu, now, busy_until)
            cpu.add_interval(end, busy_until + duration_ms)
            self._busy_until = busy_until + duration_ms

    def on_fetch_response(self, fetch: FetchRequest, data) -> None:
        now = self.env.now
        jvm = self.jvm  # (its allocation is what it received, ``bytes_received``, read as a C number)
        if jvm is not None and (self.paused_until > now or jvm.collect_if_full(self.host.bytes_in) > 0.0):
            # The JVM is paused (or reading this response filled eden): it is read when the pause ends.
            self.env.at(self.paused_until, self.on_fetch_response, (fetch, data))
            return
        self._fetch_done(fetch.node)
        if fetch.new_leaders is not None:  # NOT_LEADER_OR_FOLLOWER: follow the hint, or ask for metadata
            for tp, (leader, epoch) in fetch.new_leaders.items():
                if not self.metadata.update_leader(tp, leader, epoch):
                    self.metadata.request_update()
        buffer = self.buffer
        states = self._states
        broker = self._brokers[fetch.node]
        logs = broker.logs
        if fetch.out_of_range is not None:
            self._reset_positions(fetch.out_of_range, logs)
        for tp, batches in data:
            st = states[tp]
            pos = st.position
            added = 0
            for b in batches:
                nxt = b.next_offset
                if nxt <= pos:
                    continue
                start = pos - b.base_offset
                if start < 0:  # the log has no records from pos to this batch: they are skipped
                    self.skipped += -start
                buffer.append([st, b, start if start > 0 else 0, now])
                added += 1
                pos = nxt
            st.buffered += added
            st.position = pos
            log = logs[tp]
            log.advance_reader(self, pos)
        # A response wakes a poll() blocked in the network client; poll() then sends the next fetches.
        if self._blocked:
            self._blocked = False
            self.env.later(0.0, self._on_data_cb, ())

    def _reset_positions(self, tps, logs) -> None:
        """``OFFSET_OUT_OF_RANGE``: the position is past the log end (the log lost records in an unclean
        election): start again where ``auto.offset.reset`` says, as a ``ListOffsets`` answer would. A
        position that moves back makes ``poll()`` hand out offsets it handed out before (``rewinds``)."""
        earliest = self.config.auto_offset_reset == "earliest"
        for tp in tps:
            log = logs[tp]
            st = self._states[tp]
            pos = log.log_start_offset if earliest else log.high_watermark
            if pos < st.position:
                self.rewinds += 1
            elif pos > st.position:
                self.skipped += pos - st.position
            st.position = pos
            log.advance_reader(self, pos)

    def on_broker_disconnected(self, node: int) -> None:
        """Broker ``node``'s process died: the fetch in flight to it is lost, the metadata is refreshed,
        and ``poll()`` sends its fetches again."""
        self._fetch_done(node)
        self.metadata.on_disconnect(node)
        self.metadata.request_update()
        self._reconnect.disconnected(node, self.env.now)
        self._wake_poll()

    def _retry_later(self, now: float) -> None:
        """Fetches for partitions with no leader known go again 50 ms later (the metadata refresh meanwhile
        may name one)."""
        self._wake_at(now + RECONNECT_BACKOFF_MS)

    def _wake_at(self, at: float) -> None:
        """``poll()`` sends its fetches again at ``at`` (unless a wake-up comes first)."""
        if self._retry_at <= self.env.now or at < self._retry_at:
            self._retry_at = at
            self.env.at(at, self._wake_poll, ())

    def _wake_poll(self) -> None:
        if self._blocked:  # poll() is blocked in the network client: it sends its fetches again
            self._blocked = False
            self.env.later(0.0, self._on_data_cb, ())

    def consumed_positions(self) -> dict:
        """Kafka's ``position(tp)`` of each assigned partition: the offset of the next record ``poll()``
        will hand to the application (what consumer lag is measured from). Fetched records still in the
        buffer are not consumed yet: a partition with buffered records is at its first buffered record,
        one without at its fetch position. Empty until the consumer has positioned itself (``start_ms``).
        """
        if not self._positioned:
            return {}
        out = {}
        for entry in self.buffer:  # oldest first: the first entry of a partition is its position
            tp = entry[0].tp
            if tp not in out:
                out[tp] = entry[1].base_offset + entry[2]
        for tp in self.assignment:
            if tp not in out:
                out[tp] = self._states[tp].position
        return out

    @property
    def positions(self) -> dict:
        """The fetch position of each assigned partition (the next offset to fetch); empty until the
        consumer has positioned itself."""
        if not self._positioned:
            return {}
        return {tp: st.position for tp, st in self._states.items()}

    # ------------------------------------------------------------------ poll loop
    def _take(self, max_records: int, now: float) -> int:
        """``poll()`` at ``now``: up to ``max.poll.records`` records from the buffer; returns how many.

        Each run of records taken from one fetched batch goes straight into the recorder's columns for
        the topic (count, poll and arrival times, the batch's append time, value bytes, record blocks).
        """
        n = 0
        buf = self.buffer
        cols = self._polled
        while buf and n < max_records:
            entry = buf[0]
            st, b, i, arrived = entry
            count = b.count
            k = count - i
            if k > max_records - n:
                k = max_records - n
                entry[2] = i + k
            else:
                buf.popleft()
                st.buffered -= 1
            if k == count:
                cols.add(k, now, arrived, b.log_append_ms, b.value_total, b.records)
            else:
                chunk = b.records[i : i + k]
                cols.add(k, now, arrived, b.log_append_ms, int(chunk[:, VALUE_BYTES].sum()), chunk)
            n += k
        return n

    def _begin(self) -> None:
        """The application starts: at ``start_ms`` it positions itself and calls ``poll()`` the first time."""
        env = self.env
        start_ms = self.spec.start_ms
        if start_ms > env.now:
            env.later(start_ms - env.now, self._position, ())
        else:
            self._position()

    def _position(self) -> None:
        env = self.env
        reset = self.config.auto_offset_reset
        for tp in self.assignment:
            log = self.cluster.brokers[self.metadata.leader_for(tp)].logs[tp]
            # ListOffsets LATEST answers a consumer with the high watermark (what it may read), not the LEO.
            pos = log.log_start_offset if reset == "earliest" else log.high_watermark
            self._states[tp].position = pos
            log.advance_reader(self, pos)
        self._positioned = True
        dist = self.spec.processing_ms
        self._fixed_ms = float(dist.params["value"]) if dist.kind == "fixed" else None
        self._busy_until = env.now
        self._poll()

    def _poll(self) -> None:
        """The application's loop: ``poll()``, then process the records, then ``poll()`` again.

        ``poll()`` hands out what is buffered; with nothing buffered it blocks in the network client until
        a fetch response arrives (``_on_data``). The loop is a chain of callbacks on the kernel's clock
        rather than a generator process: it is woken once per fetch response, and a wake-up then costs a
        function call instead of an event object and a generator resumption.
        """
        env = self.env
        if self.jvm is not None:  # a GC pause, or processing a pause stretched: poll() runs after it
            wait = self._busy_until if self._busy_until > self.paused_until else self.paused_until
            if wait > env.now:
                env.at(wait, self._poll_cb, ())
                return
        max_records = self._max_poll_records
        fixed = self._fixed_ms
        while True:
            if not self.buffer:
                self.send_fetches()
                self._blocked = True  # until a fetch response arrives
                return
            now = env.now
            n = self._take(max_records, now)
            self.send_fetches()  # pipelining: the next fetches go out before the records are processed
            if fixed is not None:  # a fixed cost per record: no draws needed
                processing = fixed
                busy = fixed * n
            else:
                processing = self.spec.processing_ms.sample(self.rng_processing, n)
                busy = float(processing.sum())
            self.recorder.consumed(self._polled, n, processing)
            self._busy_until = now + busy
            if busy > 0:
                cpu = self.host.cpu
                cpu.add_interval(now, now + busy)
            if busy > 0 and self.buffer:
                env.later(busy, self._poll_cb, ())
                return
            # With nothing buffered (and so a fetch out to every leader) the wait for the next response
            # overlaps the processing: the loop only sleeps through what is left of it once data comes.

    def _on_data(self) -> None:
        """A fetch response woke the blocked ``poll()``: it returns once the application is free."""
        env = self.env
        if env.now < self._busy_until:  # it came while the application was still processing
            env.later(self._busy_until - env.now, self._poll_cb, ())
        else:
            self._poll()


def _take_back(cpu, start_ms: float, end_ms: float) -> None:
    """Take the busy time booked on ``[start_ms, end_ms)`` back from ``cpu`` (a ``BusyTracker``), window by
    window: a GC pause stopped the work booked there (it is booked again after the pause)."""
    w = cpu.window_ms
    edges = np.arange((start_ms // w + 1) * w, end_ms, w)
    bounds = np.concatenate(([start_ms], edges, [end_ms]))
    spans = np.diff(bounds)
    # add_short counts each span in the window of the time given: the span's midpoint, inside its window.
    cpu.add_short(bounds[:-1] + spans / 2.0, -spans, -float(spans.sum()))
