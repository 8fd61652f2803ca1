"""API keys: from API_KEYS, or created with ``flask keys create`` or the operators' console
(``/api/admin/keys``): shown once, stored hashed, with the key's quotas."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import datetime

import click
from flask import Blueprint, current_app
from sqlalchemy import DateTime, String, select
from sqlalchemy.orm import Mapped, mapped_column

from app.events.publish import announce_revoked
from app.extensions import Model, db, redis_client, release_database
from app.timeutil import rfc3339, utcnow

KEY_PREFIX = "sqz_"
KEY_CACHE_SECONDS = 10.0  # a created or revoked CLI key takes effect on every process within this
KEY_CACHE_SIZE = 10_000  # keys remembered per process (all forgotten when full)
cli = Blueprint("keys", __name__, cli_group="keys")


class ApiKey(Model):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    # Quotas (None: no limit): jobs queued or running at once, minutes of video per 30 days.
    max_concurrent_jobs: Mapped[int | None] = mapped_column(default=None)
    monthly_minutes: Mapped[int | None] = mapped_column(default=None)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def owner_of_hash(digest: str) -> str:
    """The owner id of a key: stable, and reveals nothing usable of the key."""
    return "key:" + digest[:24]


class _Remembered:
    """What the database said about keys, kept KEY_CACHE_SECONDS per process.

    Owner resolution runs on nearly every request, before its body is read; remembering the
    answer keeps it from checking out a database connection at all most of the time.
    """

    def __init__(self) -> None:
        self.configured: tuple[float, bool] | None = None
        self.owners: dict[str, tuple[float, str]] = {}


def _remembered() -> _Remembered:
    memory: _Remembered = current_app.extensions.setdefault("api_keys", _Remembered())
    return memory


def keys_configured() -> bool:
    """True once any key exists (API_KEYS, or a key made by the CLI or the operator, revoked or
    not): then the API needs one. Revoking the last key closes the API to everyone; it never
    opens a private deployment (and its revoked key's jobs) to anyone who asks."""
    if current_app.config["API_KEYS"]:
        return True
    memory, now = _remembered(), time.monotonic()
    if memory.configured is None or now - memory.configured[0] > KEY_CACHE_SECONDS:
        found = db.session.scalar(select(ApiKey.id).limit(1)) is not None
        release_database()
        memory.configured = (now, found)
    return memory.configured[1]


def owner_for_key(key: str) -> str | None:
    """The owner a presented key stands for, or None if it is not a valid key."""
    return owner_for_digest(key_hash(key))


def owner_for_digest(digest: str) -> str | None:
    """The owner of the key whose SHA-256 is ``digest`` while that key is valid, else None."""
    for configured in current_app.config["API_KEYS"]:
        if hmac.compare_digest(key_hash(configured), digest):
            return owner_of_hash(digest)
    memory, now = _remembered(), time.monotonic()
    known = memory.owners.get(digest)
    if known is not None and now - known[0] <= KEY_CACHE_SECONDS:
        return known[1]
    found = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None)))
    release_database()
    if not found:
        memory.owners.pop(digest, None)
        return None
    if len(memory.owners) >= KEY_CACHE_SIZE:
        memory.owners.clear()
    memory.owners[digest] = (now, owner_of_hash(digest))
    return owner_of_hash(digest)


def key_of_owner(owner: str) -> ApiKey | None:
    """The stored key an owner id stands for (None for API_KEYS' keys, sessions, anonymous)."""
    if not owner.startswith("key:"):
        return None
    prefix = owner.removeprefix("key:")
    return db.session.scalar(select(ApiKey).where(ApiKey.key_hash.startswith(prefix, autoescape=True)))


def create_key(
    name: str, max_concurrent_jobs: int | None = None, monthly_minutes: int | None = None
) -> tuple[ApiKey, str]:
    """Store a new key (hashed) with its quotas; the row and the key, which is never seen again."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name,
        key_hash=key_hash(key),
        max_concurrent_jobs=max_concurrent_jobs,
        monthly_minutes=monthly_minutes,
    )
    db.session.add(row)
    db.session.commit()
    current_app.extensions.pop("api_keys", None)  # this process forgets at once; others within the cache time
    return row, key


def all_keys() -> list[ApiKey]:
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(key_id: int) -> ApiKey | None:
    """Revoke the key (again is fine: its first revocation time stays); None if there is none."""
    if not 0 < key_id < 2**63:  # past what an id column holds (the database would refuse the query)
        return None
    row = db.session.get(ApiKey, key_id)
    if row is None:
        return None
    row.revoked_at = row.revoked_at or utcnow()
    db.session.commit()
    current_app.extensions.pop("api_keys", None)
    announce_revoked(redis_client(), row.key_hash)  # its open streams, in every process
    return row


@cli.cli.command("create")
@click.argument("name")
@click.option("--max-concurrent-jobs", type=click.IntRange(min=1), help="jobs queued or running at once")
@click.option("--monthly-minutes", type=click.IntRange(min=1), help="minutes of video per 30 days")
def create_command(name: str, max_concurrent_jobs: int | None, monthly_minutes: int | None) -> None:
    """Create an API key called NAME; the key is printed once and stored hashed."""
    row, key = create_key(name, max_concurrent_jobs, monthly_minutes)
    click.echo(f"Created key {row.id} ({name}). Store it now, it is not shown again:\n{key}")


@cli.cli.command("list")
def list_command() -> None:
    """List API keys (never the keys themselves)."""
    for row in all_keys():
        state = f"revoked {rfc3339(row.revoked_at)}" if row.revoked_at else "active"
        click.echo(f"{row.id}\t{row.name}\t{rfc3339(row.created_at)}\t{state}")


@cli.cli.command("revoke")
@click.argument("key_id", type=int)
def revoke_command(key_id: int) -> None:
    """Revoke the API key with id KEY_ID."""
    row = revoke_key(key_id)
    if row is None:
        raise click.ClickException(f"no key with id {key_id}")
    click.echo(f"Revoked key {key_id} ({row.name}).")
