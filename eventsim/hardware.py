"""Hardware profiles: the machines a simulated Kafka cluster and its clients run on.

What Kafka does: Kafka itself knows nothing about hardware, but its design decides which piece of
hardware runs out first. A broker appends each produce request to the tail of a log segment file, so
disks see sequential writes that the page cache absorbs and the kernel flushes later (no
``log.flush.*`` by default; Kafka documentation, "Design: Persistence"). Consumers and followers that
keep up read from the page cache and the broker hands those bytes to the socket with ``sendfile``
without copying them through the JVM ("Design: Efficiency"). Requests are read and written by
``num.network.threads`` processor threads and handled by ``num.io.threads`` request handler threads
(``core/src/main/scala/kafka/network/SocketServer.scala``, ``KafkaRequestHandler.scala``). On the
client, ``KafkaProducer.send`` serialises, partitions and appends every record to the
``RecordAccumulator`` under a lock in the caller's thread, which is what makes tiny records CPU-bound in
the producer (Kreps 2014).

What is modelled: one :class:`HardwareProfile` per named testbed, giving per-host capacities that the
broker, network and producer models turn into service times: NIC payload bandwidth per direction, one-way
host-to-host latency, a number of disks with sequential write/read bandwidth, the RAM left for the page
cache, and CPU costs per request, per MiB and per record. A producer's CPU per record follows the message
format of the scenario's release (``cluster.kafka_version``): before 0.11 (v0/v1 messages) ``send()``
also computes each message's CRC32 (``client_crc_cpu_ms_per_mb``, per MiB of the checksummed bytes); from
0.11 a v2 batch carries one CRC32C, computed when the sender closes the batch on its own thread, which is
not modelled as CPU. So does the brokers' work per message: before 0.11 an append passes over every v0/v1
message several times (``message_pass_cpu_ms`` each, ``protocol.LEGACY_LEADER_PASSES`` on the leader and
``LEGACY_FOLLOWER_PASSES`` on a follower); a v2 batch's one validation pass per record is in
``append_cpu_ms_per_mb``. The numbers for ``commodity-2014`` and ``cloud-2020`` come from the testbeds of
the two most cited Kafka benchmarks, Kreps, "Benchmarking Apache Kafka: 2 Million Writes Per Second (On
Three Cheap Machines)" (LinkedIn engineering blog, 2014, with the author's gist
``benchmark-commands.txt``) and Nikhil, "Benchmarking Apache Kafka, Apache Pulsar, and RabbitMQ: Which is
the Fastest?" (Confluent blog, 2020, with the configurations in confluentinc/openmessaging-benchmark);
they are set from the hardware, not fitted to the published results. Every number carries a comment with
its source, or ``judgement:`` and the reason.

What is not modelled: disk seeks and rotational latency (Kafka's I/O is sequential), SSD garbage
collection and write-cache exhaustion, NUMA, hyper-threading (a vCPU counts as a core), interrupts and
TCP congestion control, JVM warm-up (its garbage-collection pauses are a source of variability,
``eventsim.jvm``), the per-byte cost of the network threads' socket copies (at 5-10 GB/s per core it is
far above any NIC here), and the CRC's cost per byte by format on the brokers: each profile's
``append_cpu_ms_per_mb`` counts its own release's checksum (v0's CRC32 per message for
``commodity-2014``, v2's CRC32C per batch for ``cloud-2020`` and ``laptop``) whichever release a scenario
runs.

Units. Simulated time is milliseconds, so bandwidths are bytes per millisecond. Vendors, ``dd`` and
NIC line rates use decimal megabytes: **MB = 10^6 bytes, so 1 MB/s = 1000 bytes/ms**. Memory is binary:
**MiB = 2^20 bytes (1 MiB/s = 1048.576 bytes/ms), GiB = 2^30 bytes**, and RAM sizes such as "32 GB" are
read as GiB because memory modules come in binary sizes. CPU costs "per MB" are per MiB of data.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass
from numbers import Integral, Real

from eventsim.core.errors import InvalidConfigurationError

__all__ = [
    "MB",
    "MIB",
    "GIB",
    "TCP_PAYLOAD_SHARE",
    "HardwareProfile",
    "PROFILES",
    "get_profile",
    "cluster_profile",
    "BROKER_HOST_FIELDS",
    "broker_profile",
    "bytes_per_ms",
    "tcp_payload_bytes_per_ms",
]

MB = 1_000_000  # bytes: decimal megabyte, as in disk and NIC specifications and dd's "MB/s"
MIB = 1 << 20  # bytes: binary mebibyte, as in Kafka's size defaults and the MB/s of Kreps' post
GIB = 1 << 30  # bytes: binary gibibyte, as in RAM sizes and JVM -Xmx

# TCP payload per byte on the wire at MTU 1500: 1448 bytes of payload (1500 - 20 IP - 20 TCP - 12 TCP
# timestamp option) per 1538 bytes of wire time (1500 + 14 Ethernet header + 4 FCS + 8 preamble
# + 12 inter-frame gap; IEEE 802.3 framing). About 94 %. A profile's NIC rate is this share of its line
# rate, the payload rate in full packets; eventsim.network charges a message's last, partial packet its
# 90 bytes of overhead too, so small messages cost more per byte.
TCP_PAYLOAD_SHARE = 1448 / 1538


def bytes_per_ms(mb_per_s: float) -> float:
    """Convert decimal MB/s (10^6 bytes per second) to bytes per simulated millisecond."""
    return mb_per_s * MB / 1000.0


def tcp_payload_bytes_per_ms(line_rate_gbit_per_s: float) -> float:
    """Usable TCP payload bytes per ms, per direction, of an Ethernet link at MTU 1500."""
    line_rate_bytes_per_ms = line_rate_gbit_per_s * 1e9 / 8 / 1000.0
    return line_rate_bytes_per_ms * TCP_PAYLOAD_SHARE


def _page_cache_bytes(ram_gib: float, heap_gib: float, reserve_gib: float) -> int:
    """RAM left for the page cache: physical RAM minus the broker's JVM heap minus a reserve for the
    operating system and the JVM's off-heap memory (metaspace, thread stacks, direct buffers)."""
    return int((ram_gib - heap_gib - reserve_gib) * GIB)


