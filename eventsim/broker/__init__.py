"""The broker: request path (network threads, request queue, I/O threads), disks, purgatory."""
