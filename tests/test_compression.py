"""Compression codecs: reference ratios and speeds, vectorised size and time helpers, broker rule."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventsim.core.errors import InvalidConfigurationError
from eventsim.log.compression import (
    CODECS,
    Codec,
    compress_ms,
    compressed_size,
    decompress_ms,
    get_codec,
    needs_recompression,
    target_codec,
)


def test_codecs_are_kafkas_five():
    assert set(CODECS) == {"none", "gzip", "snappy", "lz4", "zstd"}
    for name, codec in CODECS.items():
        assert codec.name == name
        assert codec.source


def test_ratios_are_ordered_as_in_the_reference():
    r = {name: c.ratio for name, c in CODECS.items()}
    assert r["zstd"] > r["gzip"] > r["lz4"] >= r["snappy"] > r["none"] == 1.0


def test_defaults_follow_the_suggested_model_table():
    # Ratio and speed ranges from lzbench on Kafka-like batches (apache/kafka PR #2267), KIP-390 and the
    # lz4/zstd READMEs (speeds in MB/s per core = 1000 bytes/ms).
    ranges = {
        "gzip": ((3.3, 3.5), (26, 36), (300, 445)),
        "snappy": ((2.1, 2.3), (480, 565), (1450, 1950)),
        "lz4": ((2.1, 2.6), (610, 780), (2500, 5000)),
        "zstd": ((3.8, 4.2), (257, 257), (900, 1580)),
    }
    for name, ((rlo, rhi), (clo, chi), (dlo, dhi)) in ranges.items():
        c = CODECS[name]
        assert rlo <= c.ratio <= rhi, name
        assert clo * 1000 <= c.compress_bytes_per_ms <= chi * 1000, name
        assert dlo * 1000 <= c.decompress_bytes_per_ms <= dhi * 1000, name


def test_speed_orderings():
    c = CODECS
    assert c["lz4"].compress_bytes_per_ms > c["snappy"].compress_bytes_per_ms
    assert (
        c["snappy"].compress_bytes_per_ms > c["zstd"].compress_bytes_per_ms > c["gzip"].compress_bytes_per_ms
    )
    assert c["lz4"].decompress_bytes_per_ms > c["snappy"].decompress_bytes_per_ms
    assert c["snappy"].decompress_bytes_per_ms > c["zstd"].decompress_bytes_per_ms
    for codec in c.values():
        assert codec.decompress_bytes_per_ms > codec.compress_bytes_per_ms or codec.name == "none"


def test_none_is_free_and_the_identity():
    assert compressed_size("none", 16384) == 16384
    assert compress_ms("none", 10**9) == 0.0
    assert decompress_ms("none", 10**9) == 0.0


def test_compressed_size_scalar():
    assert compressed_size("zstd", 16384) == math.ceil(16384 / 4.0)
    assert compressed_size(CODECS["gzip"], 340) == 100
    assert isinstance(compressed_size("lz4", 1000), int)
    assert compressed_size("gzip", 0) == 0
    assert compressed_size("gzip", 1) == 1  # at least one byte for non-empty input
    assert compressed_size("snappy", np.int64(230)) == 100


def test_compressed_size_vectorised_matches_scalar():
    sizes = np.array([0, 1, 2, 100, 1000, 16384, 1_048_576])
    for name in CODECS:
        out = compressed_size(name, sizes)
        assert isinstance(out, np.ndarray) and out.dtype == np.int64 and out.shape == sizes.shape
        assert out.tolist() == [compressed_size(name, int(n)) for n in sizes]
    grid = compressed_size("zstd", np.full((2, 3), 400))
    assert grid.shape == (2, 3) and (grid == 100).all()


@given(
    st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=50),
    st.sampled_from(list(CODECS)),
)
def test_compressed_size_invariants(sizes, name):
    arr = np.array(sizes, dtype=np.int64)
    out = compressed_size(name, arr)
    assert ((out >= 1) == (arr > 0)).all()
    assert (out <= arr).all()
    order = np.argsort(arr, kind="stable")
    assert (np.diff(out[order]) >= 0).all()  # monotone in the input size
    assert np.allclose(out[arr > 0], arr[arr > 0] / CODECS[name].ratio, atol=1.0)


def test_compress_and_decompress_ms():
    # 1 MB at 26 MB/s takes 1/26 s.
    assert compress_ms("gzip", 1_000_000) == pytest.approx(1000 / 26)
    assert decompress_ms("lz4", 2_500_000) == pytest.approx(1.0)
    sizes = np.array([0, 257_000, 514_000])
    assert np.allclose(compress_ms("zstd", sizes), [0.0, 1.0, 2.0])
    assert isinstance(compress_ms("zstd", 10), float)


def test_negative_sizes_are_rejected():
    with pytest.raises(ValueError):
        compressed_size("lz4", -1)
    with pytest.raises(ValueError):
        compress_ms("lz4", np.array([5, -1]))


def test_get_codec_names_and_errors():
    assert get_codec("uncompressed") is CODECS["none"]
    with pytest.raises(InvalidConfigurationError) as info:
        get_codec("zstandard")
    err = info.value
    assert err.field == "compression.type" and err.value == "zstandard"
    for name in CODECS:
        assert name in err.allowed
    with pytest.raises(InvalidConfigurationError, match="target_codec"):
        get_codec("producer")


def test_broker_keeps_producer_codec_unless_topic_overrides():
    assert target_codec("producer", "lz4") is CODECS["lz4"]
    assert target_codec("uncompressed", "lz4") is CODECS["none"]
    assert target_codec("zstd", "lz4") is CODECS["zstd"]
    assert not needs_recompression("lz4", target_codec("producer", "lz4"))
    assert needs_recompression("lz4", target_codec("zstd", "lz4"))
    assert needs_recompression("none", "gzip")


def test_random_bytes_scale_the_ratio():
    zstd = CODECS["zstd"]
    assert zstd.with_random_bytes_ratio(0.0).ratio == pytest.approx(zstd.ratio)
    assert zstd.with_random_bytes_ratio(1.0).ratio == pytest.approx(1.0)
    half = zstd.with_random_bytes_ratio(0.5)
    assert half.ratio == pytest.approx(1 / (0.5 + 0.5 / 4.0))
    assert half.compress_bytes_per_ms == zstd.compress_bytes_per_ms
    with pytest.raises(InvalidConfigurationError):
        zstd.with_random_bytes_ratio(1.5)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"ratio": 0},
        {"ratio": math.inf},
        {"compress_bytes_per_ms": 0},
        {"decompress_bytes_per_ms": math.nan},
        {"name": ""},
    ],
)
def test_codec_validation(kwargs):
    base = {
        "name": "x",
        "ratio": 2.0,
        "compress_bytes_per_ms": 1.0,
        "decompress_bytes_per_ms": 1.0,
        "source": "",
    }
    with pytest.raises(InvalidConfigurationError):
        Codec(**{**base, **kwargs})
