"""Announcing job changes: publish on Redis pub/sub, and the per-process hub that relays them."""

from app.events.publish import CHANNEL, publish

__all__ = ["CHANNEL", "publish"]
