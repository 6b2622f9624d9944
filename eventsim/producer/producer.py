"""``KafkaProducer``: the application thread calling ``send()``, the accumulator and the sender.

What Kafka does (``clients/.../producer/KafkaProducer.java``): ``send()`` serialises the record, picks its
partition (murmur2 of the key, or the built-in sticky partitioner for null keys, KIP-480/794), and appends it
to the ``RecordAccumulator``; if ``buffer.memory`` is used up, ``send()`` blocks for up to ``max.block.ms``
and then throws a ``TimeoutException``. A separate ``Sender`` thread ships batches. Batches still unsent
after ``delivery.timeout.ms`` fail.

What is modelled: the application produces an open-loop arrival stream (Poisson or constant rate) in chunks
of simulated time; each chunk is drawn at once with numpy (arrival times, key ids, value sizes), partitioned
through a key → partition table computed once per key with Kafka's murmur2, charged the client's per-record
CPU (serialise, partition, append; plus compression, and before 0.11 each message's own CRC32,
``client_crc_cpu_ms_per_mb``; v2's one CRC32C per batch is the sender's) on a single application thread (a
vectorised Lindley recursion, so a producer that cannot keep up falls behind), and appended to the
accumulator. ``buffer.memory`` is checked per record: records are admitted while the pool (whole
``batch.size`` buffers per batch, held until the batch completes) has room. A record that does not fit blocks
``send()`` on the application's thread, as Kafka's ``BufferPool.allocate`` does, until completed batches free
memory, or fails with a ``TimeoutException`` once it has blocked for ``max.block.ms`` (counted from its own
``send()``, not from when the application wanted to send it); the records behind it wait for the thread
meanwhile, so overload plateaus at what the bottleneck acknowledges, with one failure per ``max.block.ms``
while nothing completes. Failures past the deadline are recorded in groups, at most ``EXPIRY_GRANULARITY_MS``
late. What the application offered but its thread never reached by the end of the run still counts as offered
(``count_unsent_offers``), per window, without being drawn. Records carry their ``send()`` time, so blocking
shows up as accumulator wait.

With ``enable.idempotence`` (the default) the producer gets a producer id from the cluster (InitProducerId)
and a ``TransactionManager`` numbers its batches per partition (see ``transaction_manager.py``); the brokers
then drop retried duplicates. Every ``send()`` counts as *offered*; it is *produced* once it has entered the
accumulator (see ``metrics/recorder.py``).

With ``variability.client_gc`` the producer's JVM has young collections (``eventsim.jvm``): eden fills with
the serialised size of the records the accumulator takes, in the order the application's thread calls
``send()``, so the pauses are placed on that thread's timeline as each block of records is admitted
(``YoungCollector.schedule``): a pause starts when the ``send()`` whose bytes do not fit starts, and that
``send()`` and the ones behind it start no earlier than its end (the Lindley floor moves past it). The
thread's CPU counts only the records' service, never the pause. The ``Sender`` stops too
(``Sender.paused_until``, set when the pause begins). Records keep their ``send()`` times, so a pause shows
up as accumulator wait, and ``delivery.timeout.ms`` counts through it; for a record whose ``send()`` the
pause held up it counts from when the application called ``send()``, where Kafka's starts when the record's
batch is created after the pause (a difference of one pause against a timeout of minutes).

Not modelled: serializers' cost beyond the per-record CPU figure, interceptors, metadata fetches,
transactions (later), and per-record callbacks (results are aggregated by the metrics recorder). The adaptive
sticky partitioner (KIP-794) sees the partitions' queue lengths once per chunk of arrivals, not at every
record.
"""

from __future__ import annotations

import math

import numpy as np

