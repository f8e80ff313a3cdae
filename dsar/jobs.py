"""The bodies of the scheduled jobs (dsar/schedules.py says when each runs).

Every job is safe to run twice and on two clusters at once: work is claimed with a unique key
(ScheduledNotice, OutboundEmail.idempotency_key) or a conditional update before it is done, and
every change of a case goes through an action.
"""

import logging
import uuid
import zoneinfo
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.template import Context, Template, TemplateSyntaxError
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from tenants.models import Membership, Tenant

from . import actions, sla
from .models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    AccessToken,
    Attachment,
    Case,
    EmailTemplate,
    OutboundEmail,
    ScheduledNotice,
    Status,
)
from .queue import enqueue

log = logging.getLogger(__name__)

# Reminder buckets: a case enters "due_7" when 7 or fewer days are left, and so on. A bucket covers a
# range rather than one day so that a sweep that did not run on the exact day still reminds.
DUE_BUCKETS = (("due_7", 4, 7), ("due_3", 2, 3), ("due_1", 0, 1))
OVERDUE = "overdue"
ACKNOWLEDGEMENT = "ack"
# Local "today" differs between tenants by at most this much from the UTC date (UTC-12 … UTC+14).
ZONE_SLACK = timedelta(days=1)
DIGEST_SOON_DAYS = 7
DIGEST_LIST_LIMIT = 25
STALE_PENDING_EMAIL = timedelta(minutes=10)
BULK_BATCH = 2000


# --- Email rendering in bulk --------------------------------------------------------------------


def _admin_case_url_prefix() -> str:
    try:
        path = reverse("admin:dsar_case_change", args=[0])
    except NoReverseMatch:
        # The case admin may not be registered (yet); Django's admin URL shape is stable.
        path = "/admin/dsar/case/0/change/"
    return settings.SITE_URL + path.replace("/0/", "/{}/")


class _StaffRenderer:
    """Renders staff emails for many cases with a fixed number of queries (ours: English, or the tenant's own)."""

    def __init__(self, kinds, tenant_ids):
        self.custom = {
            (t.tenant_id, t.kind): t
            for t in EmailTemplate.objects.filter(kind__in=kinds, tenant_id__in=tenant_ids, language="en")
        }
        self.ours = {
            kind: (get_template(f"emails/{kind}_subject.txt"), get_template(f"emails/{kind}.txt")) for kind in kinds
        }
        self.case_url = _admin_case_url_prefix()

    def render(self, kind, tenant, context):
        custom = self.custom.get((tenant.pk if tenant else None, kind))
        if custom is not None:
            try:
                ctx = Context(context, autoescape=False)
                return " ".join(Template(custom.subject).render(ctx).split()), Template(custom.body).render(ctx)
            except TemplateSyntaxError:
                pass  # a broken custom template must not stop the reminder: fall back to ours
        subject, body = self.ours[kind]
        return " ".join(subject.render(context).split()), body.render(context)


def _send_pending_later(count):
    if count:
        enqueue("dsar.tasks.send_pending_emails", task_name=f"send-pending-{uuid.uuid4().hex[:12]}")


# --- SLA sweep ----------------------------------------------------------------------------------


def _zone(name, cache={}):  # noqa: B006 - a deliberate per-process cache of ZoneInfo objects
    if name not in cache:
        try:
            cache[name] = zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            cache[name] = zoneinfo.ZoneInfo("UTC")
    return cache[name]


SWEEP_LIST_LIMIT = 100  # cases listed by name in one reminder; the rest are counted (the admin lists them all)


def _tenant_days(now):
    """Tenants grouped by their local date today: a handful of groups (UTC-12 … UTC+14), whatever the
    number of tenants. Returns the tenants by id and [(local_today, [tenant ids])]."""
    tenants = {t.pk: t for t in Tenant.objects.only("pk", "name", "time_zone")}
    groups = defaultdict(list)
    for pk, tenant in tenants.items():
        groups[timezone.localtime(now, _zone(tenant.time_zone)).date()].append(pk)
    return tenants, sorted(groups.items())


