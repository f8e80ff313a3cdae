"""The data subject's status session: bound to ONE case of ONE tenant.

Opened by a confirmation or status link (the token is never kept: only the case id and tenant id),
so later URLs carry no secret. A session of tenant A shows nothing on tenant B's pages.
"""

import time

from django.conf import settings

from .models import Case

SESSION_KEY = "dsar_subject"


def open_for(request, case):
    # A new session id: a link opened in a shared browser must not inherit someone's earlier session.
    request.session.cycle_key()
    request.session[SESSION_KEY] = {"tenant": case.tenant_id, "case": case.pk}


def current_case(request, tenant) -> Case | None:
    data = request.session.get(SESSION_KEY)
    if not data or data.get("tenant") != tenant.pk:
        return None
    return (
        Case.objects.select_related("tenant", "rule_set")
        .filter(pk=data.get("case"), tenant=tenant, purged_at__isnull=True)
        .first()
    )


def unlock_downloads(request, case):
    minutes = getattr(settings, "DOWNLOAD_UNLOCK_MINUTES", 30)
    data = dict(request.session.get(SESSION_KEY) or {})
    if data.get("case") != case.pk:
        return
    data["downloads_until"] = time.time() + minutes * 60
    request.session[SESSION_KEY] = data


def downloads_unlocked(request, case) -> bool:
    data = request.session.get(SESSION_KEY) or {}
    return data.get("case") == case.pk and data.get("downloads_until", 0) > time.time()


def close(request):
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()
