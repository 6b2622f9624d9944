"""Simulation core: the millisecond SimPy environment, per-scope random streams and Kafka-named errors."""
