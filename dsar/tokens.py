"""Secrets sent to requesters: 192 random bits from `secrets`, signed and expiring in the URL,
stored only as a SHA-256 hash, single use where the purpose says so."""

import hmac
import secrets
from datetime import timedelta

from django.core import signing
from django.utils import timezone

from .models import AccessToken, hash_token


def _signer(purpose):
    return signing.TimestampSigner(salt=f"dsar.token.{purpose}")


def issue(case, purpose: str, lifetime: timedelta) -> str:
    """Create a token for the case and return the signed value to put in a link."""
    raw = secrets.token_urlsafe(24)
    AccessToken.objects.create(
        case=case, purpose=purpose, token_hash=hash_token(raw), expires_at=timezone.now() + lifetime
    )
    return _signer(purpose).sign(raw)


def lookup(signed_value: str, purpose: str, max_age: timedelta) -> AccessToken | None:
    """The live token for a signed link, or None when tampered, expired, unknown or used."""
    try:
        raw = _signer(purpose).unsign(signed_value, max_age=max_age)
    except (signing.BadSignature, TypeError):
        return None
    token = (
        AccessToken.objects.select_related("case", "case__tenant")
        .filter(token_hash=hash_token(raw), purpose=purpose)
        .first()
    )
    if token is None or token.used_at is not None or token.expires_at <= timezone.now():
        return None
    return token


def issue_code(case, lifetime: timedelta) -> str:
    """A 6-digit one-time code (download of the answer); earlier live codes stop working."""
    AccessToken.objects.filter(
        case=case, purpose=AccessToken.Purpose.DOWNLOAD_CODE, used_at__isnull=True
    ).update(used_at=timezone.now())
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(16)
    AccessToken.objects.create(
        case=case,
        purpose=AccessToken.Purpose.DOWNLOAD_CODE,
        salt=salt,
        token_hash=hash_token(salt + code),
        expires_at=timezone.now() + lifetime,
    )
    return code


def check_code(case, code: str, max_attempts: int) -> bool:
    """True once for the right code; every try counts, and too many tries burn the code."""
    token = (
        AccessToken.objects.select_for_update()
        .filter(case=case, purpose=AccessToken.Purpose.DOWNLOAD_CODE, used_at__isnull=True)
        .order_by("-created_at")
        .first()
    )
    if token is None or token.expires_at <= timezone.now():
        return False
    token.attempts += 1
    ok = hmac.compare_digest(token.token_hash, hash_token(token.salt + (code or "").strip()))
    if ok or token.attempts >= max_attempts:
        token.used_at = timezone.now()
    token.save(update_fields=["attempts", "used_at"])
    return ok
