"""``LogManager``: a broker's logs on its disks, the page cache in front of them, and retention.

What Kafka does (``storage/.../internals/log/LogManager``, with Linux underneath): a broker spreads its
partitions' logs over its ``log.dirs`` (a new log goes to the directory with the fewest partitions);
appends land in the OS page cache and the kernel writes them back in the background; when a disk's
backlog of dirty bytes passes ``vm.dirty_ratio`` of the page cache, writers wait for it; ``flush.messages``
/ ``flush.ms`` (off by default) force an fsync; the ``kafka-log-retention`` task deletes expired segments
every ``log.retention.check.interval.ms``.

What Linux does (``mm/page-writeback.c``, ``fs/fs-writeback.c``; figures in the project's reference notes
on variability, section 4): a write only dirties pages of the page cache. A flusher thread per disk wakes
every ``vm.dirty_writeback_centisecs`` (5 s) and writes back the pages dirty for longer than
``vm.dirty_expire_centisecs`` (30 s). Once the dirty pages pass ``vm.dirty_background_ratio`` (10 %) of
the page cache, it writes in the background, oldest first, until they are below again. Writers run
freely below the freerun ceiling, halfway between the background threshold and ``vm.dirty_ratio`` (15 %);
above it ``balance_dirty_pages`` slows them down (a cubic ``pos_ratio``: twice the disk's write bandwidth
at the ceiling, once at the setpoint halfway to the limit, nothing at the limit), in sleeps of at most
200 ms, and at ``vm.dirty_ratio`` (20 %) they wait for the flusher. Pages under write-back count as dirty
until the disk has them.

A ``slow_disk`` fault (``eventsim.faults``) makes every disk of the broker serve a given factor slower
for a while: writes back up, and with them, past ``vm.dirty_ratio``, the appends.

What is modelled: one disk station per log directory (sequential write and read bandwidth of the
hardware profile), the page cache shared evenly by the broker's logs (what a consumer far behind reads
from disk), fsyncs and retention (``log/log.py``), and the write-back in one of two ways, the scenario's
``variability.page_cache_writeback``:

* off (the default): write-through, smoothed. Every append's bytes are booked on its disk at once; an
  append waits only when the disk's backlog of booked bytes passes ``vm.dirty_ratio`` of the page cache
  per disk. What survives a power loss still follows the kernel's expire rule (``Log.durable_offset``).
* on: the kernel's rules above, per disk, on that disk's share of the page cache. Appends only count their
  bytes dirty (numbers kept per 10 ms of booking time, ``DIRTY_BUCKET_MS``, not per record or request);
  the flusher wakes every 5 s (one timer per broker) and writes what expired, and, over the background
  threshold, writes continuously. It writes a chunk at a time, each a booking of the disk station and one
  timer at its end. The kernel's flusher takes half a second of the disk's bandwidth at a time, at most an
  eighth of the dirty limit, at least 4 MiB (``writeback_chunk_size`` in ``fs/fs-writeback.c``; judgement,
  not in the reference notes), but hands it to the block layer as requests, and the I/O scheduler
  (``mq-deadline``) dispatches waiting reads ahead of writes; so a booking here is at most 4 MiB
  (``WRITEBACK_BOOKING_BYTES``, judgement: what a read may find already dispatched ahead of it, 30 ms on a
  137 MB/s disk). A disk read (a reader behind the page cache) that arrives during a booking queues behind
  it: write-back competes with reads. Between the freerun ceiling and the limit, the disk's appends are
  paced together at the disk's write bandwidth times ``pos_ratio`` (Linux's ``dirty_ratelimit`` converges
  to the bandwidth shared by the writers), each pause at most 200 ms; at the limit an append waits until
  the flusher has written what is over it, at the disk's bandwidth. What survives a power loss is what the
  flusher has written (``written_before``, ``Log.durable_offset``), and the dirty bytes are lost with the
  machine.

The page cache at the start (``variability.page_cache_start``): ``cold`` (the default) starts with no
dirty bytes, so a run shorter than the expire interval writes nothing back unless its writers pass the
background threshold. ``warm`` starts each broker as after a long run: the page cache full of older
data (in it, as in every run, the newest bytes of each log; a reader further behind than its log's share
reads from disk), and each disk's dirty bytes at the background threshold, dirtied evenly over the 30 s
before the start (the state a writer at the background threshold's worth per 30 s leaves; a faster one
keeps the dirty bytes at the threshold anyway). Those bytes belong to no log of the run. The first
appends then put the disk over the background threshold and the flusher at work, and its 5 s wakes
write a sixth of the older bytes each: within a short run the disk is in the regime a long benchmark
reaches, writing back while readers behind the cache read from it. ``warm`` needs
``page_cache_writeback``: the write-through model keeps no dirty bytes to start with.

Not modelled: the log cleaner (compaction), index files, recovery at start-up, the page cache's
per-file accounting (dirty bytes and thresholds are per disk here, where Linux's are global, with
per-device shares), the I/O scheduler's preference for reads beyond the bounded booking (a read waits for
the booking being written, not for the whole backlog), an fsync cleaning the dirty pages it writes (they
are written back again), and the page cache emptied by a power loss for readers.
"""

