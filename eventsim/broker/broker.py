"""``Broker``: the request path from socket to log and back.

What Kafka does (``core/.../network/SocketServer.scala``, ``RequestChannel``, ``KafkaRequestHandler``,
``ReplicaManager``): each connection belongs to one of ``num.network.threads`` processors, which read
requests off the socket and put them on one bounded request queue (``queued.max.requests``; a full
queue blocks the processor). ``num.io.threads`` request-handler threads take requests in order and
run them: a produce request validates and appends its batches to the partitions' logs (the OS page
cache; ``log.flush.interval.messages``/``ms`` force an fsync, off by default); a fetch reads from the
log and, below ``fetch.min.bytes``, parks in the fetch purgatory. Responses go back through the
processor that owns the connection and out through the NIC.

What is modelled: every stage above as an FCFS station on a virtual clock (``core/stations.py``),
with the hardware profile's costs: NIC bytes/ms, per-request CPU on network and handler threads, per-MiB
append/validation CPU (plus decompression to validate compressed batches, and recompression when the
topic's ``compression.type`` differs from the producer's), and per-disk sequential write bandwidth.
Before appending a batch of an idempotent producer the leader checks it against the log's
``ProducerStateManager`` (``log/producer_state.py``): a duplicate of one of the producer's last five
batches is answered with success and not appended again; an out-of-order sequence or an old epoch is
refused with ``OUT_OF_ORDER_SEQUENCE_NUMBER`` / ``INVALID_PRODUCER_EPOCH``. The page cache absorbs
writes; a disk writes back in the background, and when its backlog of dirty bytes exceeds
``vm.dirty_ratio`` (20 %) of the page cache, appends wait for it — the way Linux throttles writers.
Reads of data that has fallen out of the page cache (a consumer far behind) cost a disk read.

A fetch reads its partitions in order (``ReplicaManager.readFromLog``, KIP-74): the first partition
with data returns at least its first whole batch, even one larger than ``max.partition.fetch.bytes`` or
``fetch.max.bytes`` (``minOneMessage``), so a consumer never stalls on a large batch; after that, each
partition gets whole batches up to ``max.partition.fetch.bytes`` and what is left of
``fetch.max.bytes``, and may get none.

A broker can stop (``stop``: it reads nothing more, drops the work it had booked, answers nothing) and
stall (``stall``: its network and I/O threads do no work for a window, so what they had booked across it
finishes later). Booked work checks the broker's epoch when it comes due, since SimPy cannot unschedule
an event.

Not modelled (yet): replication (acks=all completes on the leader's append while topics have RF 1; so no
replica fetches and no replica-side fetch limits),
quotas, request types other than produce and fetch, and the JVM (GC pauses).
"""

from __future__ import annotations

from eventsim.broker.purgatory import DelayedFetchPurgatory
from eventsim.core.stations import BoundedQueue, Station
from eventsim.log.compression import compressed_size, get_codec
from eventsim.log.log import Log
from eventsim.network import Host
from eventsim.protocol import FETCH_RESPONSE_OVERHEAD, INT_MAX, PRODUCE_RESPONSE_BYTES, RECORD_BATCH_OVERHEAD

__all__ = ["Broker", "FetchRequest", "DIRTY_RATIO"]

MIB = 1024.0 * 1024.0
DIRTY_RATIO = 0.20  # Linux vm.dirty_ratio default
CONTROL_BYTES = 1024  # messages up to this size skip NIC queueing (see network.Network.control)


class FetchRequest:
    __slots__ = (
        "client",
        "node",
        "partitions",
        "min_bytes",
        "max_wait_ms",
        "max_bytes",
        "max_partition_bytes",
        "send_ms",
        "arrive_ms",
        "parked",
        "conn",
        "host",
    )

    def __init__(self, client, node, partitions, cfg, send_ms, conn, host):
        self.client = client
        self.node = node
        self.partitions = partitions  # list of (tp, fetch offset)
        self.min_bytes = cfg.fetch_min_bytes
        self.max_wait_ms = cfg.fetch_max_wait_ms
        self.max_bytes = cfg.fetch_max_bytes
        self.max_partition_bytes = cfg.max_partition_fetch_bytes
        self.send_ms = send_ms
        self.arrive_ms = send_ms
        self.parked = False
        self.conn = conn
        self.host = host


