"""Fixed-window rate limits shared by every web process.

Rates are written like "10/h" (also s, m, d). By default (RATELIMIT_BACKEND=db) each attempt is one
atomic upsert on the RateCounter table (`INSERT … ON CONFLICT DO UPDATE SET count = count + 1
RETURNING count`, PostgreSQL and SQLite ≥ 3.35): exact across processes, one statement per limit.
RATELIMIT_BACKEND=cache keeps the counters in the default cache instead (atomic with Redis,
CACHE_URL=redis://…). Identifiers are hashed first: no email address or IP is stored.
"""

import hashlib
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

CLEANUP_EVERY = 200  # about one attempt in this many also deletes the windows that have ended

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends


def parse_rate(rate: str) -> tuple[int, int]:
    """"10/h" -> (10, 3600). A bad value is a configuration error, loudly."""
    try:
        count, unit = rate.strip().split("/")
        count, seconds = int(count), UNITS[unit.strip().lower()]
    except (ValueError, KeyError, AttributeError):
        raise ImproperlyConfigured(f"Bad rate {rate!r}: use a number and a unit, like '10/h' (units: s, m, h, d).")
    if count < 1:
        raise ImproperlyConfigured(f"Bad rate {rate!r}: the number must be at least 1.")
    return count, seconds


def _key(scope: str, identifier: str, window: int) -> str:
    digest = hashlib.sha256(identifier.strip().lower().encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}:{window}"


def hit(scope: str, identifier: str, rate: str, *, now: float | None = None) -> Verdict:
    """Count one attempt; refused once the count for this window goes over the rate."""
    limit, seconds = parse_rate(rate)
    now = time.time() if now is None else now
    window = int(now // seconds)
    retry_after = max(1, int((window + 1) * seconds - now))
    if getattr(settings, "RATELIMIT_BACKEND", "db") == "cache":
        count = _cache_count(_key(scope, identifier, window), seconds)
    else:
        count = _db_count(scope, identifier, window, seconds, now)
    return Verdict(allowed=count <= limit, retry_after=retry_after)


def _db_count(scope: str, identifier: str, window: int, seconds: int, now: float) -> int:
    from .models import RateCounter

    key = hashlib.sha256(f"{scope}:{seconds}:{identifier.strip().lower()}".encode()).hexdigest()
    expires_at = datetime.fromtimestamp((window + 1) * seconds + 60, tz=UTC)
    ops, table = connection.ops, connection.ops.quote_name(RateCounter._meta.db_table)
    key_col, window_col, count_col, expires_col = (ops.quote_name(c) for c in ("key", "window", "count", "expires_at"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_col}, {window_col}, {count_col}, {expires_col}) VALUES (%s, %s, 1, %s) "
            f"ON CONFLICT ({key_col}, {window_col}) DO UPDATE SET {count_col} = {table}.{count_col} + 1 "
            f"RETURNING {count_col}",
            [key, window, ops.adapt_datetimefield_value(expires_at)],
        )
        count = cursor.fetchone()[0]
        if random.randrange(CLEANUP_EVERY) == 0:
            cursor.execute(f"DELETE FROM {table} WHERE {expires_col} < %s",
                           [ops.adapt_datetimefield_value(datetime.fromtimestamp(now, tz=UTC))])
    return count


def _cache_count(key: str, seconds: int) -> int:
    # add() is a no-op when the key exists, so the first attempt of a window creates it.
    cache.add(key, 0, timeout=seconds + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=seconds + 60)
        count = 1
    return count


def client_ip(request) -> str:
    # The same trusted-proxy rule as the staff lockout (TRUSTED_PROXY_COUNT): X-Forwarded-For
    # entries a client can forge are never used.
    from .security import client_ip as trusted_client_ip

    return trusted_client_ip(request) or "unknown"