from eventsim.config.versions import parse_version
from eventsim.core.stations import factor_sigma, mean_one_factors
from eventsim.log.compression import CODECS, compressed_size
from eventsim.metadata import Metadata
from eventsim.producer.partitioner import BuiltInPartitioner, RoundRobinPartitioner
from eventsim.producer.producer_batch import (
    LEGACY_CRC_EXCLUDED_BYTES,
    RECORD_COLUMNS,
    RECORD_ID_PRODUCER_SHIFT,
    ProducerBatch,
    record_size_in_bytes,
)
from eventsim.producer.record_accumulator import RecordAccumulator
from eventsim.producer.sender import UNKNOWN_OUTCOME, Sender
from eventsim.producer.transaction_manager import TransactionManager
from eventsim.protocol import APPEND_MS, CREATE_MS, KEY, RECORD_ID, VALUE_BYTES, batch_header_bytes
from eventsim.structs import topic_partition

__all__ = ["KafkaProducer", "CHUNK_MS"]

CHUNK_MS = 500.0  # the application's records are drawn this much simulated time at once
MAX_CHUNK_RECORDS = 20_000
EXPIRY_GRANULARITY_MS = 1.0  # blocked records past max.block.ms are failed in groups at most this late


try:  # compiled, the per-record loop below runs as C; as Python, numpy does the same in passes
    import cython
except ImportError:  # pure Python, without Cython installed
    from eventsim._compiled import cython_stand_in as cython
_COMPILED = cython.compiled


def _lindley_loop(create, service, free, out) -> None:
    """The compiled build's application thread (typed in producer.pxd): record i's ``send()`` returns at
    ``S_i + max_k<=i (max(a_k, free) - S_{k-1})``, S the running sum of the services (``np.cumsum``'s
    order), as the numpy passes compute it."""
    s = 0.0
    acc = 0.0
    with cython.boundscheck(False), cython.wraparound(False):  # indices valid by construction
        for i in range(create.shape[0]):
            sv = service[i]
            s = s + sv
            a = create[i]
            f = (a if a > free else free) - (s - sv)
            if i == 0 or f > acc:
                acc = f
            out[i] = s + acc


def _sort_uniform_loop(u, t0, t1, starts, out) -> None:
    """The compiled build's sort of draws ``u`` from [t0, t1) into ``out`` (typed in producer.pxd): each
    goes to one of ``n`` buckets by value (a monotone map, so the buckets are in order), the buckets are
    laid out in order (``starts``: zeros, n + 1) and each is insertion-sorted (one value, on average).
    The result is ``np.sort(u)``: the same values in order."""
    n = u.shape[0]
    scale = n / (t1 - t0)
    with cython.boundscheck(False), cython.wraparound(False):  # indices valid by construction
        for i in range(n):
            b = int((u[i] - t0) * scale)
            if b < 0:
                b = 0
            elif b >= n:
                b = n - 1
            starts[b + 1] += 1
        for b in range(n):
            starts[b + 1] += starts[b]
        for i in range(n):  # into its bucket; ``starts[b]`` counts up to the bucket's end, then is reset
            b = int((u[i] - t0) * scale)
            if b < 0:
                b = 0
            elif b >= n:
                b = n - 1
            out[starts[b]] = u[i]
            starts[b] += 1
        lo = 0
        for b in range(n):
            hi = starts[b]  # bucket b is out[lo:hi]
            for i in range(lo + 1, hi):
                x = out[i]
                j = i - 1
                while j >= lo and out[j] > x:
                    out[j + 1] = out[j]
                    j -= 1
                out[j + 1] = x
            lo = hi


