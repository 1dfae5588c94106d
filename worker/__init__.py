"""The worker process: APScheduler jobs over the application layer's sweep, mail delivery and digests."""
