"""``Broker``: the request path from socket to log and back.

What Kafka does (``core/.../network/SocketServer.scala``, ``RequestChannel``, ``KafkaRequestHandler``,
``ReplicaManager``): each connection belongs to one of ``num.network.threads`` processors, which read requests
off the socket and put them on one bounded request queue (``queued.max.requests``; a full queue blocks the
processor). ``num.io.threads`` request-handler threads take requests in order and run them: a produce request
validates and appends its batches to the partitions' logs (the OS page cache;
``log.flush.interval.messages``/``ms`` force an fsync, off by default); a fetch reads from the log and, below
``fetch.min.bytes``, parks in the fetch purgatory. Responses go back through the processor that owns the
connection and out through the NIC.

The network threads, the request queue and the handler threads are the broker's ``SocketServer``
(``broker/socket_server.py``), which also mutes a connection from a request's receipt until its response has
been sent: a broker works on one request per connection at a time, in the order sent. That keeps an idempotent
producer's batches in order, and it is why ``acks=all`` costs throughput: a connection's next request is read
only when the followers have the previous one.

What is modelled: every stage above as an FCFS station on a virtual clock (``core/stations.py``), with the
hardware profile's costs: NIC bytes/ms, per-request CPU on network and handler threads, per-MiB
append/validation CPU (plus decompression to validate compressed batches, recompression when the topic's
``compression.type`` differs from the producer's, and before 0.11 passes over every v0/v1 message,
``message_pass_cpu_ms``), and per-disk sequential write bandwidth. Before appending a batch of an idempotent
producer the leader checks it against the log's ``ProducerStateManager`` (``log/producer_state.py``): a
duplicate of one of the producer's last five batches is answered with success and not appended again; an
out-of-order sequence or an old epoch is refused with ``OUT_OF_ORDER_SEQUENCE_NUMBER`` /
``INVALID_PRODUCER_EPOCH``. The page cache absorbs writes; a disk writes back in the background, and when its
backlog of dirty bytes exceeds ``vm.dirty_ratio`` (20 %) of the page cache, appends wait for it — the way
Linux throttles writers (with the scenario's ``variability.page_cache_writeback``, the kernel's flusher and
its thresholds instead: ``log/log_manager.py``). Reads of data that has fallen out of the page cache (a
consumer far behind) cost a disk read.

A fetch reads its partitions in order (``ReplicaManager.readFromLog``, KIP-74): the first partition with data
returns at least its first whole batch, even one larger than ``max.partition.fetch.bytes`` or
``fetch.max.bytes`` (``minOneMessage``), so a consumer never stalls on a large batch; after that, each
partition gets whole batches up to ``max.partition.fetch.bytes`` and what is left of ``fetch.max.bytes``, and
may get none.

A broker can stop (``stop``: it reads nothing more, drops the work it had booked, answers nothing) and stall
(``stall``: its network and I/O threads do no work for a window, so what they had booked across it finishes
later). Booked work checks the broker's epoch when it comes due, since SimPy cannot unschedule an event.

Replication (``ReplicaManager``, ``Partition``): the leader of a replicated partition answers followers'
fetches like consumers' (through the same network threads, request queue, handler threads, NIC and disk),
except that a follower reads up to the log end offset, its fetch offsets tell the leader how far it has come
(which moves the ISR and the high watermark, ``replication/partition.py``) and its response carries the high
watermarks. ``acks=all`` requests are refused with ``NOT_ENOUGH_REPLICAS`` while the ISR is below
``min.insync.replicas`` and otherwise wait in the ``DelayedProduce`` purgatory until the high watermark passes
their batches; consumers' parked fetches are checked when a high watermark moves. Each broker follows the
partitions it is a follower of with its ``ReplicaFetcherThread``s (``replication/replica_fetcher.py``).

Failover (``controller/``): a broker applies the controller's partition records as they reach it
(``broker/metadata_delta.py``): it leads from its own log end offset with the controller's ISR, or resigns
(waiting ``acks=all`` requests and parked consumer fetches are answered ``NOT_LEADER_OR_FOLLOWER`` with the
new leader), or follows the new leader after truncating its log where it diverges (KIP-101, KIP-279). Its
process can crash, lose power, restart, shut down under control or pause (``broker/lifecycle.py``). Consumers
fetching past a truncated log end get ``OFFSET_OUT_OF_RANGE``. The JVM's young collections
(``variability.gc``, ``eventsim.jvm``) pause the broker as a ``pause`` fault does. Not modelled (yet): quotas,
request types other than produce, fetch and metadata.
"""