def _sort_rows_loop(parts, create, appended, rids, keys, values, sizes, bounds, records, sorted_sizes,
                    sorted_values) -> None:
    """The compiled build's sort of a chunk's records by partition (typed in producer.pxd): a counting
    sort, stable, so each partition's records keep their order. ``bounds`` (zeros, one more than the
    partitions) ends as each partition's first row, and the end; the records' columns go to ``records``
    (see ProducerBatch), their sizes and value sizes to ``sorted_sizes`` and ``sorted_values``."""
    n = parts.shape[0]
    at_create, at_append, at_id, at_key, at_value = CREATE_MS, APPEND_MS, RECORD_ID, KEY, VALUE_BYTES
    with cython.boundscheck(False), cython.wraparound(False):  # indices valid by construction
        for i in range(n):
            bounds[parts[i] + 1] += 1
        for p in range(bounds.shape[0] - 1):
            bounds[p + 1] += bounds[p]
        for i in range(n):  # each partition's next free row: its first, counted up in ``bounds`` and reset
            p = parts[i]
            r = bounds[p]
            bounds[p] = r + 1
            records[r, at_create] = create[i]
            records[r, at_append] = appended[i]
            records[r, at_id] = rids[i]
            records[r, at_key] = keys[i]
            records[r, at_value] = values[i]
            sorted_sizes[r] = sizes[i]
            sorted_values[r] = values[i]
        for p in range(bounds.shape[0] - 1, 0, -1):  # back to first rows: partition p's is p - 1's end
            bounds[p] = bounds[p - 1]
        bounds[0] = 0


