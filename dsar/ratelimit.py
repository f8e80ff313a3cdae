"""Fixed-window rate limits kept in Django's cache, so they hold across processes.

Rates are written like "10/h" (also s, m, d). The default cache is the database cache
(shared by every web process); a Redis cache (CACHE_URL) works the same way.
Identifiers are hashed before they become cache keys: no email address or IP sits in the cache.
"""

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

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
    key = _key(scope, identifier, window)
    # add() is a no-op when the key exists, so the first attempt of a window creates it.
    cache.add(key, 0, timeout=seconds + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=seconds + 60)
        count = 1
    return Verdict(allowed=count <= limit, retry_after=retry_after)


def client_ip(request) -> str:
    # The same trusted-proxy rule as the staff lockout (TRUSTED_PROXY_COUNT): X-Forwarded-For
    # entries a client can forge are never used.
    from .security import client_ip as trusted_client_ip

    return trusted_client_ip(request) or "unknown"
