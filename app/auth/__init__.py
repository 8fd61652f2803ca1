"""Who is asking: API keys, browser sessions, and the owner every job belongs to."""

from app.auth.owner import ANONYMOUS, current_owner, page_owner, request_owner

__all__ = ["ANONYMOUS", "current_owner", "page_owner", "request_owner"]
