"""eventsim: a discrete-event model of an Apache Kafka cluster, built on SimPy, for teaching and what-ifs.

``eventsim.simulate(scenario, seed=None, horizon_ms=None, overrides=()) -> Result`` is the one entry point;
a scenario is a ``Scenario``, a dict, a YAML path or a preset name (``"reference"``); ``seed`` None runs the
scenario's own seed; ``overrides`` change fields by the paths error messages use. Time is in milliseconds.
"""

# First: importing _compiled installs its finder before any module it covers is imported.
from eventsim._compiled import CompiledBuildWarning, compiled_modules
from eventsim.config import BrokerConfig, ClusterConfig, ConsumerConfig, ProducerConfig, TopicConfig
from eventsim.core.errors import InvalidConfigurationError, KafkaError, RecordTooLargeError
from eventsim.metrics.result import Result
from eventsim.runner import build, simulate
from eventsim.scenarios import Scenario
from eventsim.structs import RecordMetadata, TopicPartition
from eventsim.sweeps import sweep

__version__ = "0.1.0"

__all__ = [
    "simulate",
    "sweep",
    "compiled_modules",
    "CompiledBuildWarning",
    "build",
    "Result",
    "Scenario",
    "ProducerConfig",
    "ConsumerConfig",
    "BrokerConfig",
    "TopicConfig",
    "ClusterConfig",
    "InvalidConfigurationError",
    "KafkaError",
    "RecordTooLargeError",
    "TopicPartition",
    "RecordMetadata",
]