_CAPACITY_FIELDS = (
    "nic_bytes_per_ms",
    "disk_write_bytes_per_ms",
    "disk_read_bytes_per_ms",
    "client_nic_bytes_per_ms",
)
_COST_FIELDS = (
    "network_latency_ms",
    "network_thread_cpu_ms",
    "request_cpu_ms",
    "append_cpu_ms_per_mb",
    "fetch_cpu_ms_per_mb",
    "client_record_cpu_ms",
    "client_crc_cpu_ms_per_mb",
    "message_pass_cpu_ms",
)
_COUNT_FIELDS = ("cpu_cores", "disks", "page_cache_bytes")
_TEXT_FIELDS = ("name", "description", "source")


@dataclass(frozen=True)
class HardwareProfile:
    """Capacities of one broker host and of the client hosts (all per host; time unit ms).

    Construction validates: ``cpu_cores``, ``disks`` and ``page_cache_bytes`` are integers >= 1;
    bandwidths are numbers > 0 (``math.inf`` means "never the bottleneck"); latency and CPU costs are
    finite numbers >= 0 (0 idealises the cost away). Violations raise
    :class:`~eventsim.core.errors.InvalidConfigurationError` with the field ``hardware.<field>``.
    """

    name: str
    description: str
    source: str
    cpu_cores: int  # cores (or vCPUs) per broker host
    nic_bytes_per_ms: float  # usable TCP payload per direction, broker NIC
    network_latency_ms: float  # one-way host-to-host latency, excluding serialisation on the NIC
    disks: int  # disks per broker, one log.dirs entry each
    disk_write_bytes_per_ms: float  # per disk, sequential
    disk_read_bytes_per_ms: float  # per disk, sequential (reads that miss the page cache)
    page_cache_bytes: int  # RAM available to the page cache on a broker host
    network_thread_cpu_ms: float  # network (processor) thread CPU per request: read, parse, send response
    request_cpu_ms: float  # request handler (io) thread CPU per request, fixed part
    append_cpu_ms_per_mb: float  # handler CPU per MiB appended: validation, CRC, copy into page cache
    fetch_cpu_ms_per_mb: float  # broker CPU per MiB served to a fetcher (zero-copy sendfile)
    message_pass_cpu_ms: float  # broker CPU per v0/v1 message per pass of an append over its message set
    client_nic_bytes_per_ms: float  # usable TCP payload per direction, client NIC
    client_record_cpu_ms: float  # producer CPU per record: serialise, partition, append to accumulator
    client_crc_cpu_ms_per_mb: float  # producer CPU per MiB of v0/v1 messages checksummed one by one in send()

    def __post_init__(self) -> None:
        for f in _TEXT_FIELDS:
            value = getattr(self, f)
            if not isinstance(value, str) or (f == "name" and not value):
                raise InvalidConfigurationError(
                    f"hardware.{f}", value, "a non-empty string" if f == "name" else "a string"
                )
        for f in _COUNT_FIELDS:
            value = getattr(self, f)
            if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
                raise InvalidConfigurationError(f"hardware.{f}", value, "integer >= 1")
            object.__setattr__(self, f, int(value))
        for f in _CAPACITY_FIELDS:
            value = getattr(self, f)
            if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(value) or value <= 0:
                raise InvalidConfigurationError(f"hardware.{f}", value, "number > 0 (inf allowed)")
            object.__setattr__(self, f, float(value))
        for f in _COST_FIELDS:
            value = getattr(self, f)
            if (
                isinstance(value, bool)
                or not isinstance(value, Real)
                or not math.isfinite(value)
                or value < 0
            ):
                raise InvalidConfigurationError(f"hardware.{f}", value, "finite number >= 0")
            object.__setattr__(self, f, float(value))

    def with_overrides(self, **fields: object) -> HardwareProfile:
        """Return a validated copy with some fields replaced, e.g. ``p.with_overrides(disks=1)``.

        Unknown field names raise :class:`~eventsim.core.errors.InvalidConfigurationError` with a
        did-you-mean; the new values go through the same validation as construction.
        """
        names = [f.name for f in dataclasses.fields(self)]
        for key, value in fields.items():
            if key not in names:
                close = difflib.get_close_matches(key, names, n=1)
                reason = (
                    f"unknown hardware field; did you mean {close[0]!r}?"
                    if close
                    else "unknown hardware field"
                )
                raise InvalidConfigurationError(
                    f"hardware.{key}", value, "one of: " + ", ".join(names), reason
                )
        return dataclasses.replace(self, **fields)