from __future__ import annotations

from eventsim.broker import metadata_delta
from eventsim.broker.lifecycle import isr_expiration_loop, log_retention_loop
from eventsim.broker.purgatory import DelayedFetchPurgatory, DelayedProducePurgatory
from eventsim.broker.socket_server import SocketServer
from eventsim.log.compression import compressed_size
from eventsim.log.log import Log
from eventsim.log.log_manager import LogManager
from eventsim.network import Host
from eventsim.protocol import (
    FETCH_RESPONSE_OVERHEAD,
    INT_MAX,
    LEGACY_LEADER_PASSES,
    METADATA_PARTITION_BYTES,
    METADATA_RESPONSE_OVERHEAD,
    PRODUCE_RESPONSE_BYTES,
    FetchRequest,
)
from eventsim.replication.partition import Partition

__all__ = ["Broker"]

MIB = 1024.0 * 1024.0
INF = float("inf")
_FETCH_RESPONSE_OVERHEAD = FETCH_RESPONSE_OVERHEAD  # compiled, a C number
# The hardware profile's costs the request path reads, copied into the broker's fields.
PER_REQUEST_COSTS = ("request_cpu_ms", "append_cpu_ms_per_mb", "network_thread_cpu_ms", "fetch_cpu_ms_per_mb",
                     "disk_write_bytes_per_ms", "disk_read_bytes_per_ms")
PRODUCE, FETCH, METADATA = 0, 1, 2  # request kinds waiting on a muted connection