class KafkaProducer:
    """One producer instance (``client.id`` = ``<spec name>-<instance>``)."""

    def __init__(self, env, cluster, spec, instance: int, index: int, recorder, host, key_table):
        self.env = env
        self.cluster = cluster
        self.spec = spec
        self.config = spec.config
        self.instance = instance
        self.index = index  # global producer number, part of every record id
        self.client_id = f"{spec.name}-{instance}"
        self.recorder = recorder
        self.host = host
        self.key_table = key_table
        topic = cluster.topics[spec.topic]
        self.topic = topic
        self.tps = [topic_partition(spec.topic, p) for p in range(topic.partitions)]
        self.codec = CODECS[self.config.compression_type]
        cfg = self.config
        scope = f"producer.{self.client_id}"
        self._conn: dict[int, int] = {}
        # The leaders as this client knows them (Kafka's ProducerMetadata), refreshed while it runs.
        self.metadata = Metadata(
            env,
            cluster,
            spec.topic,
            cfg.metadata_max_age_ms,
            host,
            cfg.retry_backoff_ms,
            self.connection,
            cfg.request_timeout_ms,
        )
        self.accumulator = RecordAccumulator(
            cfg.batch_size,
            cfg.linger_ms,
            cfg.retry_backoff_ms,
            self.codec.ratio,
            {tp: self.metadata.leader_for(tp) for tp in self.tps},
            retry_backoff_max_ms=cfg.retry_backoff_max_ms,
            rng=env.rng(scope + ".backoff"),
            header_bytes=batch_header_bytes(cluster.magic, self.codec.name != "none"),
        )
        # The idempotent producer's id, epoch and sequences (InitProducerId from the cluster).
        self.transaction_manager = (
            TransactionManager(cluster.init_producer_id, self.accumulator) if cfg.enable_idempotence else None
        )
        self.sender = Sender(self)
        self.metadata.in_flight_by_node = self.sender.in_flight_count
        self.metadata.listeners.append(self._leader_moved)
        self.rng_arrivals = env.rng(scope + ".arrivals")
        self.rng_keys = env.rng(scope + ".keys")
        self.rng_values = env.rng(scope + ".values")
        if parse_version(cluster.scenario.cluster.kafka_version) < (2, 4):  # before KIP-480
            self.partitioner = RoundRobinPartitioner(topic.partitions, env.rng(scope + ".partitioner"))
        else:
            self.partitioner = BuiltInPartitioner(
                topic.partitions,
                max(cfg.batch_size, 1),
                env.rng(scope + ".partitioner"),
                adaptive=cfg.partitioner_adaptive_partitioning_enable,
            )
        self.rate_per_ms = spec.rate_per_s / spec.count / 1000.0
        self.record_cpu_ms = host.record_cpu_ms
        self.magic = cluster.magic  # the message format of the cluster's Kafka version
        # v0/v1 (before 0.11): send() computes each message's CRC32; a v2 batch's CRC32C is the sender's.
        self.crc_ms_per_byte = cluster.profile.client_crc_cpu_ms_per_mb / 1048576.0 if self.magic < 2 else 0.0
        self.inflight_alloc = 0
        self.next_seq = 0
        self.app_free_ms = 0.0  # the application thread's virtual clock
        self._memory_freed = None
        self._freed_since_block = 0
        self._wake_bytes = max(cfg.batch_size, 1)  # a blocked send() needs one batch's memory
        self.blocked_ms = 0.0
        self.jvm = None  # the JVM's young collections (variability.client_gc; eventsim.jvm.YoungCollector)
        self.cpu_rng, self.cpu_sigma = None, 0.0  # variability.service_times: send()'s CPU varies (vary_cpu)
        self._drawn_until = None  # the application's arrivals are drawn up to here
        self._stop_ms = math.inf
        # Constant-rate producers are offset so instances do not fire in lockstep.
        self._phase = (instance + 0.5) / spec.count / self.rate_per_ms if self.rate_per_ms > 0 else 0.0

    def vary_cpu(self, cv: float, rng) -> None:
        """From now on each ``send()``'s CPU is its mean times a lognormal factor of mean 1 and coefficient of
        variation ``cv``, drawn from ``rng`` (the producer's own stream), as ``Station.vary`` does."""
        if cv > 0.0:
            self.cpu_sigma = factor_sigma(cv)
            self.cpu_rng = rng

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        env = self.env
        env.process(self.send_loop())
        env.call_soon(self.sender.run)  # where the sender thread's process would start
        env.process(self.sender.sweep())
        env.process(self.metadata.refresh_loop())

    def gc_pause(self, duration_ms: float) -> None:
        """A young collection stops the JVM from now for ``duration_ms``: the ``Sender`` waits it out (the
        application's ``send()`` calls were placed after it when the collection was scheduled)."""
        end = self.env.now + duration_ms
        if end > self.sender.paused_until:
            self.sender.paused_until = end

    def _leader_moved(self, tp, old: int, new: int) -> None:
        """Metadata says ``tp`` has a new leader: its queue drains to that broker from now on."""
        self.accumulator.move_partition(tp, new)
        self.sender.add_node(new)
        self.sender.wakeup()

    def on_broker_disconnected(self, node: int) -> None:
        """Broker ``node``'s process died and reset this producer's connection to it."""
        self.metadata.on_disconnect(node)
        self.sender.on_node_disconnected(node)

    def connection(self, node: int) -> int:
        """The connection id to broker ``node`` (Kafka keeps one per broker; it picks the processor)."""
        c = self._conn.get(node)
        if c is None:
            c = self._conn[node] = self.cluster.brokers[node].connect()
        return c

    def wire_bytes(self, raw_bytes: int) -> int:
        return int(compressed_size(self.codec, raw_bytes)) if self.codec.name != "none" else int(raw_bytes)

    # ------------------------------------------------------------------ application thread
    def _arrivals(self, t0: float, t1: float) -> np.ndarray:
        rate = self.rate_per_ms
        if rate <= 0 or t1 <= t0:
            return np.empty(0)
        if self.spec.arrival == "constant":
            period = 1.0 / rate
            first = self._phase + math.ceil((t0 - self._phase) / period) * period
            return np.arange(first, t1, period) if first < t1 else np.empty(0)
        n = self.rng_arrivals.poisson(rate * (t1 - t0))
        u = self.rng_arrivals.uniform(t0, t1, n)
        if _COMPILED and n > 1:  # a bucket sort in C: the same sorted values, in about linear time
            out = np.empty(n, dtype=np.float64)
            _sort_uniform_loop(u, t0, t1, np.zeros(n + 1, dtype=np.int64), out)
            return out
        return np.sort(u)

    def send_loop(self):
        env = self.env
        spec = self.spec
        stop = spec.stop_ms if spec.stop_ms is not None else math.inf
        if spec.start_ms > env.now:
            yield env.timeout(spec.start_ms - env.now)
        chunk = CHUNK_MS
        if self.rate_per_ms > 0:
            chunk = max(1.0, min(CHUNK_MS, MAX_CHUNK_RECORDS / self.rate_per_ms, self._chunk_for_pool_ms()))
        t = env.now
        self._stop_ms = stop
        while t < stop:
            t_end = min(t + chunk, stop)
            self._drawn_until = t_end
            create = self._arrivals(t, t_end)
            if create.size:
                yield from self._send_many(create)
            if env.now < t_end:
                yield env.timeout(t_end - env.now)
            t = t_end

    def count_unsent_offers(self, horizon_ms: float) -> None:
        """At the end of the run: the records the application would have offered after the last chunk it
        drew (its thread was still busy with earlier ones, blocked or short of CPU) count as offered,
        per window, without being drawn one by one."""
        t0 = self._drawn_until
        t1 = min(self._stop_ms, horizon_ms)
        rate = self.rate_per_ms
        if t0 is None or t1 <= t0 or rate <= 0:
            return
        w = self.recorder.window_ms
        edges = np.concatenate(([t0], np.arange(math.floor(t0 / w) * w + w, t1, w), [t1]))
        if self.spec.arrival == "constant":
            period = 1.0 / rate
            counts = np.diff(np.ceil((edges - self._phase) / period))  # as _arrivals draws them
        else:
            counts = self.rng_arrivals.poisson(rate * np.diff(edges))
        if counts.sum():
            self.recorder.offered_count(self.spec.topic, edges[:-1], counts)

    def _chunk_for_pool_ms(self) -> float:
        """A chunk small enough to need at most a quarter of ``buffer.memory``, so that a tight pool is not
        judged a chunk at a time (a chunk's records are admitted in order of their ``send()`` times)."""
        cfg = self.config
        spec = self.spec
        record = spec.value_bytes.mean + spec.keys.max_key_length() + 12  # varint framing, roughly
        pool_per_record = record * max(cfg.batch_size, 1) / max(self.accumulator.fill_limit, 1.0)
        return cfg.buffer_memory / 4 / (self.rate_per_ms * max(pool_per_record, 1.0))

    def send(self, key: int | None = None, value_bytes: int = 100):
        """``KafkaProducer.send()`` of one record now, outside the scenario's arrival stream.

        ``key`` is a key id of the producer's key space (``keys.format`` makes its bytes) or ``None``
        for a null key. Returns a SimPy process: ``yield producer.send(...)`` inside a process waits while
        ``send()`` blocks on ``buffer.memory``, as Kafka's does. For small hand-made runs and lessons.
        """
        if key is not None and self.key_table is None:
            raise ValueError(
                f"producer {self.client_id} has no key space (keys.distribution: none); send key=None"
            )
        if key is not None and not 0 <= int(key) < self.spec.keys.count:
            raise ValueError(f"key {key!r} outside the key space [0, {self.spec.keys.count})")
        create = np.array([self.env.now], dtype=np.float64)
        keys = np.array([-1 if key is None else int(key)], dtype=np.int64)
        values = np.array([int(value_bytes)], dtype=np.int64)
        return self.env.process(self._send_many(create, keys, values))

    def _send_many(
        self, create: np.ndarray, keys: np.ndarray | None = None, values: np.ndarray | None = None
    ):
        """``send()`` for a block of records whose ``send()`` times are ``create`` (sorted)."""
        env = self.env
        cfg = self.config
        n = create.size
        spec = self.spec
        if keys is None:
            keys = spec.keys.sample_ids(self.rng_keys, n)
            values = np.maximum(np.rint(spec.value_bytes.sample(self.rng_values, n)), 0).astype(np.int64)
        if spec.keys.distribution == "none" or (keys < 0).all():
            key_len = np.full(n, -1, dtype=np.int64)
        else:
            key_len = spec.keys.key_length(keys).astype(np.int64)
        sizes = record_size_in_bytes(key_len, values, magic=self.magic)
        if spec.keys.distribution == "none" or cfg.partitioner_ignore_keys or (keys < 0).any():
            # KIP-794 weighs partitions by their queued batches (the deques' lengths: the open batch and
            # retried ones included), not by records.
            acc = self.accumulator
            per_batch = max(acc.fill_limit, 1.0)
            queue = np.array(
                [
                    math.ceil(q.pending_bytes() / per_batch) + len(q.retries)
                    for q in (acc.queues[tp] for tp in self.tps)
                ],
                dtype=np.int64,
            )
            parts = self.partitioner.assign(sizes, queue)
        else:
            parts = self.key_table.lookup(keys)
        first = (self.index << RECORD_ID_PRODUCER_SHIFT) + self.next_seq
        rids = first + np.arange(n, dtype=np.int64)
        self.next_seq += n
        self.recorder.records_offered(spec.topic, create)
        # Records over max.request.size fail in send() (RecordTooLargeException), before the accumulator.
        too_big = sizes + self.accumulator.header_bytes > cfg.max_request_size
        if too_big.any():
            self.recorder.failed_records(spec.topic, int(too_big.sum()), "RECORD_TOO_LARGE", env.now)
            keep = ~too_big
            create, keys, values, sizes, parts, rids = (
                a[keep] for a in (create, keys, values, sizes, parts, rids)
            )
            n = create.size
            if n == 0:
                return
        # The application thread: per-record CPU, FIFO (end_i = S_i + max_k<=i (a_k - S_{k-1})).
        cpu = self.record_cpu_ms
        if self.codec.name != "none":
            cpu = cpu + sizes / self.codec.compress_bytes_per_ms
        if self.crc_ms_per_byte > 0.0:  # v0/v1: each message's own CRC32, over its bytes but two fields
            cpu = cpu + (sizes - LEGACY_CRC_EXCLUDED_BYTES) * self.crc_ms_per_byte
        service = np.broadcast_to(np.asarray(cpu, dtype=np.float64), (n,))
        if self.cpu_rng is not None:  # variability.service_times: each send()'s CPU drawn around its mean
            service = service * mean_one_factors(self.cpu_rng, self.cpu_sigma, n)
        if _COMPILED:  # the same recursion in one C loop: the same operations on the same numbers, in order
            appended = np.empty(n, dtype=np.float64)
            _lindley_loop(create, service, self.app_free_ms, appended)
        else:
            s = np.cumsum(service)
            start_floor = np.maximum(create, self.app_free_ms) - (s - service)
            appended = s + np.maximum.accumulate(start_floor)
        self.app_free_ms = float(appended[-1])
        # buffer.memory: send() takes the records in order on the application's thread. A record whose batch
        # needs memory the pool does not have blocks that thread until completed batches free it, or fails
        # once it has blocked for max.block.ms; the records behind it wait for the thread. ``appended`` is
        # each record's send() return unless the thread was held up by blocking: then it is ``max(appended,
        # floor + service since the block)`` (a Lindley recursion restarted at ``floor``).
        acc = self.accumulator
        per_batch = max(acc.fill_limit, 1.0)
        batch_bytes = max(cfg.batch_size, 1)
        max_block = cfg.max_block_ms
        cols = (create, appended, rids, keys, values, sizes, parts)
        need = np.ceil(np.cumsum(cols[5]) / per_batch) * batch_bytes  # pool needed by each prefix
        done_need = 0.0
        floor = -math.inf  # when the thread left its last blocked send(); -inf: never blocked
        while True:
            in_use = self.inflight_alloc + acc.pending_alloc_bytes()
            k = int(np.searchsorted(need, cfg.buffer_memory - in_use + done_need, side="right"))
            if k == 0 and in_use == 0:
                k = 1  # one record larger than the whole pool still goes
            if k:
                first = [c[:k] for c in cols]
                # The first send() returns now at the earliest (if it had to wait) and not before the thread's
                # floor; the others follow it on the thread.
                s0 = float(service[0])
                start = max(floor + s0, env.now)
                if start > first[1][0]:
                    first[1] = np.maximum(first[1], start - s0 + np.cumsum(service[:k]))
                    floor = float(first[1][-1])
                serv = service[:k]
                if self.jvm is not None:  # young collections while the thread sends these records
                    ends = self.jvm.schedule(first[1], serv, first[5], env.now)
                    if ends is not first[1]:
                        first[1] = ends
                        if float(ends[-1]) > floor:
                            floor = float(ends[-1])  # the records behind wait for the thread
                self.host.cpu.add_short(first[1], serv, float(serv.sum()))  # the thread's CPU, when spent
                self._append(*first)
                cols = tuple(c[k:] for c in cols)
                service = service[k:]
                done_need = float(need[k - 1])
                need = need[k:]
                if cols[0].size == 0:
                    break
            head = float(cols[1][0])  # when the next send() asks for memory
            if floor + float(service[0]) > head:
                head = floor + float(service[0])
            self._memory_freed = env.event()
            self._freed_since_block = 0
            if head > env.now:
                # The next record's send() has not happened yet: it is not blocked, just in the future.
                acc.exhausted = False
                yield env.any_of([self._memory_freed, env.timeout(head - env.now)])
                continue
            # Blocked: the pool is exhausted (ready() treats that as a reason to send).
            acc.exhausted = True
            self.sender.wakeup()
            blocked_since = env.now
            wait = max(head + max_block, env.now + EXPIRY_GRANULARITY_MS) - env.now
            yield env.any_of([self._memory_freed, env.timeout(wait)])
            now = env.now
            self.blocked_ms += now - blocked_since
            self.recorder.send_blocked(spec.topic, blocked_since, now)
            # Records whose send() blocked for max.block.ms before now failed, one after the other: each
            # failure frees the thread for the next record (done_i = max(a_i + mb, done_{i-1} + s_i + mb)).
            m = max(1, int(np.searchsorted(cols[1], now, side="right")))  # only these can have failed
            if head + max_block <= now:
                serv = service[:m]
                t = np.cumsum(serv + max_block)
                base = cols[1][:m] + max_block
                base[0] = head + max_block
                done = t + np.maximum.accumulate(base - t)
                failed = int(np.searchsorted(done, now, side="right"))
                if failed:
                    self.recorder.failed_records(spec.topic, failed, "BUFFER_EXHAUSTED_TIMEOUT", now)
                    serv = service[:failed]
                    self.host.cpu.add_short(done[:failed] - max_block, serv, float(serv.sum()))
                    floor = float(done[failed - 1])
                    cols = tuple(c[failed:] for c in cols)
                    service = service[failed:]
                    done_need = float(need[failed - 1])
                    need = need[failed:]
                    if cols[0].size == 0:
                        break
        acc.exhausted = False
        self.app_free_ms = max(self.app_free_ms, env.now, floor)

    def _append(self, create, appended, rids, keys, values, sizes, parts) -> None:
        self.recorder.records_created(self.spec.topic, create, values)  # accepted by send(): produced
        n = create.size
        if _COMPILED:  # a counting sort by partition in C: the same rows in the same (stable) order
            counts = np.zeros(len(self.tps) + 1, dtype=np.int64)
            records = np.empty((n, len(RECORD_COLUMNS)), dtype=np.float64)  # see ProducerBatch
            sorted_sizes = np.empty(n, dtype=np.int64)
            sorted_values = np.empty(n, dtype=np.int64)
            _sort_rows_loop(
                parts.astype(np.int64, copy=False), create, appended, rids.astype(np.int64, copy=False),
                keys.astype(np.int64, copy=False), values.astype(np.int64, copy=False),
                sizes.astype(np.int64, copy=False), counts, records, sorted_sizes, sorted_values,
            )
            self.accumulator.append_sorted(self.tps, counts.tolist(), records, sorted_sizes, sorted_values)
            self.sender.wakeup()
            return
        # A stable sort by partition; on 16-bit keys numpy uses a radix sort (same order, faster).
        order = np.argsort(parts.astype(np.int16) if len(self.tps) < 2**15 else parts, kind="stable")
        bounds = np.searchsorted(parts[order], np.arange(len(self.tps) + 1)).tolist()
        records = np.empty((order.size, len(RECORD_COLUMNS)), dtype=np.float64)  # see ProducerBatch
        for j, column in (
            (CREATE_MS, create), (APPEND_MS, appended), (RECORD_ID, rids), (KEY, keys), (VALUE_BYTES, values)
        ):
            records[:, j] = column[order]
        sizes = sizes[order].astype(np.int64, copy=False)
        values = values[order].astype(np.int64, copy=False)
        self.accumulator.append_sorted(self.tps, bounds, records, sizes, values)
        self.sender.wakeup()

    # ------------------------------------------------------------------ outcomes (called by the sender)
    def batches_done(self, batches: list[ProducerBatch], req, now: float) -> None:
        self.recorder.request_acked(req, batches, now)
        freed = 0
        tm = self.transaction_manager
        for b in batches:
            freed += b.alloc_bytes
            if tm is not None:
                tm.completed(b)
        self._free(freed)

    def batch_failed(self, batch: ProducerBatch, error: str, now: float, in_retry: bool = False) -> None:
        """``batch`` fails with ``error``; ``in_retry``: it had been re-enqueued for a retry before."""
        self.recorder.failed_records(batch.tp.topic, batch.count, error, now)
        if self.transaction_manager is not None:
            definite = error not in UNKNOWN_OUTCOME
            self.transaction_manager.failed(batch, definite, in_retry or batch.attempts > 1)
        self._free(batch.alloc_bytes)

    def _free(self, nbytes: int) -> None:
        self.inflight_alloc -= nbytes
        self._freed_since_block += nbytes
        ev = self._memory_freed
        # A blocked send() wakes once a batch's worth is free (Kafka: every deallocation; the head needs one).
        if ev is not None and not ev.triggered and self._freed_since_block >= self._wake_bytes:
            ev.succeed()

    def oldest_unsent_ms(self) -> float:
        """The ``send()`` time of the oldest record or retried batch still in the accumulator (inf: none)."""
        return self.accumulator.oldest_create_ms()

    def expire_queued(self, now: float, delivery_timeout_ms: float) -> None:
        """Fail records still in the accumulator after ``delivery.timeout.ms`` (TimeoutException)."""
        cutoff = now - delivery_timeout_ms
        if self.accumulator.oldest_create_ms() > cutoff:
            return  # nothing to expire (the common case), found without visiting every queue
        for pq in self.accumulator.queues.values():
            if pq.retries and pq.retries[0].first_create_ms <= cutoff:
                while pq.retries and pq.retries[0].first_create_ms <= cutoff:
                    b = pq.retries.popleft()
                    self.batch_failed(b, "DELIVERY_TIMEOUT", now, in_retry=True)
                self.accumulator._update(pq)  # its first batch is no longer the expired one
            if pq.head < pq.n and pq.records[pq.head, CREATE_MS] <= cutoff:
                k = int(np.searchsorted(pq.records[pq.head : pq.n, CREATE_MS], cutoff, side="right"))
                pq.head += k
                self.recorder.failed_records(pq.tp.topic, k, "DELIVERY_TIMEOUT", now)
                self.accumulator._update(pq)