# ---------------------------------------------------------------------------------------------------
# commodity-2014: Kreps, "Benchmarking Apache Kafka: 2 Million Writes Per Second (On Three Cheap
# Machines)", LinkedIn engineering blog, 27 Apr 2014; Kafka 0.8.1, Java 7-era JVM.
# ---------------------------------------------------------------------------------------------------
_COMMODITY_2014 = HardwareProfile(
    name="commodity-2014",
    description="Kreps 2014 testbed: 6-core 2.5 GHz Xeon, 32 GB RAM, 6 x 7200 rpm SATA, 1 GbE",
    source="Kreps, 'Benchmarking Apache Kafka: 2 Million Writes Per Second (On Three Cheap Machines)', "
    "LinkedIn engineering blog, 2014; jkreps gist benchmark-commands.txt",
    # source: Kreps 2014, Intel Xeon 2.5 GHz, 6 cores.
    cpu_cores=6,
    # source: 1 GbE, 125 MB/s line rate x 1448/1538 = 117.7 MB/s of TCP payload = 117,685 bytes/ms.
    nic_bytes_per_ms=tcp_payload_bytes_per_ms(1.0),
    # judgement: one top-of-rack 1 GbE switch hop plus the kernel TCP stack at both ends; a LAN ping
    # round trip is typically 0.1-0.3 ms, so ~0.1 ms one way. Frame serialisation (12 us per 1500 bytes
    # at 1 Gbit/s) is charged through nic_bytes_per_ms, not here.
    network_latency_ms=0.1,
    # source: Kreps 2014, 6 x 7200 rpm SATA per machine, no RAID, one log.dirs entry per disk.
    disks=6,
    # source: Kreps 2014, 822 MB/s linear write across the six disks = 137 MB/s each = 137,000 bytes/ms
    # (in line with 138-156 MB/s vendor figures for 2010-2011 7200 rpm drives).
    disk_write_bytes_per_ms=bytes_per_ms(822 / 6),
    # judgement: a disk's sequential read and write rates are both the media rate under the head (vendor
    # sheets quote one sustained transfer rate), so reads equal writes.
    disk_read_bytes_per_ms=bytes_per_ms(822 / 6),
    # source + judgement: 32 GB RAM (Kreps 2014, read as 32 GiB) minus a 1 GiB heap (assumed: the
    # -Xmx1G -Xms1G default of bin/kafka-server-start.sh) minus 2 GiB for the OS and JVM off-heap
    # memory (judgement) = 29 GiB.
    page_cache_bytes=_page_cache_bytes(ram_gib=32, heap_gib=1, reserve_gib=2),
    # judgement (first principles): an epoll wake-up, a read(2) and a write(2) syscall (~2-5 us each),
    # request header parsing and object allocation: ~10-20 us on a modern core, x1.5-2 for a 2.5 GHz
    # 2012-era Xeon running Java 7 -> 30 us.
    network_thread_cpu_ms=0.03,
    # judgement (first principles): KafkaApis.handleProduceRequest fixed work (request decoding, partition
    # lookup and lock, offset and index bookkeeping, response building) is tens of microseconds -> 50 us.
    request_cpu_ms=0.05,
    # judgement (first principles): 0.8.x message format v0 checks a CRC32 per message on append
    # (java.util.zip.CRC32 at ~1-2 GB/s -> ~0.7 ms/MiB) and copies into the page cache (write(2) at
    # ~5 GB/s -> 0.2 ms/MiB), plus margin: ~1.1 ms per MiB. Its passes over the messages are
    # message_pass_cpu_ms: with 100-byte records (~8,300 messages per MiB) a leader's three come to
    # ~1.25 ms/MiB more, so one handler thread appends ~450 MB/s.
    append_cpu_ms_per_mb=1.1,
    # judgement (first principles): sendfile moves page-cache pages to the socket without a user-space
    # copy; what is left is kernel TCP work and response building, ~3-5 GB/s -> 0.3 ms per MiB.
    fetch_cpu_ms_per_mb=0.3,
    # judgement (first principles): each pass of Kafka 0.8.1's append over a v0 message set
    # (protocol.LEGACY_LEADER_PASSES, _FOLLOWER_PASSES) reads every message into a ByteBuffer slice, a
    # Message and a MessageAndOffset (three allocations and their field reads) on a 2.5 GHz core, Java 7:
    # ~50 ns per message.
    message_pass_cpu_ms=0.00005,
    # source: the load generators were the same kind of machine on the same 1 GbE (Kreps 2014).
    client_nic_bytes_per_ms=tcp_payload_bytes_per_ms(1.0),
    # judgement (first principles): KafkaProducer.send on a 2.5 GHz core in 2014: serialise (byte[]
    # pass-through), choose a partition, take the deque lock, write the message into the batch buffer,
    # allocate the future and callback, record metrics: ~500 ns. A v0/v1 message's own CRC32 comes on top
    # (client_crc_cpu_ms_per_mb): ~0.1 us for a 100-byte record, ~0.6 us in all, so one thread tops out
    # near 1.6 million records/s. With 10-byte values (+22 bytes overhead) the 1 GbE NIC would carry ~3.7
    # million records/s, so the producer is CPU-bound; with 100-byte values the NIC allows ~0.96
    # million/s and becomes the limit, as Kreps reports.
    client_record_cpu_ms=0.0005,
    # judgement (first principles): the v0/v1 producer (2014 trunk to 0.10) checksums each message in
    # send() with org.apache.kafka.common.utils.Crc32, Hadoop's PureJavaCrc32 (table lookups, slice-by-8,
    # ~2 cycles per byte); with the per-call share at ~100-byte messages, ~1 GB/s on a 2.5 GHz core ->
    # 1.0 ms per MiB. (PureJavaCrc32 plateaus near 2.2 GB/s on large buffers on a current amd64 core,
    # Java 17, HADOOP-19839, and runs at 110-140 MB/s on 32-64-byte chunks on an AArch64 server core,
    # HADOOP-15033.)
    client_crc_cpu_ms_per_mb=1.0,
)