def _claim_sql(kind, date_column, groups, run, now):
    """One INSERT … SELECT that claims every case needing this kind of notice, in SQL: no row leaves the
    database. The unique key makes a concurrent sweep's claim win or lose per row (ON CONFLICT DO NOTHING);
    NOT EXISTS skips what earlier runs claimed (on the notice_case_kind_due_idx index)."""
    bounds = {"due_7": (4, 7), "due_3": (2, 3), "due_1": (0, 1), OVERDUE: (None, -1), ACKNOWLEDGEMENT: (None, 1)}
    low, high = bounds[kind]
    case_table, notice_table = Case._meta.db_table, ScheduledNotice._meta.db_table
    if connection.vendor == "postgresql":
        day = f"to_char(c.{date_column}, 'YYYY-MM-DD')"
    else:  # SQLite stores dates as ISO text
        day = f"c.{date_column}"
    where, params = [], []
    for today, tenant_ids in groups:
        clause = f"c.tenant_id IN ({', '.join(['%s'] * len(tenant_ids))}) AND c.{date_column} <= %s"
        params += [*tenant_ids, today + timedelta(days=high)]
        if low is not None:
            clause += f" AND c.{date_column} >= %s"
            params.append(today + timedelta(days=low))
        where.append(f"({clause})")
    statuses = ", ".join(["%s"] * len(OPEN_STATUSES))
    sql = (
        f"INSERT INTO {notice_table} (case_id, key, kind, due_date, run, created_at) "
        f"SELECT c.id, 'sla:' || c.id || ':' || %s || ':' || {day}, %s, c.{date_column}, %s, %s "
        f"FROM {case_table} c "
        f"WHERE c.status IN ({statuses}) AND c.paused_since IS NULL AND c.{date_column} IS NOT NULL"
        + (" AND c.acknowledged_at IS NULL" if kind == ACKNOWLEDGEMENT else "")
        + f" AND ({' OR '.join(where)})"
        f" AND NOT EXISTS (SELECT 1 FROM {notice_table} n"
        f" WHERE n.case_id = c.id AND n.kind = %s AND n.due_date = c.{date_column})"
        " ON CONFLICT (key) DO NOTHING"
    )
    return sql, [kind, kind, run, now, *OPEN_STATUSES, *params, kind]


class _Claim(NamedTuple):
    kind: str
    case_id: int
    reference: str
    status: str
    tenant_id: int
    assignee_id: int | None
    assignee_email: str
    due: date


def sla_sweep(now=None) -> dict:
    """Remind assignees of deadlines (7, 3, 1 days; overdue; acknowledgement) and escalate overdue cases
    to the tenant's owners. Each (case, kind, deadline) is claimed once across workers, in SQL; each
    recipient gets one email per run listing their newly claimed cases (never one email per case).

    A fixed number of queries whatever the backlog: the tenants, one claim per kind, this run's claims,
    the owners, the recipients, the custom templates, the single-case emails' cases, one insert of the
    emails, and the send task."""
    now = now or timezone.now()
    run = uuid.uuid4().hex
    counts = {"claimed": 0, "emails": 0}
    tenants, groups = _tenant_days(now)
    if not groups:
        return counts
    with transaction.atomic(), connection.cursor() as cursor:
        for kind, date_column in [(name, "due_date") for name, *_ in DUE_BUCKETS] + [
            (OVERDUE, "due_date"), (ACKNOWLEDGEMENT, "acknowledge_by")
        ]:
            cursor.execute(*_claim_sql(kind, date_column, groups, run, now))
        # Only this run's claims: another cluster's sweep may have claimed some of the same cases first.
        rows = ScheduledNotice.objects.filter(run=run).values_list(
            "kind", "case_id", "case__reference", "case__status", "case__tenant_id", "case__assignee_id",
            "case__assignee__email", "case__assignee__is_active", "due_date",
        )
        claimed = [_Claim(kind, case_id, ref, status, tenant_id, assignee_id, email if active else "", due)
                   for kind, case_id, ref, status, tenant_id, assignee_id, email, active, due in rows]
        counts["claimed"] = len(claimed)
        for c in claimed:
            counts[c.kind] = counts.get(c.kind, 0) + 1
        if claimed:
            emails = _sla_emails(claimed, tenants, run, now)
            OutboundEmail.objects.bulk_create(emails, ignore_conflicts=True)
            counts["emails"] = len(emails)
            _send_pending_later(len(emails))
    log.info("SLA sweep: %s", counts)
    return counts


