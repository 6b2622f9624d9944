"""Controllers: replica placement, the KRaft controller (``quorum_controller``) and the ZooKeeper-mode
controller (``kafka_controller``): broker liveness, leader elections and the metadata they publish."""
