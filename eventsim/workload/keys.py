"""Record keys: how many distinct keys a producer uses and how often each one occurs.

What Kafka does: the key decides the partition. A record with a key goes to
``toPositive(murmur2(key)) % numPartitions`` (``BuiltInPartitioner.partitionForKey``), so every record
of one key lands in one partition, in order; a record without a key (null) goes to the sticky
partition of KIP-480 / KIP-794. Skewed keys therefore make skewed partitions: in a social network a
few accounts produce or receive most of the traffic (Kwak et al., WWW 2010: follower counts follow a
power law with exponent about 2.28), which is why scenarios draw keys from a Zipf law.

Modelled: ``none`` (every key null), ``uniform`` over ``count`` ids, and ``zipf`` over ``count`` ids,
where id ``k`` (rank ``k + 1``) has probability proportional to ``1 / (k + 1) ** exponent``, so id 0
is the most frequent. Zipf sampling inverts a precomputed CDF (what ``numpy.searchsorted`` finds, by
interpolating in a grid of its inverse and checking against it); the CDF is cached per (count,
exponent). Keys are ``format.format(id)`` encoded as UTF-8, e.g. ``b"user-42"``.
Ids are what the simulation carries in its numpy columns; bytes are made only where murmur2 needs
them (once per distinct key) or for per-record samples.

Not modelled: keys that change popularity over time, and explicit partition numbers in the record.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from eventsim.core.errors import InvalidConfigurationError
from eventsim.core.validation import check_keys, check_number, did_you_mean

__all__ = ["KeySpec", "KEY_DISTRIBUTIONS"]

KEY_DISTRIBUTIONS = ("none", "uniform", "zipf")
MAX_ZIPF_KEYS = 100_000_000  # the float64 CDF table for this many keys takes 800 MB
_POWERS_OF_TEN = 10 ** np.arange(1, 19, dtype=np.int64)
try:  # compiled, the per-draw loops below run as C; as Python, numpy does the same in passes
    import cython
except ImportError:  # pure Python, without Cython installed
    from eventsim._compiled import cython_stand_in as cython
_COMPILED = cython.compiled


@functools.lru_cache(maxsize=16)
def _zipf_cdf(count: int, exponent: float) -> np.ndarray:
    # In place: three fresh arrays of a million floats would cost more in page faults than the arithmetic.
    cdf = np.arange(1, count + 1, dtype=np.float64)
    cdf **= -exponent
    np.cumsum(cdf, out=cdf)
    cdf /= cdf[-1]
    cdf[-1] = 1.0
    cdf.setflags(write=False)
    return cdf


_GUIDE_STEPS = 1 << 16  # the Zipf guide's grid: draws in [j / steps, (j + 1) / steps) share a cell


@functools.lru_cache(maxsize=16)
def _zipf_guide(count: int, exponent: float) -> np.ndarray:
    """The id drawn by ``u = j / _GUIDE_STEPS`` for every grid point ``j`` (as float64), the last one
    ``count``: a draw's id lies between those of its cell's two ends."""
    grid = np.arange(_GUIDE_STEPS + 1, dtype=np.float64) / _GUIDE_STEPS
    return _zipf_cdf(count, exponent).searchsorted(grid, side="right").astype(np.float64)


def _zipf_ids(cdf: np.ndarray, guide: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``cdf.searchsorted(u, side="right")``, guided (compiled, one C loop over the draws)."""
    if _COMPILED:
        out = np.empty(u.size, dtype=np.int64)
        _zipf_ids_loop(cdf, guide, u, out)
        return out
    return _zipf_ids_numpy(cdf, guide, u)


def _zipf_ids_loop(cdf, guide, u, out) -> None:
    """The compiled build's :func:`_zipf_ids` (typed in keys.pxd): per draw, the guide's interpolated id,
    moved to the first id whose CDF exceeds the draw (a step, or a binary search beyond it)."""
    n = cdf.shape[0]
    steps = _GUIDE_STEPS
    with cython.boundscheck(False), cython.wraparound(False):  # indices valid by construction
        for i in range(u.shape[0]):  # the guesses first (the guide stays in the caches) ...
            g = u[i] * steps
            j = int(g)
            if j >= steps:  # u * steps rounds up to steps for u within 2**-37 of 1
                j = steps - 1
            lo = guide[j]
            k = int(lo + (g - j) * (guide[j + 1] - lo))
            if k > n - 1:
                k = n - 1
            out[i] = k
        for i in range(u.shape[0]):  # ... then the checks: the CDF reads of many draws under way at once
            x = u[i]
            k = out[i]
            if cdf[k] <= x:  # above k, in [k + 1, n - 1] (the CDF of n - 1 is 1 > x): a step, most often
                a = k + 1
                b = a if cdf[a] > x else n - 1
            elif k > 0 and cdf[k - 1] > x:  # below k, in [0, k - 1]: a step, most often
                b = k - 1
                a = b if b == 0 or cdf[b - 1] <= x else 0
            else:
                a = b = k
            while a < b:  # the first in [a, b] whose CDF exceeds x (that of b does)
                mid = (a + b) >> 1
                if cdf[mid] <= x:
                    a = mid + 1
                else:
                    b = mid
            out[i] = a