def _owners_by_tenant(tenant_ids):
    owners = defaultdict(list)
    memberships = Membership.objects.filter(
        tenant_id__in=tenant_ids, role=Membership.Role.OWNER, user__is_active=True
    ).exclude(user__email="").values_list("tenant_id", "user_id", "user__email")
    for tenant_id, user_id, email in memberships:
        owners[tenant_id].append((user_id, email))
    return owners


def _urgency(item):
    order = {OVERDUE: 0, ACKNOWLEDGEMENT: 1}
    return order.get(item["kind"], 2), item["due_date"], item["reference"]


def _sla_emails(claimed, tenants, run, now):
    """One reminder per recipient (the assignee; the tenant's owners when nobody is assigned) and one
    escalation per owner (overdue cases), each listing that recipient's cases claimed by this run."""
    owners = _owners_by_tenant({c.tenant_id for c in claimed})
    todays = {pk: timezone.localtime(now, _zone(t.time_zone)).date() for pk, t in tenants.items()}
    statuses = dict(Status.choices)
    inbox = defaultdict(dict)  # (template, user_id) -> {case_id: claim}; a case once per recipient
    addresses = {}
    for c in claimed:
        # Nobody assigned: the owners hear of every reminder, so that someone picks the case up.
        reminded = [(c.assignee_id, c.assignee_email)] if c.assignee_id else owners.get(c.tenant_id, [])
        for user_id, address in reminded:
            if address:
                inbox["sla_reminder", user_id][c.case_id, c.kind] = c
                addresses[user_id] = address
        if c.kind == OVERDUE:
            for user_id, address in owners.get(c.tenant_id, []):
                if user_id != c.assignee_id:
                    inbox["escalation", user_id][c.case_id, c.kind] = c
                    addresses[user_id] = address
    if not inbox:
        return []
    users = get_user_model().objects.in_bulk(list(addresses))
    renderer = _StaffRenderer(("sla_reminder", "escalation"), tenants)
    # An email about one case reads as before (and a tenant's own one-case template still works).
    single = {next(iter(items.values())).case_id for items in inbox.values() if len(items) == 1}
    # Always one query (id 0 never exists), so that the count of queries does not depend on the data.
    cases = Case.objects.select_related("tenant", "assignee").in_bulk([*single, 0])
    emails = []
    with translation.override("en"):
        for (template, user_id), claims in sorted(inbox.items()):
            items = []
            for c in claims.values():
                days_left = (c.due - todays[c.tenant_id]).days
                items.append({
                    "kind": c.kind, "reference": c.reference, "tenant": tenants[c.tenant_id], "due_date": c.due,
                    "days_left": days_left, "days_overdue": -days_left, "status": statuses.get(c.status, c.status),
                    "assigned": bool(c.assignee_id), "url": renderer.case_url.format(c.case_id),
                })
            items.sort(key=_urgency)
            tenant_ids = {c.tenant_id for c in claims.values()}
            tenant = tenants[next(iter(tenant_ids))] if len(tenant_ids) == 1 else None
            context = {
                "user": users.get(user_id), "tenant": tenant, "count": len(items),
                "cases": items[:SWEEP_LIST_LIMIT], "more": max(0, len(items) - SWEEP_LIST_LIMIT),
                "overdue_count": sum(i["kind"] == OVERDUE for i in items),
                "ack_count": sum(i["kind"] == ACKNOWLEDGEMENT for i in items),
                "due_soon_count": sum(i["kind"] not in (OVERDUE, ACKNOWLEDGEMENT) for i in items),
                "admin_index": settings.SITE_URL + "/admin/dsar/case/",
            }
            case_id = next(iter(claims.values())).case_id
            if len(items) == 1 and case_id in cases:
                case = cases[case_id]
                context.update(case=case, tenant=case.tenant, admin_url=renderer.case_url.format(case_id),
                               **{k: items[0][k] for k in ("kind", "due_date", "days_left", "days_overdue")})
            # A tenant's own template is written for one case ({{ case.reference }}): lists use ours.
            subject, body = renderer.render(template, tenant if "case" in context else None, context)
            emails.append(OutboundEmail(
                idempotency_key=f"sla:{run}:{template}:{user_id}", tenant=tenant,
                case_id=case_id if len(items) == 1 else None, kind=template, to=addresses[user_id],
                subject=subject[:300], body=body, created_at=now,
            ))
    return emails


