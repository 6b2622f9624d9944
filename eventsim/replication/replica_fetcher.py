"""``ReplicaFetcherThread``: how a follower copies its leaders' logs.

What Kafka does (``core/.../server/ReplicaFetcherThread.scala``, ``AbstractFetcherThread``,
``AbstractFetcherManager``): a follower broker runs ``num.replica.fetchers`` fetcher threads per source
broker; partition ``p`` of topic ``t`` goes to fetcher ``abs(31 * t.hashCode() + p) % num.replica.fetchers``
(``getFetcherId``). Each thread loops: one fetch request to the leader for all its partitions, each from
the follower's log end offset, with ``replica.fetch.min.bytes``, ``replica.fetch.wait.max.ms``,
``replica.fetch.max.bytes`` per partition and ``replica.fetch.response.max.bytes`` per response; the
leader parks it like a consumer's fetch until there is data or the wait is over. The thread appends what
comes back to the follower's logs (the page cache; the disk writes it back), takes each partition's high
watermark from the response (never above its own log end offset), and sends the next fetch at once.

What is modelled: exactly that loop, without a SimPy process: a response arrives, the fetcher thread
appends it (CPU per request and per MiB on the thread, a station of its own, then the follower's disk
write-back, which throttles it when the disk falls behind) and sends the next fetch when it is done. The
leader sees the fetch as any other request (its network thread, request queue, handler threads and NIC),
so replication costs the cluster bandwidth and threads.

When the leader of a partition changes, the follower truncates its log where it diverges from the new
leader's (``log.truncation_offset``) and the partition moves to the fetcher thread for the new leader;
a fetch whose connection was reset (the leader's process died) is given up, and the thread tries again
after ``replica.fetch.backoff.ms``.

Not modelled: fetch sessions (KIP-227) and their smaller requests, the ``OffsetsForLeaderEpoch`` round
trip before a truncation, throttled replication (quotas) and fetching from the closest replica (KIP-392).
"""

from __future__ import annotations

from eventsim.config.common import tcp_window
from eventsim.core.stations import Station
from eventsim.protocol import (
    FETCH_REQUEST_BYTES,
    LEGACY_FOLLOWER_PASSES,
    FetchLimits,
    FetchRequest,
    fill_fetch_request,
)

__all__ = ["ReplicaFetcherThread", "ReplicaFetchConfig", "fetcher_id", "java_string_hash"]

MIB = 1024.0 * 1024.0
INF = float("inf")
_FETCH_REQUEST_BYTES = FETCH_REQUEST_BYTES  # compiled, a C number