class Broker:
    def __init__(self, env, broker_id: int, config, profile, cluster, recorder, window_ms: float):
        self.env = env
        # Bound once: the callbacks scheduled on every request (a method read off an object is a new
        # bound-method object each time).
        self._append_cb = self._append
        self._read_cb = self._read
        self.id = broker_id
        self.config = config
        self.profile = profile
        # The profile's costs read on every request, as fields (compiled, C numbers; the profile is frozen).
        for name in PER_REQUEST_COSTS:
            setattr(self, name, getattr(profile, name))
        self.leader_pass_ms = LEGACY_LEADER_PASSES * profile.message_pass_cpu_ms if cluster.magic < 2 else 0.0
        self.fetch_max_bytes = config.fetch_max_bytes
        self.cluster = cluster
        self.recorder = recorder
        self.host = Host(f"broker-{broker_id}", profile.nic_bytes_per_ms, window_ms)
        # Network threads, request queue and I/O threads (broker/socket_server.py); kinds as PRODUCE ...
        self.socket_server = SocketServer(
            f"broker-{broker_id}", config, profile, self.host, cluster.network, window_ms,
            (self._book_produce, self._book_fetch, self._book_metadata),
        )
        self.processors = self.socket_server.processors
        self.request_queue = self.socket_server.request_queue
        self.handlers = self.socket_server.handlers
        # Its logs on its disks, behind the page cache (log/log_manager.py; with variability's
        # page_cache_writeback, the kernel's flusher and throttling run per disk).
        v = cluster.scenario.variability
        name, warm = f"broker-{broker_id}", v.page_cache_start == "warm"
        self.log_manager = LogManager(name, profile, window_ms, env, v.page_cache_writeback, warm)
        self.disks = self.log_manager.disks
        self.logs = self.log_manager.logs
        self.purgatory = DelayedFetchPurgatory(env, self._respond_fetch)
        self.produce_purgatory = DelayedProducePurgatory(env, self._send_produce_response)
        self.partitions: dict = {}  # the partitions this broker leads: tp -> Partition
        self.led_version = 0  # bumped whenever ``partitions`` changes (FetchRequest.leaders)
        self.fetchers: list = []  # its ReplicaFetcherThreads (replication/replica_fetcher.py)
        self.replication_bytes_out = 0  # bytes sent to followers in fetch responses
        self.replication_bytes_in = 0  # bytes received as a follower
        self.produce_requests = 0
        self.fetch_requests = 0
        self.metadata_requests = 0
        # Booked work is not a process: a stop bumps the epoch and every booked step checks it, so
        # nothing booked before a stop runs after it; stalls declared after a booking delay it.
        self.epoch = 0
        self.running = True
        self.stalls: list = []  # (start_ms, end_ms, declared_ms) of each stall
        # Failover (controller/quorum_controller.py): whether the controller knows this process, until
        # when it is paused, the leaders it knows (its metadata cache: tp -> (leader, leader epoch)), and
        # what it follows (tp -> (leader, leader epoch)).
        self.registered = True
        self.paused_until = 0.0
        self.metadata_cache: dict = {}
        self.following: dict = {}
        self.resigned_ms = -1.0  # when it last stopped leading a partition

    # ------------------------------------------------------------------ setup
    def add_log(self, tp, topic_config) -> Log:
        return self.log_manager.add_log(tp, topic_config, self.env.now)

    def become_leader(self, tp, replicas: list, now_ms: float, leader_epoch: int = 0, isr=None) -> Partition:
        """Lead ``tp`` (its log must exist here) with ``replicas``; the ISR is ``isr`` (default: all of
        them). The controller hears of the partition's ISR changes (``AlterPartition``)."""
        log = self.logs[tp]
        cfg = log.config
        partition = Partition(
            tp,
            log,
            self.id,
            replicas,
            cfg.min_insync_replicas,
            self.config.replica_lag_time_max_ms,
            now_ms,
            leader_epoch,
            self.cluster.eligible_leader_replicas,
        )
        if isr is not None:
            partition.take_isr(list(isr), now_ms)
        partition.alter = self.cluster.controller.alter_partition
        partition.fenced = self.cluster.controller.fenced
        self.partitions[tp] = partition
        self.led_version += 1
        self.metadata_cache[tp] = (self.id, leader_epoch)
        self.cluster.leader_partition[tp] = partition
        return partition

    def connect(self) -> int:
        """A new client connection; returns its id (which processor owns it)."""
        return self.socket_server.connect()

    def start(self) -> None:
        self.env.process(log_retention_loop(self))
        topics = self.cluster.topics
        if any(len(topics[tp.topic].replicas[tp.partition]) > 1 for tp in self.logs):
            self.env.process(isr_expiration_loop(self))  # it may lead a replicated partition some day
        for fetcher in self.fetchers:
            fetcher.start()

    # ------------------------------------------------------------------ stop and stall
    def stop(self) -> None:
        """The broker process stops: it reads no more requests, drops the work it had booked (appends,
        reads, fetch responses not yet sent) and parked fetches, and answers nothing afterwards. Its logs
        stay on disk. Responses already on the wire still arrive (no more windows of a large one)."""
        self.running = False
        self.epoch += 1
        self.purgatory.close()  # its parked fetches and acks=all requests are dropped, never answered
        self.produce_purgatory.close()
        self.purgatory = DelayedFetchPurgatory(self.env, self._respond_fetch)
        self.produce_purgatory = DelayedProducePurgatory(self.env, self._send_produce_response)
        self.socket_server.reset()

    def resume(self) -> None:
        """The broker process runs again, with the logs it had."""
        self.running = True

    # ------------------------------------------------------------------ failover
    def apply_partition_change(self, tp, state) -> None:
        """A partition record from the metadata log (``broker/metadata_delta.py``)."""
        metadata_delta.apply_partition_change(self, tp, state)

    def _drop_not_led(self, fetch) -> None:
        """A consumer's fetch answers ``NOT_LEADER_OR_FOLLOWER`` (with the leader it knows) for what this
        broker no longer leads."""
        led = self.partitions
        for tp in fetch.partitions:
            if tp not in led:
                fetch.new_leaders = metadata_delta.leader_hints(self, fetch.new_leaders, tp)
        if fetch.new_leaders is not None:
            fetch.retain(led)

    def stall(self, start_ms: float, end_ms: float) -> None:
        """The broker's threads stop from ``start_ms`` to ``end_ms`` (a long GC pause, a paused VM): work
        booked across the window finishes later by its overlap with it; work booked later waits for it."""
        for station in (*self.processors, self.handlers, *(f.thread for f in self.fetchers)):
            station.add_stall(start_ms, end_ms)
        self.stalls.append((float(start_ms), float(end_ms), self.env.now))

    def _held_up(self, step, arg, epoch: int, booked_ms: float) -> bool:
        """Whether a step booked at ``booked_ms`` and due now overlaps stalls declared since; if so it is
        booked again for when they let it run (``step(arg, epoch, booked_ms)``)."""
        now = self.env.now
        late = self._late_by(booked_ms, now)
        if late > 0.0:
            self.env.at(now + late, step, (arg, epoch, now))
            return True
        return False

    def _late_by(self, booked_ms: float, now: float) -> float:
        """How much a step booked at ``booked_ms`` and due ``now`` is delayed by stalls declared since."""
        late = 0.0
        for s, e, declared in reversed(self.stalls):  # declared in time order: only the newest can count
            if declared <= booked_ms:
                break
            if s < now and e > booked_ms:
                late += (e if e < now else now) - (s if s > booked_ms else booked_ms)
        return late

    # ------------------------------------------------------------------ front door
    def _send_response(self, conn: int, host: Host, nbytes: int, cpu_ms: float, window: float, fn, args):
        self.socket_server.send_response(conn, self.env.now, host, nbytes, cpu_ms, window, fn, args)

    # ------------------------------------------------------------------ produce
    def handle_produce(self, req) -> None:
        """Book a produce request's path from its arrival (``req.arrive_ms``) when it is sent: with one
        latency between every pair of hosts that keeps the order of arrival, and saves an event."""
        if not self.running:
            return  # a stopped broker reads nothing; the client's request times out
        self.produce_requests += 1
        if self.socket_server.mute(req.conn, PRODUCE, req, req.wire_bytes):
            return
        self._book_produce(req)

    def _book_produce(self, req) -> None:
        wire = req.wire_bytes
        codec = req.codec
        shallow = req.records if codec.name == "none" else len(req.batches)  # v0/v1: a compressed set is one
        cpu = self.request_cpu_ms + self.append_cpu_ms_per_mb * wire / MIB + self.leader_pass_ms * shallow
        batches = req.batches
        logs = self.logs
        if codec.name != "none":  # LogValidator decompresses to validate
            raw = 0
            for b in batches:
                raw += b.size_bytes
            cpu += raw / codec.decompress_bytes_per_ms
            if self.cluster.magic == 0:
                # v0 messages carry absolute offsets inside the compressed wrapper: the broker recompresses
                # every compressed set to assign them (0.8-0.9; v1's relative offsets ended it, KIP-31).
                cpu += raw / codec.compress_bytes_per_ms
        stored = None  # per batch, the bytes the log stores when the topic recompresses
        log_manager = self.log_manager
        if log_manager.recompressing:
            stored = [b.wire_bytes for b in batches]
            for i, b in enumerate(batches):
                log = logs.get(b.tp)
                target = log.codec if log is not None else None
                if target is not None and target.name != codec.name:
                    # The topic's compression.type differs from the producer's: the broker recompresses.
                    raw = b.size_bytes - b.header_bytes
                    cpu += raw / target.compress_bytes_per_ms if target.name != "none" else 0.0
                    stored[i] = b.header_bytes + (
                        int(compressed_size(target, raw)) if target.name != "none" else raw
                    )
        req.stored_bytes = stored
        queued, start, end = self.socket_server.admit(req.conn, req.arrive_ms, cpu)
        rate = self.disk_write_bytes_per_ms
        flushing = log_manager.flushing
        for i, b in enumerate(batches):
            log = logs.get(b.tp)
            if log is None:
                continue  # no replica here: refused when it is appended
            nbytes = b.wire_bytes if stored is None else stored[i]
            log_manager.add_pending(log.disk, nbytes)
            if flushing and log.flush_policy:
                end = log_manager.flush(log, nbytes, b.count, end, rate)
        end = log_manager.write_back_pending(end, rate)
        req.queue_ms, req.start_ms, req.done_ms = queued, start, end
        self.env.at(end, self._append_cb, (req, self.epoch, self.env.now))

    def _append(self, req, epoch: int, booked_ms: float) -> None:
        if epoch != self.epoch or (self.stalls and self._held_up(self._append, req, epoch, booked_ms)):
            return  # booked before a stop (dropped), or pushed back by a stall (booked again)
        now = self.env.now
        if now > req.done_ms:  # a stall (a GC pause) held the append up: that time is the append's
            req.done_ms = now
        errors = None
        batches = req.batches
        n = len(batches)
        offsets = [-1] * n  # the base offset of each batch, for the response
        led = [None] * n  # the Partition of each batch led here (read again below: no second lookup)
        acks_all = req.acks == -1
        partitions = self.partitions
        states = req.producer_state  # idempotent producer: (producer id, epoch, base sequence) per batch
        stored = req.stored_bytes
        int_max = INT_MAX
        for i in range(n):
            b = batches[i]
            tp = b.tp
            partition = partitions.get(tp)
            if partition is None:  # not the leader (any more): the response names the one it knows
                errors = errors or [None] * n
                errors[i] = "NOT_LEADER_OR_FOLLOWER"
                req.new_leaders = metadata_delta.leader_hints(self, req.new_leaders, tp)
                continue
            log = partition.log
            led[i] = partition  # (a duplicate, answered with its offsets below, is read again too)
            nbytes = b.wire_bytes if stored is None else stored[i]
            if nbytes > log.max_message_bytes:
                errors = errors or [None] * n
                errors[i] = "RECORD_TOO_LARGE"
                continue
            if acks_all and not log.hw_follows_leo and len(partition.isr) < partition.min_insync_replicas:
                errors = errors or [None] * n
                errors[i] = "NOT_ENOUGH_REPLICAS"  # refused before the append
                continue
            if states is not None:
                pid, epoch, seq = states[i]
                last = seq + b.count - 1
                if last > int_max:
                    last -= int_max + 1  # DefaultRecordBatch.incrementSequence: wraps to 0
                state = log.producer_state
                verdict = state.validate(pid, epoch, seq, last, log.log_end_offset, b.count, now)
                if verdict is not None:
                    if verdict.__class__ is str:
                        errors = errors or [None] * n
                        errors[i] = verdict
                    else:  # a duplicate of a batch in the log: answered with its offsets, not appended again
                        offsets[i] = verdict.first_offset
                    continue
            offsets[i] = log.append(b, now, partition.leader_epoch, nbytes).base_offset
        req.errors = errors
        req.base_offsets = offsets
        # Like ReplicaManager.appendRecords: the high watermarks move and the purgatories are checked once
        # the whole request is appended.
        pending = None
        for i in range(n):
            if offsets[i] < 0:
                continue
            b = batches[i]
            tp = b.tp
            partition = led[i]
            log = partition.log
            if not log.hw_follows_leo:
                if partition.maybe_increment_hw(now):
                    self.produce_purgatory.check(partition)
                if acks_all and (errors is None or errors[i] is None):
                    required = offsets[i] + b.count
                    if log.high_watermark < required:
                        if pending is None:
                            pending = []
                        pending.append((log, required, i))
            self._fetches_ready(log)
        req.replicated_ms = now
        if pending is not None:
            # DelayedProduce: answered when the followers have the records, or after the request's timeout.
            self.produce_purgatory.watch(req, pending, now + req.timeout_ms)
        elif req.acks != 0:
            self._send_produce_response(req)
        else:
            self.socket_server.unmute(req.conn, now)  # no response: the processor reads the next request

    def _send_produce_response(self, req) -> None:
        req.replicated_ms = self.env.now
        self._send_response(req.conn, req.host, PRODUCE_RESPONSE_BYTES, self.network_thread_cpu_ms, INF,
                            req.client.response_cb, (req,))

    def _hw_advanced(self, partition) -> None:
        """Its high watermark moved: acks=all requests and consumer fetches waiting on it may go."""
        self.produce_purgatory.check(partition)
        self._fetches_ready(partition.log)

    def _fetches_ready(self, log) -> None:
        """After an append to ``log`` or a move of its high watermark: the fetches parked on it that now have
        ``fetch.min.bytes`` leave the purgatory (``DelayedFetchPurgatory.leave``) and are answered."""
        purgatory = self.purgatory
        ws = log.fetch_watchers
        if not ws:
            return
        first = more = None  # those answered, in order (answering changes no log); usually one: no list
        for fetch in ws:
            if fetch.parked and self._available_bytes(fetch) >= fetch.min_bytes:
                if first is None:
                    first = fetch
                elif more is None:
                    more = [fetch]
                else:
                    more.append(fetch)
        if first is None:
            return
        awake = self.paused_until <= self.env.now  # paused, the purgatory answers them when the process wakes
        for fetch in (first,) if more is None else [first] + more:  # (its _complete: lifecycle.pause)
            if awake:
                purgatory.leave(fetch)
                self._respond_fetch(fetch)
            else:
                purgatory.release(fetch)

    # ------------------------------------------------------------------ fetch
    def handle_fetch(self, fetch: FetchRequest) -> None:
        """Book a fetch request from its arrival time (see ``handle_produce``); it reads at handler time.

        The broker's ``fetch.max.bytes`` caps what the consumer asked for (``KafkaApis.handleFetchRequest``).
        """
        if not self.running:
            return
        self.fetch_requests += 1
        if self.socket_server.mute(fetch.conn, FETCH, fetch):
            return
        self._book_fetch(fetch)

    def _book_fetch(self, fetch: FetchRequest) -> None:
        if fetch.replica_id < 0:
            cap = self.fetch_max_bytes
            if fetch.max_bytes > cap:  # a follower's limit is its own
                fetch.max_bytes = cap
            self._drop_not_led(fetch)  # NOT_LEADER_OR_FOLLOWER, with the leader it knows (KIP-951)
        elif fetch.leaders is None or fetch.leaders_version != self.led_version:
            # a follower still fetching what this broker no longer leads: it hears from the metadata log
            led = self.partitions
            for tp in fetch.partitions:
                if tp not in led:
                    fetch.retain(led)
                    break
        end = self.socket_server.admit_end(fetch.conn, fetch.arrive_ms, self.request_cpu_ms)
        self.env.at(end, self._read_cb, (fetch, self.epoch, self.env.now))

    def _fetch_logs(self, fetch: FetchRequest) -> list:
        """The logs of the fetch's partitions, in their order: looked up once and kept on the fetch (a
        parked fetch is looked at on every append to its partitions). Partitions only ever leave a fetch
        (those this broker no longer leads), so a list of another length is looked up again."""
        logs = fetch.logs
        if logs is None or len(logs) != len(fetch.partitions):
            by_tp = self.logs
            logs = fetch.logs = [by_tp[tp] for tp in fetch.partitions]
        return logs

    def _available_bytes(self, fetch: FetchRequest) -> int:
        """Bytes the fetch could read now, counted until ``fetch.min.bytes`` is reached."""
        logs = self._fetch_logs(fetch)
        parts, offsets = fetch.partitions, fetch.offsets
        need = fetch.min_bytes
        total = 0
        follower = fetch.replica_id >= 0
        for i in range(len(parts)):
            off = offsets[i]
            log = logs[i]
            if off < log.log_end_offset:
                total += log.bytes_after(off, log.log_end_offset if follower else -1)
                if total >= need:
                    break
            elif off > log.log_end_offset and not follower:
                # OFFSET_OUT_OF_RANGE (the log was truncated below the consumer: an unclean election):
                # answered at once, and the consumer resets its position (auto.offset.reset).
                tp = parts[i]
                oor = fetch.out_of_range
                if oor is None:
                    fetch.out_of_range = [tp]
                elif tp not in oor:
                    oor.append(tp)
                return need if need > 0 else 1
        return total

    def _read(self, fetch: FetchRequest, epoch: int, booked_ms: float) -> None:
        if epoch != self.epoch or (self.stalls and self._held_up(self._read, fetch, epoch, booked_ms)):
            return  # booked before a stop (dropped), or pushed back by a stall (booked again)
        now = self.env.now
        follower = fetch.replica_id
        if follower < 0 and booked_ms <= self.resigned_ms:
            self._drop_not_led(fetch)  # it stopped leading some partition since the fetch was booked
        if follower >= 0:
            # The fetch offsets are the follower's log end offsets: the ISR and high watermarks may move.
            partitions = self.partitions
            leaders = fetch.leaders if fetch.leaders_version == self.led_version else None
            gone = False
            parts, offsets = fetch.partitions, fetch.offsets
            for i in range(len(parts)):
                partition = leaders[i] if leaders is not None else partitions.get(parts[i])
                if partition is None:
                    gone = True  # no longer led here: answered without it
                elif partition.update_follower_fetch_state(follower, offsets[i], now):
                    self._hw_advanced(partition)
            if gone:
                fetch.retain(partitions)
        if fetch.min_bytes <= 0 or self._available_bytes(fetch) >= fetch.min_bytes:
            self._respond_fetch(fetch)
        else:
            self.purgatory.watch(
                fetch, self._fetch_logs(fetch), max(now, fetch.arrive_ms + fetch.max_wait_ms)
            )

    def _respond_fetch(self, fetch: FetchRequest) -> None:
        now = self.env.now
        data = []
        total = 0
        disk_done = now
        logs = self._fetch_logs(fetch)
        parts, offsets = fetch.partitions, fetch.offsets
        max_bytes = fetch.max_bytes
        partition_bytes = fetch.max_partition_bytes
        cache = self.log_manager.page_cache_per_log
        min_one = True  # readFromLog's minOneMessage: until a partition returned data
        follower = fetch.replica_id >= 0
        if follower:  # the response carries the leader's high watermarks
            hws = [0] * len(logs)  # (filled by index: a list of its size at once, not grown)
            for i in range(len(logs)):
                log = logs[i]
                hws[i] = log.high_watermark
            fetch.high_watermarks = hws
        for i in range(len(parts)):
            off = offsets[i]
            left = max_bytes - total
            if not min_one and left <= 0:
                break
            log = logs[i]
            end = log.log_end_offset if follower else log.high_watermark
            if off >= end:
                continue  # nothing to read (most partitions of a fetch, most of the time): no call, no list
            limit = partition_bytes if partition_bytes < left else left
            batches = log.read_counted(off, limit, min_one, end)
            nbytes = log.last_read_bytes
            if not batches:
                continue
            min_one = False
            if log.size_bytes > cache and log.bytes_after(off) > cache:
                rate = self.log_manager.disk_rate(self.disk_read_bytes_per_ms, now)
                done = self.disks[log.disk].reserve_end(now, nbytes / rate)
                if done > disk_done:
                    disk_done = done
            data.append((parts[i], batches))
            total += nbytes
        cpu = self.network_thread_cpu_ms + self.fetch_cpu_ms_per_mb * total / MIB
        if follower:
            self.replication_bytes_out += total
        if disk_done > now:
            self.env.at(disk_done, self._ship_fetch, (fetch, data, total, cpu, self.epoch))
        else:
            self._ship_fetch(fetch, data, total, cpu)

    def _ship_fetch(self, fetch, data, total, cpu, epoch=-1) -> None:
        if epoch >= 0 and epoch != self.epoch:  # (-1: shipped at once, not booked for later)
            return
        nbytes = _FETCH_RESPONSE_OVERHEAD + total
        self._send_response(fetch.conn, fetch.host, nbytes, cpu, fetch.window, fetch.reply,
                            (fetch, data))

    # ------------------------------------------------------------------ metadata
    def handle_metadata(self, req) -> None:
        """A client's ``MetadataRequest``: answered from the broker's metadata cache (in KRaft every broker
        has the whole cluster's), through its network and request-handler threads."""
        if not self.running:
            return
        self.metadata_requests += 1
        if self.socket_server.mute(req.conn, METADATA, req):
            return
        self._book_metadata(req)

    def _book_metadata(self, req) -> None:
        end = self.socket_server.admit_end(req.conn, req.arrive_ms, self.profile.request_cpu_ms)
        self.env.at(end, self._answer_metadata, (req, self.epoch, self.env.now))

    def _answer_metadata(self, req, epoch: int, booked_ms: float) -> None:
        step = self._answer_metadata
        if epoch != self.epoch or (self.stalls and self._held_up(step, req, epoch, booked_ms)):
            return  # booked before a stop (dropped), or pushed back by a stall (booked again)
        partitions = metadata_delta.metadata_view(self, req.topic)
        nbytes = METADATA_RESPONSE_OVERHEAD + METADATA_PARTITION_BYTES * len(partitions)
        self._send_response(req.conn, req.host, nbytes, self.profile.network_thread_cpu_ms, INF,
                            req.client.on_metadata_response, (req, partitions))