# ---------------------------------------------------------------------------------------------------
# cloud-2020: Confluent, "Benchmarking Apache Kafka, Apache Pulsar, and RabbitMQ: Which is the
# Fastest?", Alok Nikhil, 21 Aug 2020; Kafka 2.6.0 on Java 11, brokers on AWS i3en.2xlarge.
# ---------------------------------------------------------------------------------------------------
_CLOUD_2020 = HardwareProfile(
    name="cloud-2020",
    description="Confluent 2020 testbed: AWS i3en.2xlarge brokers (8 vCPU, 64 GB, 2 x NVMe, 25 Gbps), "
    "c5n.2xlarge clients",
    source="Nikhil, 'Benchmarking Apache Kafka, Apache Pulsar, and RabbitMQ: Which is the Fastest?', "
    "Confluent blog, 2020; confluentinc/openmessaging-benchmark",
    # source: i3en.2xlarge, 8 vCPU (hyper-threads; counted as cores, see module docstring).
    cpu_cores=8,
    # source: "up to 25 Gbps" (AWS i3en specification; not the bottleneck) x 1448/1538 = 2,942 MB/s of TCP
    # payload. "Up to" is AWS's burst figure; the sustained baseline is lower but still well above the
    # 655 MB/s the disks can write.
    nic_bytes_per_ms=tcp_payload_bytes_per_ms(25.0),
    # judgement: two EC2 instances in one availability zone, virtualised network (ENA): ping round
    # trips are typically 0.2-0.3 ms, so ~0.125 ms one way.
    network_latency_ms=0.125,
    # source: 2 x 2,500 GB NVMe, both in log.dirs (XFS).
    disks=2,
    # source: 327 and 328 MB/s per disk measured with dd (1 MiB direct writes), 655 MB/s for both
    # -> 327.5 MB/s = 327,500 bytes/ms per disk.
    disk_write_bytes_per_ms=bytes_per_ms(655 / 2),
    # judgement: no read figure was published for these devices; NVMe sequential reads are at least as
    # fast as writes, so the write figure is a conservative stand-in (reads that hit the page cache,
    # which is nearly all of them in that benchmark, never touch the disk).
    disk_read_bytes_per_ms=bytes_per_ms(655 / 2),
    # source + judgement: 64 GB RAM (AWS lists GiB) minus the 6 GB G1 heap (-Xmx6G, GiB) from the
    # benchmark's broker settings minus 2 GiB for the OS and JVM off-heap memory (judgement) = 56 GiB.
    page_cache_bytes=_page_cache_bytes(ram_gib=64, heap_gib=6, reserve_gib=2),
    # judgement (first principles): as commodity-2014 (~10-20 us of syscalls and parsing) on a ~3 GHz
    # 2019-era Xeon vCPU running Java 11 -> 20 us (a vCPU shares its core with a sibling thread).
    network_thread_cpu_ms=0.02,
    # judgement (first principles): fixed produce-handler work, tens of microseconds -> 30 us.
    request_cpu_ms=0.03,
    # judgement (first principles): v2 batches carry one CRC32C per batch, checked with the Java 9+
    # intrinsic at ~5-10 GB/s (0.1-0.2 ms/MiB); copy into the page cache ~0.15 ms/MiB; per-record
    # validation of ~1,000 1-KiB records per MiB x ~50 ns = 0.05 ms/MiB: ~0.4 ms per MiB.
    append_cpu_ms_per_mb=0.4,
    # judgement (first principles): zero-copy sendfile, kernel TCP work with checksum/segmentation
    # offload on a 25 Gbps ENA NIC: ~7 GB/s -> 0.15 ms per MiB.
    fetch_cpu_ms_per_mb=0.15,
    # judgement (first principles): when the scenario runs a release before 0.11, a pass over a v0/v1
    # message (as commodity-2014's) on a ~3 GHz core, Java 11 -> ~20 ns. (v2's one validation pass per
    # record is in append_cpu_ms_per_mb.)
    message_pass_cpu_ms=0.00002,
    # source: clients on c5n.2xlarge, "up to 25 Gbps", same payload share as the brokers.
    client_nic_bytes_per_ms=tcp_payload_bytes_per_ms(25.0),
    # judgement (first principles): Kafka 2.6 producer with v2 batches (no per-record CRC, varint
    # encoding) on a ~3.0-3.5 GHz c5n core: ~300 ns per record, one thread tops out near 3.3 million
    # records/s; the benchmark's highest rate, 1 million 1-KiB records/s over 4 producers, is far below.
    client_record_cpu_ms=0.0003,
    # judgement (first principles): when the scenario runs a release before 0.11 (v0/v1 messages), the
    # client's pure-Java CRC32 per message (as commodity-2014) on a ~3 GHz core, ~2 GB/s (PureJavaCrc32's
    # ~2.2 GB/s plateau on large buffers, Java 17 amd64, HADOOP-19839) -> 0.5 ms per MiB.
    client_crc_cpu_ms_per_mb=0.5,
)