def render_sla_email(email):
    """Subject and body of a one-case reminder stored unrendered by earlier versions of the sweep (see
    its key); the sweep now stores its emails rendered."""
    _sla, case_id, kind, due, template, user_id = email.idempotency_key.split(":")
    case = Case.objects.select_related("tenant", "assignee").get(pk=case_id)
    user = get_user_model().objects.get(pk=user_id)
    due_date = date.fromisoformat(due)
    today = timezone.localtime(timezone.now(), _zone(case.tenant.time_zone)).date()
    days_left = (due_date - today).days
    renderer = _StaffRenderer((template,), (case.tenant_id,))
    context = {"tenant": case.tenant, "case": case, "user": user, "admin_url": renderer.case_url.format(case.pk),
               "kind": kind, "due_date": due_date, "days_left": days_left, "days_overdue": -days_left}
    with translation.override("en"):
        return renderer.render(template, case.tenant, context)


# --- Daily digest -------------------------------------------------------------------------------


def daily_digest(now=None) -> dict:
    """One email per staff member (owner, officer, analyst) with open work: theirs, due soon, overdue."""
    now = now or timezone.now()
    utc_today = now.astimezone(zoneinfo.ZoneInfo("UTC")).date()
    memberships = list(
        Membership.objects.filter(
            user__is_active=True, user__is_staff=True,
            role__in=(Membership.Role.OWNER, Membership.Role.OFFICER, Membership.Role.ANALYST),
        ).exclude(user__email="").select_related("user", "tenant")
    )
    if not memberships:
        return {"digests": 0}
    users = {m.user_id: m.user for m in memberships}
    managed = defaultdict(set)  # tenants where the user sees unassigned work (owners, officers)
    member_of = defaultdict(set)
    for m in memberships:
        member_of[m.user_id].add(m.tenant_id)
        if m.role in (Membership.Role.OWNER, Membership.Role.OFFICER):
            managed[m.user_id].add(m.tenant_id)
    tenant_ids = {m.tenant_id for m in memberships}

    open_cases = Case.objects.filter(status__in=OPEN_STATUSES, tenant_id__in=tenant_ids)
    assigned_counts = dict(
        open_cases.filter(assignee_id__in=users).values("assignee_id").annotate(n=Count("id")).values_list("assignee_id", "n")
    )
    unassigned_counts = dict(
        open_cases.filter(assignee__isnull=True).values("tenant_id").annotate(n=Count("id")).values_list("tenant_id", "n")
    )
    horizon = utc_today + timedelta(days=DIGEST_SOON_DAYS) + ZONE_SLACK
    urgent = open_cases.filter(due_date__lte=horizon).filter(
        Q(assignee_id__in=users) | Q(assignee__isnull=True)
    ).select_related("tenant").order_by("due_date", "id")
    by_assignee, unassigned_by_tenant = defaultdict(list), defaultdict(list)
    for case in urgent.iterator(chunk_size=5000):
        if case.assignee_id:
            by_assignee[case.assignee_id].append(case)
        else:
            unassigned_by_tenant[case.tenant_id].append(case)

    renderer = _StaffRenderer(("digest",), ())
    emails = []
    with translation.override("en"):
        for user_id, user in users.items():
            cases = list(by_assignee.get(user_id, []))
            for tenant_id in managed[user_id]:
                cases.extend(unassigned_by_tenant.get(tenant_id, []))
            overdue, due_soon = [], []
            for case in cases:
                today = timezone.localtime(now, _zone(case.tenant.time_zone)).date()
                days_left = (case.due_date - today).days
                item = {"case": case, "url": renderer.case_url.format(case.pk)}
                if days_left < 0:
                    overdue.append(item)
                elif days_left <= DIGEST_SOON_DAYS:
                    due_soon.append(item)
            open_count = assigned_counts.get(user_id, 0)
            unassigned_count = sum(unassigned_counts.get(t, 0) for t in managed[user_id])
            if not (open_count or overdue or due_soon or unassigned_count):
                continue  # nothing to say: no email
            truncated = len(overdue) > DIGEST_LIST_LIMIT or len(due_soon) > DIGEST_LIST_LIMIT
            context = {
                "user": user, "today": utc_today, "open_count": open_count, "unassigned_count": unassigned_count,
                "overdue": overdue[:DIGEST_LIST_LIMIT], "due_soon": due_soon[:DIGEST_LIST_LIMIT],
                "soon_days": DIGEST_SOON_DAYS, "truncated": truncated, "limit": DIGEST_LIST_LIMIT,
                "admin_index": settings.SITE_URL + "/admin/",
            }
            subject, body = renderer.render("digest", None, context)
            emails.append(OutboundEmail(
                idempotency_key=f"digest:{user_id}:{utc_today.isoformat()}", kind="digest", to=user.email,
                subject=subject, body=body, created_at=now,
                tenant_id=next(iter(member_of[user_id])) if len(member_of[user_id]) == 1 else None,
            ))
    with transaction.atomic():
        # The unique idempotency key (user, day) claims the digest: a second run the same day adds nothing.
        OutboundEmail.objects.bulk_create(emails, ignore_conflicts=True, batch_size=BULK_BATCH)
        _send_pending_later(len(emails))
    return {"digests": len(emails)}


