"""The partition log: what a broker stores for each topic partition.

In Kafka a partition's log (``storage/.../internals/log/UnifiedLog.java``, ``LogSegment.java``) is an
append-only sequence of record batches split into segment files, with a log end offset (LEO), a high
watermark (HW) and a log start offset that retention moves forward. This package models the log's
offsets, segments, retention and the compression codecs of the batches it stores.
"""