# ---------------------------------------------------------------------------------------------------
# laptop: a small teaching cluster. Choice: each broker is a laptop-class host with 8 cores, 16 GiB of
# RAM and one NVMe drive, and the hosts share a wired 1 GbE switch. 1 GbE rather than loopback,
# because on loopback all brokers would share one CPU and one disk, which per-host capacities cannot
# express, and because a 117 MB/s NIC makes the network bottleneck visible at classroom-sized rates.
# ---------------------------------------------------------------------------------------------------
_LAPTOP = HardwareProfile(
    name="laptop",
    description="Teaching cluster: laptop-class hosts (8 cores, 16 GB RAM, one PCIe 3.0 NVMe) on 1 GbE",
    source="judgement: a small teaching machine; NVMe figures from Samsung 970 PRO vendor specs, "
    "1 GbE TCP payload at MTU 1500 (TCP_PAYLOAD_SHARE)",
    # judgement: a current 8-core laptop or small desktop.
    cpu_cores=8,
    # source: 1 GbE, 125 MB/s line rate x 1448/1538 = 117.7 MB/s of TCP payload (TCP_PAYLOAD_SHARE).
    nic_bytes_per_ms=tcp_payload_bytes_per_ms(1.0),
    # judgement: one small unmanaged switch between wired hosts; ~0.2 ms ping round trip -> 0.1 ms.
    network_latency_ms=0.1,
    # judgement: one internal drive.
    disks=1,
    # source: NVMe PCIe 3.0 (Samsung 970 PRO) 2,300 MB/s peak sequential write (vendor specification);
    # sustained writes past the drive's cache are lower, but the page cache absorbs bursts.
    disk_write_bytes_per_ms=bytes_per_ms(2300),
    # source: Samsung 970 PRO vendor specification, 3,500 MB/s sequential read.
    disk_read_bytes_per_ms=bytes_per_ms(3500),
    # judgement: 16 GiB RAM minus the 1 GiB default broker heap (bin/kafka-server-start.sh -Xmx1G)
    # minus 3 GiB for a desktop OS, browser and Jupyter kernel = 12 GiB.
    page_cache_bytes=_page_cache_bytes(ram_gib=16, heap_gib=1, reserve_gib=3),
    # judgement (first principles): syscalls and parsing on a ~4 GHz modern core, Java 17+ -> 15 us.
    network_thread_cpu_ms=0.015,
    # judgement (first principles): fixed produce-handler work on a fast modern core -> 25 us.
    request_cpu_ms=0.025,
    # judgement (first principles): CRC32C intrinsic ~10 GB/s (0.1 ms/MiB) + page-cache copy ~0.12 ms/MiB
    # + per-record validation ~0.05 ms/MiB (1-KiB records) -> ~0.3 ms per MiB.
    append_cpu_ms_per_mb=0.3,
    # judgement (first principles): zero-copy sendfile on a modern core, ~10 GB/s -> 0.1 ms per MiB.
    fetch_cpu_ms_per_mb=0.1,
    # judgement (first principles): a pass over a v0/v1 message on a ~4 GHz core, as cloud-2020's -> 15 ns.
    message_pass_cpu_ms=0.000015,
    # judgement: the clients sit on the same 1 GbE switch.
    client_nic_bytes_per_ms=tcp_payload_bytes_per_ms(1.0),
    # judgement (first principles): a current producer on a ~4 GHz core, ~250 ns per record: one thread
    # tops out near 4 million tiny records/s.
    client_record_cpu_ms=0.00025,
    # judgement (first principles): a v0/v1 producer's pure-Java CRC32 per message on a ~4 GHz core, as
    # cloud-2020's -> 0.5 ms per MiB.
    client_crc_cpu_ms_per_mb=0.5,
)

