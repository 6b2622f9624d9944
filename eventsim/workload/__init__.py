"""Workload generation: size and time distributions, record keys, and (later) social traffic."""

from eventsim.workload.distributions import Distribution
from eventsim.workload.keys import KeySpec

__all__ = ["Distribution", "KeySpec"]
