"""Controller: replica placement now; elections and the ZooKeeper/KRaft controllers with replication."""