PROFILES: dict[str, HardwareProfile] = {p.name: p for p in (_COMMODITY_2014, _CLOUD_2020, _LAPTOP)}


def get_profile(name: str | HardwareProfile) -> HardwareProfile:
    """Return the profile called ``name`` from :data:`PROFILES` (a profile passed in is returned as is).

    Raises :class:`~eventsim.core.errors.InvalidConfigurationError` on ``cluster.hardware`` listing the
    known names, with a did-you-mean when one is close.
    """
    if isinstance(name, HardwareProfile):
        return name
    try:
        return PROFILES[name]
    except (KeyError, TypeError):
        pass
    names = list(PROFILES)
    close = difflib.get_close_matches(str(name), names, n=1) if isinstance(name, str) else []
    reason = f"unknown hardware profile; did you mean {close[0]!r}?" if close else "unknown hardware profile"
    raise InvalidConfigurationError("cluster.hardware", name, "one of: " + ", ".join(names), reason)


DEFAULT_PROFILE = "cloud-2020"  # cluster.hardware when a scenario names none


def cluster_profile(spec: object, path: str = "cluster.hardware") -> HardwareProfile:
    """The cluster's profile (``cluster.hardware``): a profile name, or a mapping of profile fields that
    change a named profile (``hardware:``, default ``cloud-2020``), e.g. ``{hardware: commodity-2014,
    network_latency_ms: 0.25}``. Every field but the labels may change here, the network latency and the
    client hosts' fields included (``cluster.broker_hardware`` changes one broker's host fields only).
    Each problem is one :class:`~eventsim.core.errors.InvalidConfigurationError` whose field starts with
    ``path``."""
    if isinstance(spec, (str, HardwareProfile)):
        return get_profile(spec)
    fields = dict(spec)
    name = fields.pop("hardware", DEFAULT_PROFILE)
    try:
        base = get_profile(name)
    except InvalidConfigurationError as err:
        raise InvalidConfigurationError(f"{path}.hardware", name, err.allowed, err.reason) from None
    names = tuple(f.name for f in dataclasses.fields(HardwareProfile) if f.name not in _TEXT_FIELDS)
    labels = {f: f"{f} is a label of the profile, not a capacity" for f in _TEXT_FIELDS}
    return _changed(base, fields, names, labels, path, "changed")


