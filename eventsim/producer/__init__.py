"""The Kafka producer model: partitioner, record accumulator, producer batches and the sender."""
