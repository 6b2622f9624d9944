"""The sources of variability a real cluster has, as a scenario switches them (``variability:``).

What a real cluster does: no two requests take the same time. Brokers and clients are JVMs that stop for
garbage collection, a thread's service time depends on what else the machine does, packets wait in
switch queues and interrupt coalescing, and the kernel writes dirty pages back in bursts. Latency tails
come from these, not from the mean service times.

What is here: ``VariabilitySpec``, the switches and parameters of each source, with the source of each
figure or the judgement behind it; the sources themselves are modelled where they act
(``eventsim.jvm``, ``eventsim.core.stations``, ``eventsim.network``, ``eventsim.log.log_manager``).
Every source is on by default.

Not here: what is not a random source. A small message's cost per packet on the wire (each packet's
90 bytes of headers and framing, so a 100-byte message takes the wire time of 179 payload bytes) is in
``eventsim.network``, for every message. Sources not modelled yet: TCP slow start and delayed
acknowledgements, packet loss, the NICs' interrupt moderation, disk latency spikes from the file
system's journal.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from eventsim.core.errors import InvalidConfigurationError
from eventsim.core.validation import check_number
from eventsim.core.validation import set_field as _set

__all__ = ["PAGE_CACHE_STARTS", "VariabilitySpec"]


PAGE_CACHE_STARTS = ("cold", "warm")  # variability.page_cache_start


@dataclass(frozen=True)
class VariabilitySpec:
    """Sources of variability a real cluster has, each with its switch (``eventsim.jvm`` for the GC pauses).

    Every source is on by default, since every real cluster has them: without them p99 sits barely above
    p50. ``variability: false`` in a scenario switches them all off (an idealised cluster, for checks
    against queueing theory or closed-form rules); ``variability: true`` is the defaults; a mapping
    changes single switches and parameters.

    ``gc``: the brokers' JVMs stop for G1 young collections: eden (``gc_eden_mb``) fills with the bytes a
    broker receives, and each pause is drawn from a lognormal with median ``gc_pause_p50_ms`` and 90th
    percentile ``gc_pause_p90_ms`` (Kafka's documentation: "a 90% GC pause time of about 21ms" with
    G1 and ``MaxGCPauseMillis=20``; the median and eden size are judgement, see ``eventsim.jvm``).

    ``client_gc``: the producers' and consumers' JVMs stop for young collections too, with the same pause
    distribution: a producer's eden (``client_gc_eden_mb``) fills with the serialised records its
    application hands to ``send()``, a consumer's with the fetch responses it receives; a pause stops the
    client's threads (``send()``, the ``Sender``, the poll loop and its processing). The 128 MiB eden is a
    quarter of the 512 MiB heap Kafka's perf-test scripts give a client (judgement, see ``eventsim.jvm``):
    a client runs in its application's JVM, whose eden is the application's.

    ``service_times``: the brokers' stations take a service time drawn around its mean instead of the
    mean itself, from a lognormal with coefficient of variation ``service_cv_cpu`` for the threads (network
    threads, request handlers and their appends, replica fetchers) and ``service_cv_disk`` for the disks
    (see ``eventsim.core.stations``); a producer's application thread takes its CPU for each ``send()``
    around its mean with ``service_cv_cpu`` too (``KafkaProducer.vary_cpu``). A NIC's time for a message is
    not drawn: a NIC clocks bits at its line rate, so its coefficient of variation is 0, and what varies
    in a message's time on the network is ``network_jitter``. A consumer's ``processing_ms`` is the
    application's work as the scenario gives it, not varied here. 0.37 is the lognormal whose 99.9th
    percentile is 3 times its median, what Li et al. ("Tales of the Tail", SoCC 2014) measured for a tuned
    server; 1.07 the one whose 99.9th percentile is 15 times its median, a SATA SSD's 800 us 99.9 % write
    QoS against its typical 52 us (Intel DC S4500 specification). No published CV of Kafka's request
    handling was found.

    ``network_jitter``: each message between hosts takes an extra one-way delay on top of the profile's
    latency, lognormal with median ``network_jitter_p50_ms`` and 99th percentile ``network_jitter_p99_ms``
    (see ``eventsim.network``). Same-zone pings average 0.26-0.41 ms against a minimum of 0.20 ms
    (orensol.com, 2009): about 0.05 ms more each way at the median; the 99th percentile is judgement
    (cross-zone pings reach 12 ms at their maximum, Liesis 2022).

    ``page_cache_writeback``: appends dirty the page cache and each disk's flusher writes them back as
    Linux does (``eventsim.log.log_manager``): every ``dirty_writeback_centisecs`` (5 s) what is older than
    ``dirty_expire_centisecs`` (30 s), continuously over ``dirty_background_ratio`` (10 %) of the page
    cache; writers throttled from the freerun ceiling (15 %) and held at ``dirty_ratio`` (20 %); the
    write-back occupies the disk, so reads from disk queue behind it. The figures are Linux's defaults
    (``mm/page-writeback.c``, the reference notes on variability, section 4). Off: every append is
    written through at once, throttled only at ``dirty_ratio``.

    ``page_cache_start``: ``cold`` (no dirty bytes at the start) or ``warm`` (as after a long run: each
    disk's dirty bytes at the background threshold, dirtied evenly over the 30 s before the start, so the
    flusher is at work from the first appends; see ``eventsim.log.log_manager``). ``warm`` needs
    ``page_cache_writeback``.
    """

    gc: bool = True
    gc_eden_mb: float = 256.0
    gc_pause_p50_ms: float = 12.0
    gc_pause_p90_ms: float = 21.0
    client_gc: bool = True
    client_gc_eden_mb: float = 128.0
    service_times: bool = True
    service_cv_cpu: float = 0.37
    service_cv_disk: float = 1.07
    network_jitter: bool = True
    network_jitter_p50_ms: float = 0.05
    network_jitter_p99_ms: float = 0.5
    page_cache_writeback: bool = True
    page_cache_start: str = "cold"

    SWITCHES = ("gc", "client_gc", "service_times", "network_jitter", "page_cache_writeback")

    @classmethod
    def off(cls) -> VariabilitySpec:
        """Every source switched off: ``variability: false``."""
        return cls(**{switch: False for switch in cls.SWITCHES})

    def __post_init__(self) -> None:
        for switch in self.SWITCHES:
            if not isinstance(getattr(self, switch), bool):
                value = getattr(self, switch)
                raise InvalidConfigurationError(switch, value, "true or false", "expected a boolean")
        for cv in ("service_cv_cpu", "service_cv_disk"):
            _set(self, cv, check_number(cv, getattr(self, cv), lo=0, hi=10))
        j50 = check_number("network_jitter_p50_ms", self.network_jitter_p50_ms, lo=0, lo_open=True)
        _set(self, "network_jitter_p50_ms", j50)
        j99 = check_number("network_jitter_p99_ms", self.network_jitter_p99_ms, lo=0, lo_open=True)
        if j99 < j50:
            raise InvalidConfigurationError(
                "network_jitter_p99_ms",
                j99,
                f"a number >= network_jitter_p50_ms ({j50:g})",
                "the 99th percentile cannot be below the median",
            )
        _set(self, "network_jitter_p99_ms", j99)
        _set(self, "gc_eden_mb", check_number("gc_eden_mb", self.gc_eden_mb, lo=0, lo_open=True))
        eden = check_number("client_gc_eden_mb", self.client_gc_eden_mb, lo=0, lo_open=True)
        _set(self, "client_gc_eden_mb", eden)
        p50 = check_number("gc_pause_p50_ms", self.gc_pause_p50_ms, lo=0, lo_open=True)
        _set(self, "gc_pause_p50_ms", p50)
        p90 = check_number("gc_pause_p90_ms", self.gc_pause_p90_ms, lo=0, lo_open=True)
        if p90 < self.gc_pause_p50_ms:
            raise InvalidConfigurationError(
                "gc_pause_p90_ms",
                p90,
                f"a number >= gc_pause_p50_ms ({self.gc_pause_p50_ms:g})",
                "the 90th percentile cannot be below the median",
            )
        _set(self, "gc_pause_p90_ms", p90)
        if self.page_cache_start not in PAGE_CACHE_STARTS:
            raise InvalidConfigurationError(
                "page_cache_start", self.page_cache_start, " or ".join(PAGE_CACHE_STARTS), "unknown start"
            )
        if self.page_cache_start == "warm" and not self.page_cache_writeback:
            raise InvalidConfigurationError(
                "page_cache_start",
                self.page_cache_start,
                "cold, or warm with page_cache_writeback: true",
                "a warm page cache starts with dirty bytes, which only the write-back model keeps",
            )

    def to_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