def _changed(base: HardwareProfile, fields: dict, changeable, refused: dict, path: str, label: str):
    """``base`` with ``fields`` changed (its description saying so after ``label``): every key one of
    ``changeable`` (else a did-you-mean) and none of ``refused`` (key -> the reason); values validated
    as a profile's are. Each error's field starts with ``path``."""
    allowed = "hardware (a profile name) or one of: " + ", ".join(changeable)
    for key, value in fields.items():
        if key in refused:
            raise InvalidConfigurationError(f"{path}.{key}", value, allowed, refused[key])
        if key not in changeable:
            close = difflib.get_close_matches(str(key), [*changeable, "hardware"], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InvalidConfigurationError(f"{path}.{key}", value, allowed, "unknown hardware field" + hint)
    if not fields:
        return base
    try:
        changed = base.with_overrides(**fields)
    except InvalidConfigurationError as err:
        field = err.field.removeprefix("hardware.")
        raise InvalidConfigurationError(f"{path}.{field}", err.value, err.allowed, err.reason) from None
    shown = ", ".join(f"{key}={value:g}" for key, value in fields.items())
    return dataclasses.replace(changed, description=f"{base.description}; {label}: {shown}")


# What one broker host may have of its own (``cluster.broker_hardware``); the rest is cluster-wide.
BROKER_HOST_FIELDS = (
    "cpu_cores",
    "nic_bytes_per_ms",
    "disks",
    "disk_write_bytes_per_ms",
    "disk_read_bytes_per_ms",
    "page_cache_bytes",
    "network_thread_cpu_ms",
    "request_cpu_ms",
    "append_cpu_ms_per_mb",
    "fetch_cpu_ms_per_mb",
    "message_pass_cpu_ms",
)
_CLIENT_HOSTS = "it describes the client hosts, not a broker; clients use the cluster profile"
_CLUSTER_WIDE = {
    "network_latency_ms": "the model has one network, whose host-to-host latency is the cluster profile's "
    "for every host; a per-broker latency is not modelled",
    "client_nic_bytes_per_ms": _CLIENT_HOSTS,
    "client_record_cpu_ms": _CLIENT_HOSTS,
    "client_crc_cpu_ms_per_mb": _CLIENT_HOSTS,
    "name": "a label of the profile, not a capacity of the broker",
    "description": "a label of the profile, not a capacity of the broker",
    "source": "a label of the profile, not a capacity of the broker",
}


def broker_profile(
    cluster: HardwareProfile, override: object, path: str = "broker_hardware"
) -> HardwareProfile:
    """The profile of one broker whose hardware differs from the cluster's (``cluster.broker_hardware``).

    ``override`` is a profile name (the broker is that machine: its :data:`BROKER_HOST_FIELDS`), or a
    mapping of :data:`BROKER_HOST_FIELDS` to new values, optionally with ``hardware: <profile name>`` as
    the machine they change (default: the cluster's). The network latency and the client hosts' fields
    stay the cluster's. Unknown names get a did-you-mean, cluster-wide fields are refused with the
    reason, and values are validated as a profile's are; each problem is one
    :class:`~eventsim.core.errors.InvalidConfigurationError` whose field starts with ``path``.
    """
    named = isinstance(override, str)
    fields = {"hardware": override} if named else dict(override)
    base = cluster
    if "hardware" in fields:
        name = fields.pop("hardware")
        try:
            machine = get_profile(name)
        except InvalidConfigurationError as err:
            where = path if named else f"{path}.hardware"
            raise InvalidConfigurationError(where, name, err.allowed, err.reason) from None
        base = dataclasses.replace(
            cluster,
            name=machine.name,
            description=machine.description,
            source=machine.source,
            **{f: getattr(machine, f) for f in BROKER_HOST_FIELDS},
        )
    per_broker = {key: f"{key} cannot differ per broker: {why}" for key, why in _CLUSTER_WIDE.items()}
    return _changed(base, fields, BROKER_HOST_FIELDS, per_broker, path, "this broker")
