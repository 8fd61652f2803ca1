"""Squeeze's client: ``Client`` for programs, ``squeeze`` (``cli.py``) for people and scripts."""

from squeeze_client.api import ApiError, Client, NetworkError

__all__ = ["ApiError", "Client", "NetworkError"]