from __future__ import annotations

from array import array
from collections import deque

from eventsim.core.stations import Station
from eventsim.log.compression import get_codec
from eventsim.log.log import DIRTY_EXPIRE_MS, DIRTY_WRITEBACK_MS, Log
from eventsim.metrics.timeseries import window_of

__all__ = [
    "LogManager",
    "DIRTY_RATIO",
    "DIRTY_BACKGROUND_RATIO",
    "MAX_PAUSE_MS",
    "DIRTY_BUCKET_MS",
    "pos_ratio",
]

DIRTY_RATIO = 0.20  # Linux vm.dirty_ratio default (mm/page-writeback.c)
DIRTY_BACKGROUND_RATIO = 0.10  # vm.dirty_background_ratio default (mm/page-writeback.c)
MAX_PAUSE_MS = 200.0  # balance_dirty_pages sleeps at most MAX_PAUSE = HZ/5 at a time
WRITEBACK_CHUNK_MS = 500.0  # a chunk: half a second of the disk's bandwidth (writeback_chunk_size; judgement)
DIRTY_SCOPE = 8  # ... and at most an eighth of the dirty limit
MIN_WRITEBACK_BYTES = 4 * 1024 * 1024  # ... and at least MIN_WRITEBACK_PAGES (4 MiB)
WRITEBACK_BOOKING_BYTES = 4 * 1024 * 1024  # what is booked on the disk at once: reads go between bookings
DIRTY_BUCKET_MS = 10.0  # dirty bytes are kept per this much booking time (divides DIRTY_WRITEBACK_MS)
WARM_SLICES = int(DIRTY_EXPIRE_MS // DIRTY_WRITEBACK_MS)  # a warm disk's older dirty bytes, one per wake


def pos_ratio(dirty: float, freerun: float, limit: float) -> float:
    """``balance_dirty_pages``' position ratio: 2 at the freerun ceiling, 1 at the setpoint halfway to the
    limit, 0 at the limit (cubic in between; ``wb_position_ratio`` in ``mm/page-writeback.c``)."""
    setpoint = (freerun + limit) / 2.0
    x = (setpoint - dirty) / (limit - setpoint)
    r = 1.0 + x * x * x
    if r < 0.0:
        return 0.0
    return r if r < 2.0 else 2.0


class LogManager:
    """The logs of one broker (see module docstring). ``env`` runs the flusher when ``writeback`` is on;
    ``warm`` starts its disks with dirty bytes at the background threshold."""

    def __init__(self, name: str, profile, window_ms: float, env=None, writeback: bool = False,
                 warm: bool = False):  # fmt: skip
        n = profile.disks
        self.disks = [Station(f"{name}.disk-{i}", 1, window_ms) for i in range(n)]
        self.dirty_limit_bytes = DIRTY_RATIO * profile.page_cache_bytes / n
        self.page_cache_bytes = profile.page_cache_bytes
        self.page_cache_per_log = profile.page_cache_bytes
        self.logs: dict = {}
        self.recompressing = False  # some topic sets its own compression.type
        self.flushing = False  # some topic sets flush.messages / flush.ms
        # A slow_disk fault: the disks work ``slow_factor`` times slower from ``slow_start`` to ``slow_end``.
        self.slow_start = 0.0
        self.slow_end = 0.0
        self.slow_factor = 1.0
        # Write-back as Linux runs it (variability.page_cache_writeback), per disk: thresholds in bytes of
        # the disk's share of the page cache, and the state the flusher and the writers share.
        self.env = env
        self.writeback = bool(writeback)
        if self.writeback and env is None:
            raise ValueError(f"{name}: page-cache write-back needs the simulation's environment")
        self.background_bytes = DIRTY_BACKGROUND_RATIO * profile.page_cache_bytes / n
        self.freerun_bytes = (self.background_bytes + self.dirty_limit_bytes) / 2.0
        self.write_rate = float(profile.disk_write_bytes_per_ms)
        chunk = min(self.write_rate * WRITEBACK_CHUNK_MS, self.dirty_limit_bytes / DIRTY_SCOPE)
        # The flusher's chunk, as the kernel sizes it; booked on the disk WRITEBACK_BOOKING_BYTES at a time.
        self.flusher_chunk_bytes = max(int(chunk), MIN_WRITEBACK_BYTES)
        self.chunk_bytes = min(self.flusher_chunk_bytes, WRITEBACK_BOOKING_BYTES)
        # Per-disk numbers read and written on every append are arrays (compiled, typed views: C numbers).
        self.dirty = array("q", bytes(8 * n))  # dirty bytes, counting those being written (the thresholds')
        self.bucket_index = [deque() for _ in range(n)]  # per DIRTY_BUCKET_MS of booking time, oldest first
        self.bucket_bytes = [deque() for _ in range(n)]  # ... their bytes not yet being written
        # The newest bucket, while appends still fill it, as two numbers (-1 bytes: none) rather than the last
        # of the deques (a number object per append): it joins them when something reads them (_settle).
        self._open_index = array("q", bytes(8 * n))
        self._open_bytes = array("q", [-1] * n)
        self.inflight = array("q", bytes(8 * n))  # bytes of the chunk being written
        self.inflight_from = [0.0] * n  # booking time of its oldest bytes
        self.expire_before = [-DIRTY_EXPIRE_MS] * n  # bytes booked before this have expired (last wake)
        self.pace = array("d", bytes(8 * n))  # when the disk's throttled appends may go on (dirty throttling)
        # The bytes per disk of the request being booked (add_pending), -1 for a disk it has not named, and
        # the disks in the order it named them: a scratch for one booking at a time, not a dict per request.
        self._pending = array("q", [-1] * n)
        self._pending_order: list = []
        self.generation = [0] * n  # a power loss drops the chunks being written
        self.lost_ms = [-1.0] * n  # the last power loss, and what had reached the disk then
        self.lost_written_before = [0.0] * n
        self.written_back_bytes = [0] * n  # counters: bytes written back, chunks, appends' pauses
        self.writeback_chunks = [0] * n
        self.throttled_ms = 0.0
        if self.writeback:
            if warm:
                for d in range(n):
                    self._warm(d)
            env.at(DIRTY_WRITEBACK_MS, self._wake, ())

    def _warm(self, d: int) -> None:
        """A long run's state: dirty bytes at the background threshold, dirtied evenly over the expire
        interval before the start (one slice per flusher wake, the oldest expiring at the first)."""
        share = int(self.background_bytes // WARM_SLICES)
        for k in range(WARM_SLICES):
            t = -DIRTY_EXPIRE_MS + k * DIRTY_WRITEBACK_MS
            self.bucket_index[d].append(int(t // DIRTY_BUCKET_MS))
            self.bucket_bytes[d].append(share)
        self.dirty[d] = share * WARM_SLICES

    def slow_down(self, start_ms: float, end_ms: float, factor: float) -> None:
        """The disks serve ``factor`` times slower in the window (a failing disk, a noisy neighbour)."""
        self.slow_start, self.slow_end, self.slow_factor = float(start_ms), float(end_ms), float(factor)

    def disk_rate(self, rate: float, at_ms: float) -> float:
        """``rate`` (bytes per ms) as the disks give it at ``at_ms``."""
        if self.slow_start <= at_ms < self.slow_end:
            return rate / self.slow_factor
        return rate

    def add_log(self, tp, topic_config, now_ms: float) -> Log:
        disk = len(self.logs) % len(self.disks)  # Kafka picks the log dir with the fewest partitions
        log = Log(tp, topic_config, now_ms, disk)
        ctype = topic_config.compression_type
        log.codec = None if ctype == "producer" else get_codec(ctype)  # None: keep the producer's codec
        if self.writeback:
            log.writeback = self  # what reached the disk is what the flusher wrote
        self.logs[tp] = log
        self.recompressing = self.recompressing or log.codec is not None
        self.flushing = self.flushing or log.flush_policy
        self.page_cache_per_log = self.page_cache_bytes / len(self.logs)
        return log

    def add_pending(self, d: int, nbytes: int) -> None:
        """``nbytes`` of the request being booked go to disk ``d``: ``write_back_pending`` books them, per
        disk, in the order the request named its disks."""
        if self._pending[d] < 0:
            self._pending[d] = nbytes
            self._pending_order.append(d)
        else:
            self._pending[d] += nbytes

    def write_back_pending(self, end: float, rate: float) -> float:
        """``write_back`` of each disk's bytes from ``add_pending``, which starts afresh; returns when the
        appends may go on."""
        order = self._pending_order
        for i in range(len(order)):
            d = order[i]
            end = self.write_back(d, self._pending[d], end, rate)
            self._pending[d] = -1
        order.clear()
        return end

    def drop_pending(self) -> None:
        """Forget what ``add_pending`` collected (nothing was appended after all)."""
        order = self._pending_order
        for i in range(len(order)):
            self._pending[order[i]] = -1
        order.clear()

    def write_back(self, d: int, nbytes: int, end: float, rate: float) -> float:
        """Page cache write-back of ``nbytes`` appended to disk ``d`` at ``end``; returns when the append
        may go on. Write-through with ``vm.dirty_ratio`` throttling, or, with ``writeback``, dirty bytes
        for the flusher and ``balance_dirty_pages``' throttling (``dirty_pages``)."""
        if self.writeback:
            return self.dirty_pages(d, nbytes, end, rate)
        disk = self.disks[d]
        if self.slow_end > end:
            rate = self.disk_rate(rate, end)
        backlog = (disk.free_at() - end) * rate
        if backlog > self.dirty_limit_bytes:
            end += (backlog - self.dirty_limit_bytes) / rate
        disk.reserve_end(end, nbytes / rate)
        return end

    # ------------------------------------------------------------------ Linux write-back
    def throttle_ms(self, d: int, nbytes: int, end: float, rate: float) -> float:
        """How long ``balance_dirty_pages`` holds an append of ``nbytes`` to disk ``d`` at ``end`` (pure but
        for the disk's pacing clock, which it moves): nothing up to the freerun ceiling; paced at ``rate``
        times ``pos_ratio`` with the disk's other throttled appends, at most ``MAX_PAUSE_MS``, up to the
        limit; at the limit, until the flusher has written what is over it at ``rate``."""
        dirty = self.dirty[d]
        if dirty <= self.freerun_bytes:
            return 0.0
        limit = self.dirty_limit_bytes
        if dirty >= limit:
            return (dirty + nbytes - limit) / rate
        r = rate * pos_ratio(dirty, self.freerun_bytes, limit)
        if r <= 0.0:
            return MAX_PAUSE_MS
        start = self.pace[d]
        if start < end:
            start = end
        pause = start + nbytes / r - end
        if pause > MAX_PAUSE_MS:
            pause = MAX_PAUSE_MS
        self.pace[d] = end + pause
        return pause

    def dirty_pages(self, d: int, nbytes: int, end: float, rate: float) -> float:
        """An append's ``nbytes`` become dirty pages of disk ``d`` (booked now, kept per
        ``DIRTY_BUCKET_MS``); the append is throttled as Linux throttles writers, and over the background
        threshold the flusher is set to work."""
        if self.slow_end > end:
            rate = self.disk_rate(rate, end)
        pause = self.throttle_ms(d, nbytes, end, rate)
        if pause > 0.0:
            self.throttled_ms += pause
            end += pause
        index = window_of(self.env.now, DIRTY_BUCKET_MS)
        held = self._open_bytes[d]
        if held >= 0 and self._open_index[d] == index:
            self._open_bytes[d] = held + nbytes
        else:
            if held >= 0:
                self._settle(d)  # a new bucket: the one filled so far joins the deques
            indices = self.bucket_index[d]
            if indices and indices[-1] == index:  # the newest bucket, settled by a reader, fills on
                indices.pop()
                held = self.bucket_bytes[d].pop()
                self._open_bytes[d] = held + nbytes
            else:
                self._open_bytes[d] = nbytes
            self._open_index[d] = index
        self.dirty[d] += nbytes
        if self.dirty[d] > self.background_bytes and not self.inflight[d]:
            self.flush_dirty(d)  # balance_dirty_pages starts background write-back
        return end

    def _wake(self) -> None:
        """The flushers' periodic wake (``dirty_writeback_centisecs``): what expired is written back."""
        now = self.env.now
        for d in range(len(self.disks)):
            self.expire_before[d] = now - DIRTY_EXPIRE_MS
            if not self.inflight[d]:
                self.flush_dirty(d)
        self.env.at(now + DIRTY_WRITEBACK_MS, self._wake, ())

    def dirty_buckets(self, d: int) -> list[tuple[int, int]]:
        """Disk ``d``'s dirty bytes not yet being written, per ``DIRTY_BUCKET_MS`` of booking time, oldest
        first: ``(bucket index, bytes)``."""
        self._settle(d)
        return list(zip(self.bucket_index[d], self.bucket_bytes[d], strict=True))

    def _settle(self, d: int) -> None:
        """Disk ``d``'s newest bucket joins the deques (``dirty_pages`` fills it as two numbers)."""
        held = self._open_bytes[d]
        if held >= 0:
            self.bucket_index[d].append(self._open_index[d])
            self.bucket_bytes[d].append(held)
            self._open_bytes[d] = -1

    def next_chunk(self, d: int) -> int:
        """The bytes disk ``d``'s flusher writes next (0: none), taken from its oldest dirty bytes: over
        the background threshold a chunk of any age, else what expired by the last wake, up to a chunk."""
        self._settle(d)
        indices = self.bucket_index[d]
        sizes = self.bucket_bytes[d]
        background = self.dirty[d] > self.background_bytes
        cutoff = self.expire_before[d]
        chunk = self.chunk_bytes
        taken = 0
        while indices and taken < chunk:
            if not background and (indices[0] + 1) * DIRTY_BUCKET_MS > cutoff:
                break  # not expired (a bucket expires when all of it has)
            size = sizes[0]
            if size <= chunk - taken:
                taken += size
                indices.popleft()
                sizes.popleft()
            else:
                sizes[0] = size - (chunk - taken)
                taken = chunk
        return taken

    def flush_dirty(self, d: int) -> None:
        """The flusher of disk ``d`` writes its next chunk, if it has one, on the disk station from now;
        when the chunk is on disk (``_written``) it looks again."""
        if self.inflight[d]:
            return  # one chunk at a time
        self._settle(d)
        indices = self.bucket_index[d]
        oldest = indices[0] * DIRTY_BUCKET_MS if indices else 0.0
        nbytes = self.next_chunk(d)
        if nbytes <= 0:
            return
        now = self.env.now
        rate = self.disk_rate(self.write_rate, now)
        end = self.disks[d].reserve_end(now, nbytes / rate)
        self.inflight[d] = nbytes
        self.inflight_from[d] = oldest
        self.env.at(end, self._written, (d, self.generation[d]))

    def _written(self, d: int, generation: int) -> None:
        if generation != self.generation[d]:
            return  # the machine lost power meanwhile
        nbytes = self.inflight[d]
        self.inflight[d] = 0
        self.dirty[d] -= nbytes
        self.written_back_bytes[d] += nbytes
        self.writeback_chunks[d] += 1
        self.flush_dirty(d)

    def written_before(self, d: int) -> float:
        """Every byte appended to disk ``d`` and booked before this time is on the disk (write-back on)."""
        now = self.env.now
        if self.lost_ms[d] == now:
            return self.lost_written_before[d]
        if self.inflight[d]:
            return self.inflight_from[d]
        self._settle(d)
        indices = self.bucket_index[d]
        if indices:
            return indices[0] * DIRTY_BUCKET_MS
        return now

    def lose_dirty(self, d: int) -> None:
        """The machine lost power: disk ``d``'s dirty pages are gone, and the chunk being written with them
        (what it had written before is kept by ``written_before`` for the other logs of the disk)."""
        now = self.env.now
        if self.lost_ms[d] == now:
            return
        self.lost_written_before[d] = self.written_before(d)
        self.lost_ms[d] = now
        self.generation[d] += 1
        self.inflight[d] = 0
        self.dirty[d] = 0
        self.bucket_index[d].clear()
        self.bucket_bytes[d].clear()
        self._open_bytes[d] = -1

    def flush(self, log, nbytes: int, count: int, end: float, rate: float, appended: bool = False) -> float:
        """``flush.messages`` / ``flush.ms``: an fsync makes the append wait for the disk (``appended``: a
        follower's, after the entries are in its log; a leader's is booked before)."""
        cfg = log.config
        if self.slow_end > end:
            rate = self.disk_rate(rate, end)
        log.unflushed_messages += count
        if log.unflushed_messages >= cfg.flush_messages or end - log.last_flush_ms >= cfg.flush_ms:
            disk = self.disks[log.disk]
            written = disk.reserve_end(end, nbytes / rate)
            end = max(end, written)
            log.unflushed_messages = 0
            log.last_flush_ms = end
            # Through this batch (a leader's is appended when the fsync is booked).
            log.flushed_offset = log.log_end_offset + (0 if appended else count)
        return end

    def enforce_retention(self, now_ms: float, recorder) -> None:
        """One run of the ``kafka-log-retention`` task over every log."""
        for log in self.logs.values():
            deleted = log.enforce_retention(now_ms)
            if deleted:
                recorder.segments_deleted(log.tp, deleted)
