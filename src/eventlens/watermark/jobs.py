"""Names of the watermark jobs, for whoever queues them (the events service) without importing the jobs."""

FORGET_STALE_JOB = "watermark.forget_stale"