def java_string_hash(s: str) -> int:
    """``String.hashCode()``: ``s[0]*31^(n-1) + ... + s[n-1]`` in 32-bit two's complement."""
    h = 0
    units = s.encode("utf-16-be")  # Java hashes UTF-16 code units
    for i in range(0, len(units), 2):
        h = (31 * h + (units[i] << 8 | units[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def fetcher_id(topic: str, partition: int, num_fetchers: int) -> int:
    """``AbstractFetcherManager.getFetcherId``: ``Utils.abs(31 * topic.hashCode() + partition) % n``."""
    v = (31 * java_string_hash(topic) + partition) & 0xFFFFFFFF
    if v >= 1 << 31:
        v -= 1 << 32
    v = 0 if v == -(1 << 31) else abs(v)  # Utils.abs
    return v % num_fetchers


class ReplicaFetchConfig(FetchLimits):
    """A follower's fetch limits, under the names a ``FetchRequest`` reads (``replica.fetch.*``)."""

    __slots__ = ()

    def __init__(self, broker_config):
        self.fetch_min_bytes = broker_config.replica_fetch_min_bytes
        self.fetch_max_wait_ms = broker_config.replica_fetch_wait_max_ms
        self.fetch_max_bytes = broker_config.replica_fetch_response_max_bytes
        self.max_partition_fetch_bytes = broker_config.replica_fetch_max_bytes


class ReplicaFetcherThread:
    """One fetcher thread of follower ``broker`` from leader ``source`` (see module docstring)."""

    def __init__(self, broker, source, index: int, window_ms: float):
        self.broker = broker
        # Bound once: the callbacks scheduled on every request (a method read off an object is a new
        # bound-method object each time).
        self.response_cb = self.on_fetch_response
        self._send_fetch_cb = self.send_fetch
        self.env = broker.env
        self.source = source  # the leader's Broker
        self.network = broker.cluster.network
        self.index = index
        self.name = f"broker-{broker.id}.replica-fetcher-{source.id}-{index}"
        self.logs: dict = {}  # tp -> the follower's log
        # ``logs`` as lists in its order, with the leader's logs of the same partitions (a leader keeps its
        # logs for the run), made again once ``logs`` changes (``_slogs`` None until then): a fetch carries
        # the leader's list, and a response to it, while it is still the list, has its high watermarks read
        # by index rather than looked up by partition.
        self._tps: list = []
        self._flogs: list = []
        self._slogs = None
        self._leaders = None  # the leader's Partition of each of ``_tps`` (None unless it leads them all),
        self._leaders_version = -1  # as of its ``led_version`` then: a fetch carries both
        self.config = ReplicaFetchConfig(broker.config)
        # The fetch responses' TCP window: the follower's replica.socket.receive.buffer.bytes and the
        # leader's socket.send.buffer.bytes.
        self.window = tcp_window(
            source.config.socket_send_buffer_bytes, broker.config.replica_socket_receive_buffer_bytes
        )
        self.thread = Station(self.name, 1, window_ms)
        # Before 0.11 the fetcher and the append pass over every v0/v1 message (protocol.py).
        legacy = broker.profile.message_pass_cpu_ms if broker.cluster.magic < 2 else 0.0
        self.pass_ms = LEGACY_FOLLOWER_PASSES * legacy
        self.conn = -1
        self.fetches = 0
        self.running = False
        self.in_flight = None  # the fetch whose response the thread waits for
        self.backoff_ms = float(broker.config.replica_fetch_backoff_ms)

    def add_partition(self, tp, log, start: bool = False) -> None:
        """Fetch ``tp`` into ``log`` from the source broker, from the next fetch on (``start``: now, if
        the thread is idle)."""
        self.logs[tp] = log
        self._slogs = None
        # A replica reads as its log; the partition's replicas share their readers (Log.share_readers).
        self.source.logs[tp].register_reader(log, log.log_end_offset)
        if start and not self.running and self.broker.running:
            # Started once the partitions applied at this instant are all added (Kafka applies a
            # metadata delta at once: addFetcherForPartitions), so the first fetch covers them all.
            self.running = True
            self.env.at(self.env.now, self._start, ())

    def _start(self) -> None:
        self.running = False
        if self.broker.running and self.in_flight is None:
            self.start()

    def remove_partition(self, tp) -> None:
        """Stop fetching ``tp`` (its leader moved); a response on its way is ignored for it."""
        self.logs.pop(tp, None)  # its place stays registered until it fetches again, from any leader
        self._slogs = None

    def clear(self) -> None:
        """The follower broker restarted: the thread holds nothing and waits for nothing. Its logs stay
        registered where they were with the leaders, which keep what they need until they fetch again."""
        self.logs.clear()
        self._slogs = None
        self.running = False
        self.in_flight = None
        self.conn = -1  # the old process's connections died with it: a new one when it fetches again

    def start(self) -> None:
        if not self.logs:
            return
        self.running = True
        if self.conn == -1 or not self.source.running:
            self.conn = self.source.connect()
        for tp, log in self.logs.items():
            self.source.logs[tp].register_reader(log, log.log_end_offset)
        self.send_fetch(self.env.now)

    def on_source_disconnected(self) -> None:
        """The leader's process died: the fetch in flight is lost; try again after
        ``replica.fetch.backoff.ms`` while there is something to fetch."""
        self.in_flight = None
        if self.running:
            self.env.at(self.env.now + self.backoff_ms, self._retry, ())

    def _retry(self) -> None:
        if self.in_flight is not None or not self.running:
            return
        if not self.logs or not self.broker.running:
            self.running = False
            return
        network = self.broker.cluster.network
        if not self.source.running or not network.reachable(self.broker.host.name, self.source.host.name):
            # the connection is refused, or cannot be made across a network partition: back off again
            self.env.at(self.env.now + self.backoff_ms, self._retry, ())
            return
        self.conn = self.source.connect()
        self.send_fetch(self.env.now)

    def send_fetch(self, now: float) -> None:
        broker = self.broker
        if not (self.running and broker.running and self.logs):
            self.running = False
            self.in_flight = None
            return
        if self._slogs is None:
            self._partitions()
        flogs = self._flogs
        offsets = [0] * len(flogs)  # (filled by index: a list of its size at once, not grown)
        for i in range(len(flogs)):
            log = flogs[i]
            offsets[i] = log.log_end_offset
        fetch = fill_fetch_request(  # the partitions: the fetcher's own list, the same on every fetch
            FetchRequest.__new__(FetchRequest), self, self.source.id, self._tps, offsets, self.config, now,
            self.conn, broker.host, broker.id, self.response_cb,
        )
        fetch.logs = self._slogs  # the leader's logs of ``parts`` (Broker._fetch_logs), never changed
        if self._leaders_version != self.source.led_version:
            self._leaders_now()
        fetch.leaders = self._leaders
        fetch.leaders_version = self._leaders_version
        fetch.window = self.window
        network = self.network
        fetch.arrive_ms = network.control(broker.host, self.source.host, now, _FETCH_REQUEST_BYTES)
        self.fetches += 1
        self.in_flight = fetch
        if fetch.arrive_ms == INF:  # a network partition: lost on the way; it times out (Cluster.partitioned)
            return
        self.source.handle_fetch(fetch)  # books the leader's stations for the arrival time

    def _compressed(self, log, tp) -> bool:
        """Whether ``tp``'s stored sets are compressed: the topic's ``compression.type``, or with "producer"
        its producers' (a topic some of whose producers compress counts as compressed)."""
        if log.codec is not None:
            return log.codec.name != "none"
        return tp.topic in self.broker.cluster.compressing_topics

    def _partitions(self) -> None:
        """``logs`` as lists in its order: the partitions, the follower's logs and the leader's."""
        source = self.source.logs
        self._tps = list(self.logs)
        self._flogs = list(self.logs.values())
        self._slogs = [source[tp] for tp in self._tps]
        self._leaders_version = -1

    def _leaders_now(self) -> None:
        """The leader's Partitions of ``_tps`` as it leads them now (None if it has stopped leading one)."""
        led = self.source.partitions
        leaders = [led.get(tp) for tp in self._tps]
        self._leaders = None if None in leaders else leaders
        self._leaders_version = self.source.led_version

    def on_fetch_response(self, fetch, data) -> None:
        """The leader's response: append, take the high watermarks, and fetch again when done."""
        broker = self.broker
        if fetch is not self.in_flight:
            return  # an answer to a fetch given up on (its connection was reset)
        if not broker.running:
            self.running = False
            return
        now = self.env.now
        logs = self.logs
        total = count = 0
        log_manager = broker.log_manager  # the bytes per disk go to its write-back scratch (add_pending)
        source_logs = self.source.logs
        parts = fetch.partitions
        # As sent and still ours: the response's partitions are some of the fetch's, in its order and the
        # same objects (Broker._respond_fetch), so the logs are found by walking the lists, not looked up.
        same = fetch.logs is self._slogs and len(parts) == len(self._flogs)
        tps, flogs, slogs = self._tps, self._flogs, self._slogs
        j = 0
        for tp, entries in data:
            if same:
                while tps[j] is not tp:
                    j += 1
                log = flogs[j]
                source = slogs[j]
            else:
                log = logs.get(tp)
                if log is None:
                    continue  # no longer fetched here
                source = source_logs[tp]
            first = entries[0]
            if first.base_offset != log.log_end_offset:
                continue  # fetched from before a truncation
            log.append_entries(entries, now)
            nbytes = 0
            for e in entries:
                nbytes += e.stored_bytes
            total += nbytes
            if self.pass_ms > 0.0:  # v0/v1: each stored message is read; a compressed set is one, its wrapper
                if self._compressed(log, tp):
                    count += len(entries)
                else:
                    for e in entries:
                        count += e.count
            log_manager.add_pending(log.disk, nbytes)
            source.advance_reader(log, log.log_end_offset)
        hws = fetch.high_watermarks
        if hws is not None:
            if len(hws) != len(parts):
                raise ValueError(f"{len(hws)} high watermarks for {len(parts)} partitions")
            for i in range(len(parts)):  # (by index: zip's strict= is parsed as a keyword each call)
                hw = hws[i]
                log = flogs[i] if same else logs.get(parts[i])
                if log is None:
                    continue
                leo = log.log_end_offset
                log.high_watermark = hw if hw < leo else leo
        end = broker.request_cpu_ms + broker.append_cpu_ms_per_mb * total / MIB + self.pass_ms * count
        end = self.thread.reserve_end(now, end)  # (the CPU, then when it is done)
        if total:
            broker.replication_bytes_in += total
            rate = broker.disk_write_bytes_per_ms
            if log_manager.flushing:  # flush.messages / flush.ms apply to a follower's appends too
                for tp, entries in data:
                    log = logs.get(tp)
                    if log is not None and log.flush_policy and entries:
                        count = 0
                        for e in entries:
                            count += e.count
                        end = log_manager.flush(log, 0, count, end, rate, True)
            end = log_manager.write_back_pending(end, rate)
        else:
            log_manager.drop_pending()  # (nothing appended: nothing to book)
        if broker.paused_until > now:  # the process is paused: the next fetch leaves when it wakes
            self.env.at(end, self._send_fetch_cb, (end,))
        else:
            self.send_fetch(end)