# --- Unconfirmed requests -----------------------------------------------------------------------


def confirmation_reminders_and_expiry(now=None) -> dict:
    """Remind requesters who have not confirmed after CONFIRMATION_REMINDER_HOURS (once, with a fresh
    link), and close requests whose confirmation links have all expired."""
    now = now or timezone.now()
    counts = {"reminded": 0, "closed": 0}
    confirm = AccessToken.Purpose.CONFIRM
    already_reminded = AccessToken.objects.filter(case=OuterRef("case"), purpose=confirm, reminded_at__isnull=False)
    due_reminders = (
        AccessToken.objects.filter(
            purpose=confirm, used_at__isnull=True, reminded_at__isnull=True, expires_at__gt=now,
            created_at__lte=now - timedelta(hours=settings.CONFIRMATION_REMINDER_HOURS),
            case__status=Status.UNCONFIRMED,
        )
        .filter(~Exists(already_reminded))
        .select_related("case")
        .order_by("case_id", "created_at")
    )
    seen = set()
    for token in due_reminders:
        if token.case_id in seen:
            continue
        seen.add(token.case_id)
        try:
            actions.send_confirmation_reminder(token.case, token)
            counts["reminded"] += 1
        except actions.ActionRefused:
            pass  # another worker reminded, or the requester confirmed meanwhile

    live_link = AccessToken.objects.filter(case=OuterRef("pk"), purpose=confirm, used_at__isnull=True, expires_at__gt=now)
    expired = Case.objects.filter(
        status=Status.UNCONFIRMED, submitted_at__lte=now - timedelta(hours=settings.CONFIRMATION_LINK_HOURS)
    ).filter(~Exists(live_link))
    for case in expired:
        try:
            actions.close_unconfirmed(case)
            counts["closed"] += 1
        except actions.ActionRefused:
            pass  # confirmed or closed by someone else meanwhile
    return counts


