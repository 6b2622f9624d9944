"""Random distributions for record sizes and processing times, sampled in bulk with numpy.

What Kafka does: nothing here. Kafka carries whatever bytes the application sends; benchmarks pick
the sizes. ``kafka-producer-perf-test`` (``tools/.../ProducerPerformance.java``) sends a fixed
``--record-size``; the OpenMessaging Benchmark used in the Confluent 2020 comparison sends a fixed
1 KiB payload; Kreps's 2014 benchmark used 100-byte values. Real application payloads vary, and a
lognormal is the usual fit for message sizes, so scenarios can choose one.

Modelled: ``fixed``, ``uniform``, ``exponential``, ``normal`` and ``lognormal`` (parameterised by its
own mean and standard deviation, not those of its logarithm). Optional ``min`` / ``max`` truncate
``exponential``, ``normal`` and ``lognormal`` by *resampling* (rejection): values outside the bounds
are drawn again, so within the bounds the shape is exactly the truncated distribution, and
:attr:`Distribution.mean` is its exact (analytic) mean. Bounds that keep less than 1 % of the mass
are a configuration error, which keeps rejection cheap. Sampling is vectorised and draws only from
the ``numpy.random.Generator`` passed in.

Not modelled: empirical or histogram distributions, heavy-tailed Pareto sizes, and correlation
between successive draws (each sample is independent).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from eventsim.core.errors import InvalidConfigurationError
from eventsim.core.validation import MISSING, check_keys, check_mapping, check_number, did_you_mean

__all__ = ["Distribution", "KINDS"]

KINDS: dict[str, tuple[str, ...]] = {  # kind -> required parameters
    "fixed": ("value",),
    "uniform": ("min", "max"),
    "exponential": ("mean",),
    "normal": ("mean", "std"),
    "lognormal": ("mean", "std"),
}
_TRUNCATABLE = ("exponential", "normal", "lognormal")
_MIN_MASS = 0.01


def _phi(z: float) -> float:
    return 0.0 if math.isinf(z) else math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)


def _cdf_std_normal(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _log(x: float) -> float:
    return math.log(x) if x > 0 else -math.inf


@dataclass(frozen=True)
class Distribution:
    """A distribution of non-negative sizes or durations: ``kind`` and its ``params``.

    ``params`` holds the required parameters of :data:`KINDS` plus, for the truncatable kinds,
    optional ``min`` and ``max``. Build one with :meth:`from_spec` from a number (fixed) or a mapping
    such as ``{"distribution": "lognormal", "mean": 300, "std": 60, "max": 4096}``.
    """

    kind: str
    params: dict[str, float]

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidConfigurationError(
                "distribution",
                self.kind,
                "one of " + ", ".join(KINDS),
                "unknown distribution" + did_you_mean(self.kind, KINDS),
            )
        check_mapping("params", self.params, "distribution parameters")
        optional = ("min", "max") if self.kind in _TRUNCATABLE else ()
        check_keys("", self.params, (*KINDS[self.kind], *optional), KINDS[self.kind])
        params = {key: check_number(key, value) for key, value in self.params.items()}
        object.__setattr__(self, "params", params)
        if self.kind in ("normal", "lognormal") and params["std"] <= 0:
            raise InvalidConfigurationError(
                "std", params["std"], "a number > 0", "use the fixed distribution for a constant"
            )
        if self.kind in ("exponential", "lognormal") and params["mean"] <= 0:
            raise InvalidConfigurationError(
                "mean", params["mean"], "a number > 0", f"a {self.kind} has a positive mean"
            )
        if self.min >= self.max and self.kind != "fixed":
            raise InvalidConfigurationError(
                "max", self.max, f"a number > min ({self.min:g})", "max must exceed min"
            )
        if self._mass() < _MIN_MASS:
            raise InvalidConfigurationError(
                "min" if "min" in params else "max",
                params.get("min", params.get("max")),
                "bounds keeping >= 1 % of the mass",
                f"min/max keep only {self._mass():.2%} of the {self.kind} distribution",
            )

    def __hash__(self) -> int:
        return hash((self.kind, tuple(sorted(self.params.items()))))

    @classmethod
    def fixed(cls, value: float) -> Distribution:
        """A constant."""
        return cls("fixed", {"value": value})

    @classmethod
    def from_spec(cls, spec: object, path: str = "", *, nonnegative: bool = True) -> Distribution:
        """From a number (fixed), a mapping with a ``distribution`` key, or a Distribution.

        With ``nonnegative`` (sizes and times), a distribution that can produce negative values is an
        error: give ``normal`` a ``min``, for example.
        """
        try:
            if isinstance(spec, Distribution):
                dist = spec
            elif isinstance(spec, Mapping):
                if "distribution" not in spec:
                    raise InvalidConfigurationError(
                        "distribution",
                        MISSING,
                        "one of " + ", ".join(KINDS),
                        "a mapping needs a 'distribution' key",
                    )
                params = {key: value for key, value in spec.items() if key != "distribution"}
                dist = cls(spec["distribution"], params)
            else:
                dist = cls("fixed", {"value": check_number("", spec)})
            if nonnegative and dist.min < 0:
                field = "value" if dist.kind == "fixed" else "min"
                raise InvalidConfigurationError(
                    field,
                    dist.params.get(field, MISSING),
                    "a lower bound >= 0",
                    "sizes and times cannot be negative"
                    + ("; add min: 0" if "min" not in dist.params and dist.kind != "fixed" else ""),
                )
        except InvalidConfigurationError as err:
            raise (
                err.prefixed(path) if err.field else type(err)(path, err.value, err.allowed, err.reason)
            ) from None
        return dist

    def to_spec(self) -> float | dict[str, object]:
        """The inverse of :meth:`from_spec`: a number for ``fixed``, else a plain mapping."""
        return self.params["value"] if self.kind == "fixed" else {"distribution": self.kind, **self.params}

    @property
    def min(self) -> float:
        """Lower bound of the support (``-inf`` for an untruncated normal)."""
        if self.kind == "fixed":
            return float(self.params["value"])
        default = -math.inf if self.kind == "normal" else 0.0
        return float(self.params.get("min", default))

    @property
    def max(self) -> float:
        """Upper bound of the support (``inf`` when unbounded)."""
        if self.kind == "fixed":
            return float(self.params["value"])
        return float(self.params.get("max", math.inf))

    def _cdf(self, x: float) -> float:
        p = self.params
        if self.kind == "normal":
            return _cdf_std_normal((x - p["mean"]) / p["std"])
        if self.kind == "lognormal":
            mu, sigma = self._log_params()
            return _cdf_std_normal((_log(x) - mu) / sigma)
        return 0.0 if x <= 0 else 1.0 - math.exp(-x / p["mean"])  # exponential

    def _mass(self) -> float:
        if self.kind not in _TRUNCATABLE:
            return 1.0
        return self._cdf(self.max) - self._cdf(self.min)

    def _log_params(self) -> tuple[float, float]:
        mean, std = self.params["mean"], self.params["std"]
        sigma2 = math.log1p((std / mean) ** 2)
        return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)

    @property
    def mean(self) -> float:
        """Exact mean of the distribution as sampled (after truncation)."""
        p, lo, hi = self.params, self.min, self.max
        if self.kind == "fixed":
            return float(p["value"])
        if self.kind == "uniform":
            return (lo + hi) / 2.0
        mass = self._mass()
        if self.kind == "normal":
            alpha, beta = (lo - p["mean"]) / p["std"], (hi - p["mean"]) / p["std"]
            return p["mean"] + p["std"] * (_phi(alpha) - _phi(beta)) / mass
        if self.kind == "lognormal":
            mu, sigma = self._log_params()
            top = _cdf_std_normal((_log(hi) - mu - sigma**2) / sigma) - _cdf_std_normal(
                (_log(lo) - mu - sigma**2) / sigma
            )
            return math.exp(mu + sigma**2 / 2.0) * top / mass
        scale = p["mean"]  # exponential on [lo, hi]
        upper = 0.0 if math.isinf(hi) else (hi + scale) * math.exp(-hi / scale)
        return ((lo + scale) * math.exp(-lo / scale) - upper) / (
            math.exp(-lo / scale) - math.exp(-hi / scale)
        )

    def _draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        p = self.params
        if self.kind == "exponential":
            return rng.exponential(p["mean"], n)
        if self.kind == "normal":
            return rng.normal(p["mean"], p["std"], n)
        mu, sigma = self._log_params()
        return rng.lognormal(mu, sigma, n)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` independent draws as a float64 array, all within ``[min, max]``."""
        n = int(n)
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if self.kind == "fixed":
            return np.full(n, float(self.params["value"]))
        if self.kind == "uniform":
            return rng.uniform(self.min, self.max, n)
        lo, hi, mass = self.min, self.max, self._mass()
        if mass >= 1.0:
            return self._draw(rng, n)
        out = np.empty(n)
        filled = 0
        while filled < n:  # rejection: draw enough for the remainder in (usually) one round
            need = n - filled
            draws = self._draw(rng, int(need / mass * 1.1) + 16)
            kept = draws[(draws >= lo) & (draws <= hi)][:need]
            out[filled : filled + kept.size] = kept
            filled += kept.size
        return out

    def describe(self) -> str:
        """Short human-readable form, e.g. ``lognormal(mean=300, std=60, max=4096)``."""
        return f"{self.kind}(" + ", ".join(f"{k}={v:g}" for k, v in self.params.items()) + ")"
