"""Replication: the leader's view of a partition (ISR, high watermark, acks=all) and the followers'
fetcher threads."""