class Broker:
    def __init__(self, env, broker_id: int, config, profile, cluster, recorder, window_ms: float):
        self.env = env
        self.id = broker_id
        self.config = config
        self.profile = profile
        self.cluster = cluster
        self.recorder = recorder
        self.host = Host(f"broker-{broker_id}", profile.nic_bytes_per_ms, window_ms)
        self.processors = [
            Station(f"broker-{broker_id}.network-thread-{i}", 1, window_ms)
            for i in range(config.num_network_threads)
        ]
        self.request_queue = BoundedQueue(config.queued_max_requests)
        self.handlers = Station(f"broker-{broker_id}.io-threads", config.num_io_threads, window_ms)
        self.disks = [Station(f"broker-{broker_id}.disk-{i}", 1, window_ms) for i in range(profile.disks)]
        self.dirty_limit_bytes = DIRTY_RATIO * profile.page_cache_bytes / profile.disks
        self.page_cache_per_log = profile.page_cache_bytes
        self.logs: dict = {}
        self._recompressing_logs = False  # some topic sets its own compression.type
        self._flushing_logs = False  # some topic sets flush.messages / flush.ms
        self.purgatory = DelayedFetchPurgatory(env, self._respond_fetch)
        self._connections = 0
        self.produce_requests = 0
        self.fetch_requests = 0
        # Booked work is not a process: a stop bumps the epoch and every booked step checks it, so
        # nothing booked before a stop runs after it; stalls declared after a booking delay it.
        self.epoch = 0
        self.running = True
        self.stalls: list = []  # (start_ms, end_ms, declared_ms) of each stall

    # ------------------------------------------------------------------ setup
    def add_log(self, tp, topic_config) -> Log:
        disk = len(self.logs) % len(self.disks)  # Kafka picks the log dir with the fewest partitions
        log = Log(tp, topic_config, self.env.now, disk)
        ctype = topic_config.compression_type
        log.codec = None if ctype == "producer" else get_codec(ctype)  # None: keep the producer's codec
        self.logs[tp] = log
        self._recompressing_logs = self._recompressing_logs or log.codec is not None
        self._flushing_logs = self._flushing_logs or log.flush_policy
        self.page_cache_per_log = self.profile.page_cache_bytes / len(self.logs)
        return log

    def connect(self) -> int:
        """A new client connection; returns its id (which processor owns it)."""
        self._connections += 1
        return self._connections - 1

    def start(self) -> None:
        self.env.process(self.log_retention_loop())

    # ------------------------------------------------------------------ stop and stall
    def stop(self) -> None:
        """The broker process stops: it reads no more requests, drops the work it had booked (appends,
        reads, fetch responses not yet sent) and parked fetches, and answers nothing afterwards. Its logs
        stay on disk. Responses already on the wire still arrive."""
        self.running = False
        self.epoch += 1
        self.purgatory = DelayedFetchPurgatory(self.env, self._respond_fetch)

    def resume(self) -> None:
        """The broker process runs again, with the logs it had."""
        self.running = True

    def stall(self, start_ms: float, end_ms: float) -> None:
        """The broker's threads stop from ``start_ms`` to ``end_ms`` (a long GC pause, a paused VM): work
        booked across the window finishes later by its overlap with it; work booked later waits for it."""
        for station in (*self.processors, self.handlers):
            station.add_stall(start_ms, end_ms)
        self.stalls.append((float(start_ms), float(end_ms), self.env.now))

    def _late_by(self, booked_ms: float, now: float) -> float:
        """How much a step booked at ``booked_ms`` and due ``now`` is delayed by stalls declared since."""
        late = 0.0
        for s, e, declared in self.stalls:
            if declared > booked_ms and s < now and e > booked_ms:
                late += (e if e < now else now) - (s if s > booked_ms else booked_ms)
        return late

    # ------------------------------------------------------------------ front door
    def _admit(self, conn: int, now: float, service_ms: float) -> tuple[float, float, float]:
        """Network thread → request queue → I/O thread; returns (queued_ms, start_ms, end_ms)."""
        proc = self.processors[conn % len(self.processors)]
        _, parsed = proc.reserve(now, self.profile.network_thread_cpu_ms)
        queued = self.request_queue.admit(parsed)
        start, end = self.handlers.reserve(queued, service_ms)
        self.request_queue.started(start)
        return queued, start, end

    def _send_response(self, conn: int, host: Host, nbytes: int, cpu_ms: float) -> float:
        now = self.env.now
        proc = self.processors[conn % len(self.processors)]
        _, sent = proc.reserve(now, cpu_ms)
        if nbytes <= CONTROL_BYTES:
            return self.cluster.network.control(self.host, host, sent, nbytes)
        _, delivered = self.cluster.network.transfer(self.host, host, sent, nbytes)
        return delivered

    # ------------------------------------------------------------------ produce
    def handle_produce(self, req) -> None:
        """Book a produce request's path through the broker, from its arrival time ``req.arrive_ms``.

        Called when the request is sent: with one latency between every pair of hosts, booking at send
        time keeps the order in which requests reach the broker and saves an event per request.
        """
        if not self.running:
            return  # a stopped broker reads nothing; the client's request times out
        self.produce_requests += 1
        prof = self.profile
        wire = req.wire_bytes
        cpu = prof.request_cpu_ms + prof.append_cpu_ms_per_mb * wire / MIB
        codec = req.producer.codec
        batches = req.batches
        logs = self.logs
        if codec.name != "none":  # LogValidator decompresses to validate
            raw = 0
            for b in batches:
                raw += b.size_bytes
            cpu += raw / codec.decompress_bytes_per_ms
        if self._recompressing_logs:
            for b in batches:
                target = logs[b.tp].codec
                if target is not None and target.name != codec.name:
                    # The topic's compression.type differs from the producer's: the broker recompresses.
                    raw = b.size_bytes - RECORD_BATCH_OVERHEAD
                    cpu += raw / target.compress_bytes_per_ms if target.name != "none" else 0.0
                    b.stored_bytes = RECORD_BATCH_OVERHEAD + (
                        int(compressed_size(target, raw)) if target.name != "none" else raw
                    )
        queued, start, end = self._admit(req.conn, req.arrive_ms, cpu)
        rate = prof.disk_write_bytes_per_ms
        per_disk: dict[int, int] = {}
        flushing = self._flushing_logs
        for b in batches:
            log = logs[b.tp]
            per_disk[log.disk] = per_disk.get(log.disk, 0) + b.stored_bytes
            if flushing and log.flush_policy:
                end = self._flush(log, b, end, rate)
        for d, nbytes in per_disk.items():
            end = self._write_back(d, nbytes, end, rate)
        req.queue_ms, req.start_ms, req.done_ms = queued, start, end
        self.env.call_at(end, self._append, req, self.epoch, self.env.now)

    def _write_back(self, d: int, nbytes: int, end: float, rate: float) -> float:
        """Page cache write-back of ``nbytes`` to disk ``d``: throttle while its dirty backlog is too big."""
        disk = self.disks[d]
        backlog = (disk._free[0] - end) * rate
        if backlog > self.dirty_limit_bytes:
            end += (backlog - self.dirty_limit_bytes) / rate
        disk.reserve(end, nbytes / rate)
        return end

    def _flush(self, log, batch, end: float, rate: float) -> float:
        """``flush.messages`` / ``flush.ms``: an fsync makes the append wait for the disk."""
        cfg = log.config
        log.unflushed_messages += batch.count
        if log.unflushed_messages >= cfg.flush_messages or end - log.last_flush_ms >= cfg.flush_ms:
            disk = self.disks[log.disk]
            _, written = disk.reserve(end, batch.stored_bytes / rate)
            end = max(end, written)
            log.unflushed_messages = 0
            log.last_flush_ms = end
        return end

    def _append(self, req, epoch: int, booked_ms: float) -> None:
        now = self.env.now
        if epoch != self.epoch:
            return  # booked before a stop: dropped
        if self.stalls:
            late = self._late_by(booked_ms, now)
            if late > 0.0:
                self.env.call_at(now + late, self._append, req, epoch, now)
                return
        errors = None
        logs = self.logs
        batches = req.batches
        states = req.producer_state  # idempotent producer: (producer id, epoch, base sequence) per batch
        for i, b in enumerate(batches):
            log = logs[b.tp]
            if b.stored_bytes > log.config.max_message_bytes:
                errors = errors or [None] * len(batches)
                errors[i] = "RECORD_TOO_LARGE"
                continue
            if states is None:
                log.append(b, now)
                continue
            pid, epoch, seq = states[i]
            count = b.count
            last = seq + count - 1
            if last > INT_MAX:
                last -= INT_MAX + 1  # DefaultRecordBatch.incrementSequence: wraps to 0
            verdict = log.producer_state.validate(pid, epoch, seq, last, log.log_end_offset, count, now)
            if verdict is None:
                log.append(b, now)  # at the log end offset validate() recorded
            elif verdict.__class__ is str:
                errors = errors or [None] * len(batches)
                errors[i] = verdict
            # else: a duplicate of a batch already in the log; answered with success, not appended again
        req.errors = errors
        # Like ReplicaManager.appendRecords: parked fetches are checked once the whole request is appended.
        purgatory = self.purgatory
        watchers = purgatory.watchers
        for b in batches:
            if watchers.get(b.tp):
                purgatory.check(b.tp, self._available_bytes)
        if req.acks != 0:
            delivered = self._send_response(
                req.conn,
                req.producer.host,
                PRODUCE_RESPONSE_BYTES,
                self.profile.network_thread_cpu_ms,
            )
            self.env.call_at(delivered, req.producer.sender.complete, req)

    # ------------------------------------------------------------------ fetch
    def handle_fetch(self, fetch: FetchRequest) -> None:
        """Book a fetch request from its arrival time (see ``handle_produce``); it reads at handler time.

        The broker's ``fetch.max.bytes`` caps what the consumer asked for (``KafkaApis.handleFetchRequest``).
        """
        if not self.running:
            return
        self.fetch_requests += 1
        cap = self.config.fetch_max_bytes
        if fetch.max_bytes > cap:
            fetch.max_bytes = cap
        _, _, end = self._admit(fetch.conn, fetch.arrive_ms, self.profile.request_cpu_ms)
        self.env.call_at(end, self._read, fetch, self.epoch, self.env.now)

    def _available_bytes(self, fetch: FetchRequest) -> int:
        """Bytes the fetch could read now, counted until ``fetch.min.bytes`` is reached."""
        logs = self.logs
        need = fetch.min_bytes
        total = 0
        for tp, off in fetch.partitions:
            log = logs[tp]
            if off < log.log_end_offset:
                total += log.bytes_after(off)
                if total >= need:
                    break
        return total

    def _read(self, fetch: FetchRequest, epoch: int, booked_ms: float) -> None:
        now = self.env.now
        if epoch != self.epoch:
            return
        if self.stalls:
            late = self._late_by(booked_ms, now)
            if late > 0.0:
                self.env.call_at(now + late, self._read, fetch, epoch, now)
                return
        if fetch.min_bytes <= 0 or self._available_bytes(fetch) >= fetch.min_bytes:
            self._respond_fetch(fetch)
        else:
            self.purgatory.watch(
                fetch, [tp for tp, _ in fetch.partitions], max(now, fetch.arrive_ms + fetch.max_wait_ms)
            )

    def _respond_fetch(self, fetch: FetchRequest) -> None:
        prof = self.profile
        now = self.env.now
        data = []
        total = 0
        disk_done = now
        logs = self.logs
        max_bytes = fetch.max_bytes
        partition_bytes = fetch.max_partition_bytes
        cache = self.page_cache_per_log
        min_one = True  # readFromLog's minOneMessage: until a partition returned data
        for tp, off in fetch.partitions:
            left = max_bytes - total
            if not min_one and left <= 0:
                break
            log = logs[tp]
            limit = partition_bytes if partition_bytes < left else left
            batches, nbytes = log.read_sized(off, limit, min_one)
            if not batches:
                continue
            min_one = False
            if log.size_bytes > cache and log.bytes_after(off) > cache:
                _, done = self.disks[log.disk].reserve(now, nbytes / prof.disk_read_bytes_per_ms)
                if done > disk_done:
                    disk_done = done
            data.append((tp, batches))
            total += nbytes
        cpu = prof.network_thread_cpu_ms + prof.fetch_cpu_ms_per_mb * total / MIB
        if disk_done > now:
            self.env.call_at(disk_done, self._ship_fetch, fetch, data, total, cpu, self.epoch)
        else:
            self._ship_fetch(fetch, data, total, cpu)

    def _ship_fetch(self, fetch, data, total, cpu, epoch=None) -> None:
        if epoch is not None and epoch != self.epoch:
            return
        delivered = self._send_response(fetch.conn, fetch.host, FETCH_RESPONSE_OVERHEAD + total, cpu)
        self.env.call_at(delivered, fetch.client.on_fetch_response, fetch, data)

    # ------------------------------------------------------------------ background
    def log_retention_loop(self):
        """Kafka's ``kafka-log-retention`` task, every ``log.retention.check.interval.ms``."""
        interval = self.config.log_retention_check_interval_ms
        while True:
            yield self.env.timeout(interval)
            if not self.running:
                continue
            now = self.env.now
            for log in self.logs.values():
                deleted = log.enforce_retention(now)
                if deleted:
                    self.recorder.segments_deleted(log.tp, deleted)
