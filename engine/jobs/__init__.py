"""What runs in the background: the embedded threads, the RQ jobs per shard, and the cron."""

__all__: list[str] = []