# --- Retention ----------------------------------------------------------------------------------


def delete_identity_documents(now=None) -> dict:
    now = now or timezone.now()
    case_ids = (
        Attachment.objects.filter(kind=Attachment.Kind.IDENTITY, deleted_at__isnull=True, delete_after__lte=now)
        .values_list("case_id", flat=True).distinct()
    )
    deleted = 0
    for case in Case.objects.filter(pk__in=list(case_ids)).select_related("tenant"):
        deleted += actions.delete_identity_documents(case, now=now)
    return {"documents": deleted}


def expire_download_access(now=None) -> dict:
    now = now or timezone.now()
    handled = ScheduledNotice.objects.filter(
        case=OuterRef("pk"), kind="download_expired", created_at__gte=OuterRef("download_expires_at")
    )
    expired = Case.objects.filter(download_expires_at__lte=now, purged_at__isnull=True).filter(~Exists(handled))
    count = 0
    for case in expired:
        try:
            actions.expire_download_access(case, now=now)
            count += 1
        except actions.ActionRefused:
            pass  # recorded by another worker, or access was reissued meanwhile
    return {"expired": count}


def retention_cutoff(tenant, now) -> datetime:
    """Closed before this moment, a case is past the tenant's retention period for request records."""
    local = timezone.localtime(now, _zone(tenant.time_zone))
    months = tenant.request_retention_months
    cutoff_day, _clamped = sla.add_months(local.date(), -months) if months else (local.date(), False)
    return local.replace(year=cutoff_day.year, month=cutoff_day.month, day=cutoff_day.day)


def purge_closed_cases(now=None) -> dict:
    """Anonymise closed cases after the tenant's retention period; legal hold keeps a case whole."""
    now = now or timezone.now()
    counts = {"purged": 0, "held": 0}
    for tenant in Tenant.objects.all():
        due = Case.objects.filter(
            tenant=tenant, status__in=CLOSED_STATUSES,
            purged_at__isnull=True, closed_at__lt=retention_cutoff(tenant, now),
        )
        counts["held"] += due.filter(legal_hold=True).count()
        for case in due.filter(legal_hold=False):
            try:
                actions.purge_case(case, now=now)
                counts["purged"] += 1
            except actions.ActionRefused:
                pass  # put on legal hold or reopened meanwhile
    return counts


def metrics_snapshot() -> dict:
    """Counts of requests per tenant, year received, type and status: what purge must not change."""
    rows = (
        Case.objects.values_list("tenant__slug", "submitted_at__year", "request_type", "status")
        .annotate(n=Count("id")).order_by()
    )
    return {(slug, year, kind, status): n for slug, year, kind, status, n in rows}


# --- Email delivery safety net ------------------------------------------------------------------


def retry_emails(now=None) -> dict:
    """Send failed emails whose back-off has passed, and pending ones whose task was lost."""
    from . import tasks

    now = now or timezone.now()
    due = OutboundEmail.objects.filter(
        Q(state=OutboundEmail.State.FAILED, next_attempt_at__lte=now)
        | Q(state=OutboundEmail.State.PENDING, created_at__lte=now - STALE_PENDING_EMAIL)
    ).order_by("created_at").values_list("pk", flat=True)
    results = defaultdict(int)
    for email_id in list(due[:500]):
        results[tasks.deliver(email_id)] += 1
    return dict(results)