def _key_lengths_loop(ids, affixes, out) -> None:
    """The compiled build's key lengths for a plain format (typed in keys.pxd): the affixes' bytes plus
    the id's decimal digits, 0 for a null key (-1)."""
    with cython.boundscheck(False), cython.wraparound(False):  # indices valid by construction
        for i in range(ids.shape[0]):
            q = ids[i]
            if q < 0:
                out[i] = 0
                continue
            digits = 1
            while q >= 10:
                q //= 10
                digits += 1
            out[i] = affixes + digits


def _zipf_ids_numpy(cdf: np.ndarray, guide: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``cdf.searchsorted(u, side="right")`` for draws ``u`` in [0, 1): the first id whose CDF exceeds each.

    A binary search costs a chain of dependent reads per draw. Here each draw's id is interpolated
    between the ids of its guide cell's ends, checked against the CDF and moved a step if needed (a few
    independent reads per draw); a draw still not placed after two steps is searched. The result is
    checked (``cdf[k - 1] <= u < cdf[k]``), so it is the search's.
    """
    n = cdf.size
    x = u * _GUIDE_STEPS
    j = x.astype(np.int64)  # the cell (u >= 0: truncation is the floor)
    np.minimum(j, _GUIDE_STEPS - 1, out=j)  # u * steps rounds up to steps for u within 2**-37 of 1
    lo = guide[j]
    k = (lo + (x - j) * (guide[j + 1] - lo)).astype(np.int64)
    np.minimum(k, n - 1, out=k)
    for _ in range(2):
        up = cdf[k] <= u  # the id is above k
        down = (k > 0) & (cdf[np.maximum(k - 1, 0)] > u)  # the id is below k
        if not (up.any() or down.any()):
            return k
        k += up
        k -= down
        np.minimum(k, n - 1, out=k)
    wrong = (cdf[k] <= u) | ((k > 0) & (cdf[np.maximum(k - 1, 0)] > u))
    if wrong.any():
        k[wrong] = cdf.searchsorted(u[wrong], side="right")
    return k


def _split_format(fmt: str) -> tuple[str, str, bool] | None:
    """(prefix, suffix, plain) for a format with exactly one positional field, else None."""
    try:
        parts = list(string.Formatter().parse(fmt))
    except ValueError:
        return None
    fields = [part for part in parts if part[1] is not None]
    if len(fields) != 1 or fields[0][1] not in ("", "0"):
        return None
    index = parts.index(fields[0])
    prefix = "".join(part[0] for part in parts[: index + 1])
    suffix = "".join(part[0] for part in parts[index + 1 :])
    return prefix, suffix, not fields[0][2] and fields[0][3] is None


@dataclass(frozen=True)
class KeySpec:
    """Key ids drawn from ``distribution`` over ``count`` distinct keys, rendered with ``format``."""

    distribution: str = "none"
    count: int = 1
    exponent: float = 1.0
    format: str = "user-{}"

    def __post_init__(self) -> None:
        if self.distribution not in KEY_DISTRIBUTIONS:
            raise InvalidConfigurationError(
                "distribution",
                self.distribution,
                "one of " + ", ".join(KEY_DISTRIBUTIONS),
                "unknown key distribution" + did_you_mean(self.distribution, KEY_DISTRIBUTIONS),
            )
        hi = MAX_ZIPF_KEYS if self.distribution == "zipf" else 2**63 - 1
        object.__setattr__(self, "count", check_number("count", self.count, lo=1, hi=hi, integer=True))
        object.__setattr__(self, "exponent", check_number("exponent", self.exponent, lo=0))
        split = _split_format(self.format) if isinstance(self.format, str) else None
        if split is None:
            raise InvalidConfigurationError(
                "format", self.format, "a string with one {} field, e.g. 'user-{}'", "cannot render a key id"
            )
        try:
            self.format.format(0)
        except (ValueError, TypeError) as exc:
            raise InvalidConfigurationError(
                "format", self.format, "a string with one {} field, e.g. 'user-{}'", str(exc)
            ) from None

    @classmethod
    def from_spec(cls, spec: object, path: str = "") -> KeySpec:
        """From None / ``"none"`` (null keys), a KeySpec, or a mapping of the fields."""
        try:
            if spec is None or spec == "none":
                return cls()
            if isinstance(spec, KeySpec):
                return spec
            if not isinstance(spec, Mapping):
                raise InvalidConfigurationError(
                    "",
                    spec,
                    "null or a mapping with distribution, count, exponent, format",
                    "expected a mapping",
                )
            check_keys("", spec, ("distribution", "count", "exponent", "format"), ("distribution",))
            return cls(**spec)
        except InvalidConfigurationError as err:
            field = f"{path}.{err.field}" if path and err.field else (path or err.field)
            raise type(err)(field, err.value, err.allowed, err.reason) from None

    def to_spec(self) -> dict[str, object] | None:
        """The inverse of :meth:`from_spec`: None for null keys, else a plain mapping."""
        if self.distribution == "none":
            return None
        spec: dict[str, object] = {"distribution": self.distribution, "count": self.count}
        if self.distribution == "zipf":
            spec["exponent"] = self.exponent
        spec["format"] = self.format
        return spec

    def pmf(self) -> np.ndarray:
        """Probability of each id ``0 .. count-1`` (empty for null keys)."""
        if self.distribution == "none":
            return np.empty(0)
        if self.distribution == "uniform":
            return np.full(self.count, 1.0 / self.count)
        return np.diff(_zipf_cdf(self.count, float(self.exponent)), prepend=0.0)

    def sample_ids(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` key ids as int64, in ``[0, count)``; all ``-1`` (null key) for ``none``."""
        if self.distribution == "none":
            return np.full(int(n), -1, dtype=np.int64)
        if self.distribution == "uniform":
            return rng.integers(0, self.count, size=int(n), dtype=np.int64)
        count, exponent = self.count, float(self.exponent)
        u = rng.random(int(n))
        # Inverse-CDF lookup, guided (see _zipf_ids): the same ids as cdf.searchsorted(u, side="right").
        return _zipf_ids(_zipf_cdf(count, exponent), _zipf_guide(count, exponent), u)

    def key_bytes(self, ids: np.ndarray) -> list[bytes | None]:
        """The serialized key of each id (UTF-8 of ``format.format(id)``); None for a null key (-1)."""
        return [None if i < 0 else self.format.format(i).encode() for i in np.asarray(ids).tolist()]

    def key_rows(self, ids: np.ndarray):
        """The serialized keys of ``ids`` (all >= 0) as byte matrices, one per key length.

        Yields ``(ids_group, rows)`` where ``rows`` is a ``(len(ids_group), length)`` uint8 matrix of the
        keys' UTF-8 bytes; for plain formats like ``"user-{}"`` this is built with numpy, with no
        Python string per key. Other formats fall back to :meth:`key_bytes`.
        """
        ids = np.asarray(ids, dtype=np.int64)
        prefix, suffix, plain = _split_format(self.format)
        if not plain:
            keys = self.key_bytes(ids)
            lengths = np.array([len(k) for k in keys])
            for length in np.unique(lengths).tolist():
                sel = np.flatnonzero(lengths == length)
                blob = b"".join(keys[i] for i in sel.tolist())
                yield ids[sel], np.frombuffer(blob, dtype=np.uint8).reshape(sel.size, length)
            return
        pre = np.frombuffer(prefix.encode(), dtype=np.uint8)
        suf = np.frombuffer(suffix.encode(), dtype=np.uint8)
        digits = 1 + np.searchsorted(_POWERS_OF_TEN, ids, side="right")
        for d in np.unique(digits).tolist():
            group = ids[digits == d]
            rows = np.empty((group.size, pre.size + d + suf.size), dtype=np.uint8)
            rows[:, : pre.size] = pre
            rows[:, pre.size + d :] = suf
            # The digits from the last: one division by 10 per digit (a scalar divisor, which numpy
            # divides fast) rather than a division by each power of ten.
            rest = group
            for j in range(pre.size + d - 1, pre.size - 1, -1):
                q = rest // 10
                rows[:, j] = rest - q * 10 + 48
                rest = q
            yield group, rows

    def key_affixes(self) -> tuple[bytes, bytes] | None:
        """``(prefix, suffix)`` as UTF-8 when every key is ``prefix + str(id) + suffix`` (a plain format
        such as ``"user-{}"``), else None."""
        prefix, suffix, plain = _split_format(self.format)
        return (prefix.encode(), suffix.encode()) if plain else None

    def key_length(self, ids: np.ndarray) -> np.ndarray:
        """Length in bytes of each id's key as int64; 0 for a null key."""
        ids = np.asarray(ids, dtype=np.int64)
        prefix, suffix, plain = _split_format(self.format)
        if plain and _COMPILED and ids.ndim == 1:
            out = np.empty(ids.size, dtype=np.int64)
            _key_lengths_loop(ids, len(prefix.encode()) + len(suffix.encode()), out)
            return out
        if plain:
            digits = 1 + np.searchsorted(_POWERS_OF_TEN, ids, side="right")
            lengths = len(prefix.encode()) + len(suffix.encode()) + digits
        else:
            lengths = np.array([len(self.format.format(i).encode()) for i in ids.tolist()], dtype=np.int64)
        return np.where(ids < 0, 0, lengths).astype(np.int64)

    def max_key_length(self) -> int:
        """Longest key in bytes (0 for null keys); used to bound a record's size."""
        if self.distribution == "none":
            return 0
        return int(self.key_length(np.array([0, self.count - 1])).max())
