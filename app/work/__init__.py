"""RQ entry points: compress a job, deliver a webhook, keep the system honest."""
