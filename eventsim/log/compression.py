"""Compression codecs: how much smaller a record batch gets and what the CPU pays for it.

What Kafka does:

* **Producer.** Kafka compresses whole record batches, never single records. With
  ``compression.type`` set, the producer's ``MemoryRecordsBuilder`` writes each record of a
  ``ProducerBatch`` through a compressing stream as ``send()`` appends it (so compression CPU is spent
  in the caller's thread), and the v2 batch header (61 bytes) stays uncompressed
  (``clients/.../common/record/MemoryRecordsBuilder.java``, ``DefaultRecordBatch.java``). Codecs:
  gzip (``java.util.zip``), snappy (snappy-java), lz4 (lz4-java, Kafka's own LZ4 frame with 64 KiB
  blocks, ``common/compress/Lz4BlockOutputStream.java``) and zstd (zstd-jni, KIP-110, Kafka 2.1).
  Default levels: gzip 6, lz4 9 (the fast compressor), zstd 3; ``compression.<codec>.level`` exists
  since Kafka 3.8 (KIP-390). Whether a batch is full is judged on an *estimated* compressed size
  (``CompressionRatioEstimator``: per topic and codec, moving up fast when batches compress worse and
  down by 0.005 per batch when they compress better).
* **Broker.** The codec the log stores is the topic's ``compression.type``; the default ``producer``
  keeps whatever codec the producer used and ``uncompressed`` means none
  (``server-common/.../server/record/BrokerCompressionType.java``). ``LogValidator`` streams through
  the records of every compressed batch to validate them (one decompression pass), then writes the
  producer's compressed bytes as they are when the codecs match, and decompresses and recompresses
  with the topic's codec only when they differ
  (``storage/.../internals/log/LogValidator.java``, ``validateMessagesAndAssignOffsetsCompressed``).
  Followers copy the stored bytes without touching the compression.
* **Consumer.** Fetches return batches as stored; the consumer decompresses them while parsing records
  in ``poll()``.

What is modelled: a :class:`Codec` is a compression ratio (original size / compressed size) and
single-core compression and decompression speeds, both measured against the *uncompressed* size (as
lzbench and the codec projects report them). Sizes and times scale linearly with bytes. The defaults
come from lzbench 1.7.3 on 1 MB batches of production log records (posted on apache/kafka pull request
#2267, the KIP-110 zstd codec), KIP-390's produce test through a Kafka 2.7 cluster, and the lz4/lz4 and
facebook/zstd READMEs (Silesia corpus); speeds are taken at the lower end of those ranges because Kafka's
JVM codecs are usually somewhat slower than the native ones measured there. Each codec's ``source``
says where its numbers come from. MB/s are read as decimal
(1 MB/s = 1000 bytes/ms). :func:`target_codec` and :func:`needs_recompression` state the broker's rule.

What is not modelled: the ratio's dependence on batch size (small batches compress worse in reality),
codec framing bytes, compression levels, data-dependent speed, and the producer's ratio estimator
(the accumulator model decides fullness itself, e.g. with :func:`compressed_size`). Payloads that mix
random and repetitive bytes (the OpenMessaging Benchmark's ``randomBytesRatio``) are covered by
:meth:`Codec.with_random_bytes_ratio`.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass
from numbers import Real

import numpy as np

from eventsim.core.errors import InvalidConfigurationError

__all__ = [
    "Codec",
    "CODECS",
    "get_codec",
    "target_codec",
    "needs_recompression",
    "compressed_size",
    "compress_ms",
    "decompress_ms",
]

_MB_PER_S = 1000.0  # bytes per ms in one decimal MB/s (10^6 bytes / 1000 ms)

# A float quotient such as 220 / 2.2 can land a hair above a whole number; do not round that up.
_CEIL_SLACK = 1e-9


@dataclass(frozen=True)
class Codec:
    """A compression codec: ratio = original bytes / compressed bytes; speeds in uncompressed bytes/ms
    on one core (``math.inf`` = free). Construction validates: ratio finite and > 0, speeds > 0."""

    name: str
    ratio: float
    compress_bytes_per_ms: float
    decompress_bytes_per_ms: float
    source: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InvalidConfigurationError("compression.type", self.name, "a non-empty codec name")
        ratio = self.ratio
        if isinstance(ratio, bool) or not isinstance(ratio, Real) or not math.isfinite(ratio) or ratio <= 0:
            raise InvalidConfigurationError(f"compression.{self.name}.ratio", ratio, "finite number > 0")
        object.__setattr__(self, "ratio", float(ratio))
        for f in ("compress_bytes_per_ms", "decompress_bytes_per_ms"):
            value = getattr(self, f)
            if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(value) or value <= 0:
                raise InvalidConfigurationError(
                    f"compression.{self.name}.{f}", value, "number > 0 (inf = no cost)"
                )
            object.__setattr__(self, f, float(value))
        if not isinstance(self.source, str):
            raise InvalidConfigurationError(f"compression.{self.name}.source", self.source, "a string")

    def with_random_bytes_ratio(self, random_bytes_ratio: float) -> Codec:
        """Return this codec with the ratio it achieves when a share ``random_bytes_ratio`` of the
        payload is random (incompressible) and the rest compresses at :attr:`ratio`:
        ``1 / (r + (1 - r) / ratio)``. Speeds are kept (judgement: they are per input byte)."""
        r = random_bytes_ratio
        if isinstance(r, bool) or not isinstance(r, Real) or not 0.0 <= r <= 1.0:
            raise InvalidConfigurationError("randomBytesRatio", r, "number in [0, 1]")
        ratio = 1.0 / (r + (1.0 - r) / self.ratio)
        return dataclasses.replace(
            self, ratio=ratio, source=f"{self.source}; ratio scaled for {r:g} random bytes"
        )


CODECS: dict[str, Codec] = {
    "none": Codec(
        name="none",
        ratio=1.0,
        compress_bytes_per_ms=math.inf,
        decompress_bytes_per_ms=math.inf,
        source="no compression: batches stored as produced, no CPU cost",
    ),
    "gzip": Codec(
        name="gzip",
        ratio=3.4,
        compress_bytes_per_ms=26 * _MB_PER_S,
        decompress_bytes_per_ms=300 * _MB_PER_S,
        source="gzip level 6 (Kafka's default). Ratio 3.4: lzbench 1.7.3 on 1 MB batches of production "
        "log records, apache/kafka PR #2267 (KIP-110), 3.44; KIP-390 produce test, 3.44x. Speed: "
        "26 MB/s compress (same lzbench run; zlib 6 on Silesia 36), 300 MB/s decompress (just under the "
        "308-445 measured natively, for the JVM java.util.zip)",
    ),
    "snappy": Codec(
        name="snappy",
        ratio=2.3,
        compress_bytes_per_ms=480 * _MB_PER_S,
        decompress_bytes_per_ms=1450 * _MB_PER_S,
        source="snappy (no levels). Ratio 2.3: lzbench on Kafka-like batches, apache/kafka PR #2267, 2.31 "
        "(Silesia 2.07-2.09). Speed: 480 MB/s compress, 1,450 MB/s decompress (same run; Silesia "
        "530-565 / 1,660-1,950 on a faster core)",
    ),
    "lz4": Codec(
        name="lz4",
        ratio=2.5,
        compress_bytes_per_ms=610 * _MB_PER_S,
        decompress_bytes_per_ms=2500 * _MB_PER_S,
        source="lz4 (Kafka default level 9 = lz4-java fast compressor). Ratio 2.5: Kafka-like batches, "
        "apache/kafka PR #2267, 2.46, and KIP-390 produce test, 2.56-2.60x (Silesia 2.10). Speed: "
        "610 MB/s compress, 2,500 MB/s decompress (PR #2267 lzbench 610 / 2,491; Silesia 700-780 / "
        "4,000-4,970)",
    ),
    "zstd": Codec(
        name="zstd",
        ratio=4.0,
        compress_bytes_per_ms=257 * _MB_PER_S,
        decompress_bytes_per_ms=900 * _MB_PER_S,
        source="zstd level 3 (Kafka's default; KIP-110). Ratio 4.0: between lzbench on Kafka-like "
        "batches, apache/kafka PR #2267, 4.24, and KIP-390 produce test, 3.79x. Speed: 257 MB/s "
        "compress, 900 MB/s decompress (PR #2267 lzbench 257 / 920; zstd 1 on Silesia 1,380-1,580)",
    ),
}

# Topic/broker compression.type value meaning "no compression" (BrokerCompressionType.UNCOMPRESSED).
_ALIASES = {"uncompressed": "none"}


def get_codec(codec: str | Codec) -> Codec:
    """Return the :class:`Codec` for a ``compression.type`` name (a Codec is returned as is).

    ``uncompressed`` (the topic-level name) maps to ``none``. ``producer`` is not a codec: resolve it
    with :func:`target_codec`. Unknown names raise
    :class:`~eventsim.core.errors.InvalidConfigurationError` on ``compression.type``.
    """
    if isinstance(codec, Codec):
        return codec
    if isinstance(codec, str):
        key = _ALIASES.get(codec, codec)
        if key in CODECS:
            return CODECS[key]
    names = list(CODECS)
    if codec == "producer":
        reason = "'producer' keeps the producer's codec; resolve it with target_codec()"
    else:
        close = difflib.get_close_matches(str(codec), names, n=1)
        reason = f"unknown codec; did you mean {close[0]!r}?" if close else "unknown codec"
    raise InvalidConfigurationError("compression.type", codec, "one of: " + ", ".join(names), reason)


def target_codec(topic_compression_type: str, producer_codec: str | Codec) -> Codec:
    """The codec a broker stores a batch with: Kafka's ``BrokerCompressionType.targetCompressionType``.

    ``producer`` keeps the batch's codec; ``uncompressed`` means none; any codec name forces that codec.
    """
    if topic_compression_type == "producer":
        return get_codec(producer_codec)
    return get_codec(topic_compression_type)


def needs_recompression(source: str | Codec, target: str | Codec) -> bool:
    """Whether ``LogValidator`` must rebuild (decompress and recompress) a batch: the codecs differ.

    Compressed batches whose codec matches are still decompressed once for validation; charge that with
    :func:`decompress_ms`.
    """
    return get_codec(source).name != get_codec(target).name


def _nbytes_array(nbytes) -> np.ndarray:
    arr = np.asarray(nbytes)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"nbytes must be a number or a numeric array, got {arr.dtype}")
    if arr.size and np.min(arr) < 0:
        raise ValueError("nbytes must be >= 0")
    return arr


def compressed_size(codec: str | Codec, nbytes):
    """Compressed size in bytes of ``nbytes`` uncompressed bytes: ``ceil(nbytes / ratio)``, at least 1
    byte for non-empty input and 0 for empty input.

    ``nbytes`` may be a number (returns ``int``) or an array (returns an ``int64`` ndarray of the same
    shape). Applies to the records part of a batch; the 61-byte v2 batch header is not compressed.
    """
    c = get_codec(codec)
    arr = _nbytes_array(nbytes)
    if c.ratio == 1.0:
        out = np.ceil(arr)
    else:
        out = np.ceil(arr / c.ratio - _CEIL_SLACK)
    out = np.where(arr > 0, np.maximum(out, 1), 0).astype(np.int64)
    if out.ndim == 0:
        return int(out)
    return out


def compress_ms(codec: str | Codec, nbytes):
    """CPU milliseconds on one core to compress ``nbytes`` uncompressed bytes (float or float ndarray)."""
    c = get_codec(codec)
    out = _nbytes_array(nbytes) / c.compress_bytes_per_ms
    return float(out) if np.ndim(out) == 0 else out


def decompress_ms(codec: str | Codec, nbytes):
    """CPU milliseconds on one core to decompress data that is ``nbytes`` long *uncompressed*
    (float or float ndarray)."""
    c = get_codec(codec)
    out = _nbytes_array(nbytes) / c.decompress_bytes_per_ms
    return float(out) if np.ndim(out) == 0 else out
