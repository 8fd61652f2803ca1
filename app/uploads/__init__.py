"""Resumable direct uploads: a video sent in numbered parts, straight to storage, then a job."""
