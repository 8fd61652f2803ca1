"""API keys: from API_KEYS, or created with ``flask keys create`` (shown once, stored hashed)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import click
from flask import Blueprint, current_app
from sqlalchemy import DateTime, String, select
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import rfc3339, utcnow

KEY_PREFIX = "sqz_"
cli = Blueprint("keys", __name__, cli_group="keys")


class ApiKey(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def owner_of_hash(digest: str) -> str:
    """The owner id of a key: stable, and reveals nothing usable of the key."""
    return "key:" + digest[:24]


def keys_configured() -> bool:
    """True once any key exists (API_KEYS or an unrevoked CLI key): then the API needs one."""
    if current_app.config["API_KEYS"]:
        return True
    return db.session.scalar(select(ApiKey.id).where(ApiKey.revoked_at.is_(None)).limit(1)) is not None


def owner_for_key(key: str) -> str | None:
    """The owner a presented key stands for, or None if it is not a valid key."""
    digest = key_hash(key)
    for configured in current_app.config["API_KEYS"]:
        if hmac.compare_digest(key_hash(configured), digest):
            return owner_of_hash(digest)
    found = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None)))
    return owner_of_hash(digest) if found else None


@cli.cli.command("create")
@click.argument("name")
def create_key(name: str) -> None:
    """Create an API key called NAME; the key is printed once and stored hashed."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name, key_hash=key_hash(key))
    db.session.add(row)
    db.session.commit()
    click.echo(f"Created key {row.id} ({name}). Store it now, it is not shown again:\n{key}")


@cli.cli.command("list")
def list_keys() -> None:
    """List API keys (never the keys themselves)."""
    for row in db.session.scalars(select(ApiKey).order_by(ApiKey.id)):
        state = f"revoked {rfc3339(row.revoked_at)}" if row.revoked_at else "active"
        click.echo(f"{row.id}\t{row.name}\t{rfc3339(row.created_at)}\t{state}")


@cli.cli.command("revoke")
@click.argument("key_id", type=int)
def revoke_key(key_id: int) -> None:
    """Revoke the API key with id KEY_ID."""
    row = db.session.get(ApiKey, key_id)
    if row is None:
        raise click.ClickException(f"no key with id {key_id}")
    row.revoked_at = row.revoked_at or utcnow()
    db.session.commit()
    click.echo(f"Revoked key {key_id} ({row.name}).")
