"""Consumer groups: partition assignors now; the group coordinator, rebalances and offsets later."""
