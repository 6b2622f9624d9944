"""``LogManager``: a broker's logs on its disks, the page cache in front of them, and retention.

What Kafka does (``storage/.../internals/log/LogManager``, with Linux underneath): a broker spreads its
partitions' logs over its ``log.dirs`` (a new log goes to the directory with the fewest partitions);
appends land in the OS page cache and the kernel writes them back in the background; when a disk's
backlog of dirty bytes passes ``vm.dirty_ratio`` of the page cache, writers wait for it; ``flush.messages``
/ ``flush.ms`` (off by default) force an fsync; the ``kafka-log-retention`` task deletes expired segments
every ``log.retention.check.interval.ms``.

A ``slow_disk`` fault (``eventsim.faults``) makes every disk of the broker serve a given factor slower
for a while: writes back up, and with them, past ``vm.dirty_ratio``, the appends.

What is modelled: one disk station per log directory (sequential write and read bandwidth of the
hardware profile), the page cache shared evenly by the broker's logs (what a consumer far behind reads
from disk), write-back with ``vm.dirty_ratio`` throttling, fsyncs and retention (``log/log.py``).

Not modelled: the log cleaner (compaction), index files, and recovery at start-up.
"""

from __future__ import annotations

from eventsim.core.stations import Station
from eventsim.log.compression import get_codec
from eventsim.log.log import Log

__all__ = ["LogManager", "DIRTY_RATIO"]

DIRTY_RATIO = 0.20  # Linux vm.dirty_ratio default


class LogManager:
    """The logs of one broker (see module docstring)."""

    def __init__(self, name: str, profile, window_ms: float):
        self.disks = [Station(f"{name}.disk-{i}", 1, window_ms) for i in range(profile.disks)]
        self.dirty_limit_bytes = DIRTY_RATIO * profile.page_cache_bytes / profile.disks
        self.page_cache_bytes = profile.page_cache_bytes
        self.page_cache_per_log = profile.page_cache_bytes
        self.logs: dict = {}
        self.recompressing = False  # some topic sets its own compression.type
        self.flushing = False  # some topic sets flush.messages / flush.ms
        # A slow_disk fault: the disks work ``slow_factor`` times slower from ``slow_start`` to ``slow_end``.
        self.slow_start = 0.0
        self.slow_end = 0.0
        self.slow_factor = 1.0

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
        self.logs[tp] = log
        self.recompressing = self.recompressing or log.codec is not None
        self.flushing = self.flushing or log.flush_policy
        self.page_cache_per_log = self.page_cache_bytes / len(self.logs)
        return log

    def write_back(self, d: int, nbytes: int, end: float, rate: float) -> float:
        """Page cache write-back of ``nbytes`` to disk ``d``: throttle while its dirty backlog is too big."""
        disk = self.disks[d]
        if self.slow_end > end:
            rate = self.disk_rate(rate, end)
        backlog = (disk._free[0] - end) * rate
        if backlog > self.dirty_limit_bytes:
            end += (backlog - self.dirty_limit_bytes) / rate
        disk.reserve_end(end, nbytes / rate)
        return end

    def flush(self, log, nbytes: int, count: int, end: float, rate: float, appended: bool = False) -> float:
        """``flush.messages`` / ``flush.ms``: an fsync makes the append wait for the disk (``appended``: a
        follower's, after the entries are in its log; a leader's is booked before)."""
        cfg = log.config
        if self.slow_end > end:
            rate = self.disk_rate(rate, end)
        log.unflushed_messages += count
        if log.unflushed_messages >= cfg.flush_messages or end - log.last_flush_ms >= cfg.flush_ms:
            disk = self.disks[log.disk]
            _, written = disk.reserve(end, nbytes / rate)
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
