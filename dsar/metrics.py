"""Figures for the admin dashboard and the California annual metrics report.

Days are counted between local calendar dates in the tenant's time zone, the way the clock counts them.
"""

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from tenants import scoping
from tenants.models import RequestType, Tenant

from . import clock
from .models import OPEN_STATUSES, Case, Status

DUE_SOON_DAYS = 7
# A substantive response: the request was answered (in whole or in part) or denied.
ANSWERED_STATUSES = (Status.COMPLETED, Status.PARTIALLY_COMPLETED, Status.DENIED)
COMPLIED_STATUSES = (Status.COMPLETED, Status.PARTIALLY_COMPLETED)


# --- SLA badge ------------------------------------------------------------------------------------

SLA_LABELS = {
    "paused": _("Paused"),
    "overdue": _("Overdue"),
    "due_soon": _("Due within 7 days"),
    "on_track": _("On track"),
    "not_started": _("Clock not started"),
    "closed": _("Closed"),
}


def sla_state(case, today: date) -> str:
    """The case's SLA badge from fields already loaded (no query)."""
    if case.status not in OPEN_STATUSES:
        return "closed" if case.status != Status.UNCONFIRMED else "not_started"
    if case.paused_since is not None:
        return "paused"
    if case.due_date is None:
        return "not_started"
    if case.due_date < today:
        return "overdue"
    if case.due_date <= today + timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return "on_track"


def end_of_week(today: date) -> date:
    """The last day of the current week, counting Monday to Sunday."""
    return today + timedelta(days=6 - today.weekday())


def local_days_between(start: datetime, end: datetime, tenant) -> int:
    return (clock.local_date(end, tenant) - clock.local_date(start, tenant)).days


def _median(values):
    return round(float(statistics.median(values)), 1) if values else None


def _mean(values):
    return round(statistics.fmean(values), 1) if values else None


# --- Dashboard ------------------------------------------------------------------------------------


@dataclass
class TenantDashboard:
    tenant: Tenant
    open_by_status: list = field(default_factory=list)
    open_total: int = 0
    due_this_week: int = 0
    overdue: int = 0
    paused: int = 0
    median_days_to_close: float | None = None
    on_time: list = field(default_factory=list)  # [(month date, answered, on time)]
    chart: str = ""

    @property
    def on_time_rate(self):
        answered = sum(n for _m, n, _o in self.on_time)
        return round(100 * sum(o for _m, _n, o in self.on_time) / answered) if answered else None


def month_starts(today: date, months: int = 12) -> list[date]:
    first = today.replace(day=1)
    starts = []
    for _month in range(months):
        starts.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(starts))


def dashboard(user, now=None) -> list[TenantDashboard]:
    now = now or timezone.now()
    tenants = list(scoping.scope(Tenant.objects.all(), user, ""))
    by_id = {t.pk: TenantDashboard(tenant=t) for t in tenants}
    if not by_id:
        return []
    labels = dict(Status.choices)
    rows = (Case.objects.filter(tenant_id__in=by_id, status__in=OPEN_STATUSES)
            .values("tenant_id", "status").annotate(n=Count("id")).order_by())
    for row in rows:
        board = by_id[row["tenant_id"]]
        board.open_by_status.append((row["status"], labels[row["status"]], row["n"]))
        board.open_total += row["n"]
    order = [s.value for s in OPEN_STATUSES]
    for board in by_id.values():
        board.open_by_status.sort(key=lambda item: order.index(item[0]))
        today = clock.local_date(now, board.tenant)
        counted = Case.objects.filter(tenant=board.tenant, status__in=OPEN_STATUSES).aggregate(
            overdue=Count("id", filter=Q(due_date__lt=today, paused_since__isnull=True)),
            due_this_week=Count("id", filter=Q(due_date__gte=today, due_date__lte=end_of_week(today),
                                               paused_since__isnull=True)),
            paused=Count("id", filter=Q(paused_since__isnull=False)),
        )
        board.overdue, board.due_this_week, board.paused = counted["overdue"], counted["due_this_week"], counted["paused"]
        _closing_figures(board, today)
    return [by_id[t.pk] for t in tenants]


def _closing_figures(board, today):
    tenant = board.tenant
    months = month_starts(today)
    since = timezone.make_aware(datetime.combine(months[0], time.min), clock.tenant_zone(tenant))
    closed = Case.objects.filter(tenant=tenant, status__in=ANSWERED_STATUSES, closed_at__gte=since,
                                 received_at__isnull=False).values_list("received_at", "closed_at", "due_date")
    durations = []
    per_month = {m: [0, 0] for m in months}
    for received_at, closed_at, due_date in closed.iterator():
        closed_on = clock.local_date(closed_at, tenant)
        durations.append((closed_on - clock.local_date(received_at, tenant)).days)
        bucket = per_month.get(closed_on.replace(day=1))
        if bucket is not None:
            bucket[0] += 1
            bucket[1] += 1 if due_date is None or closed_on <= due_date else 0
    board.median_days_to_close = _median(durations)
    board.on_time = [(m, n, on_time) for m, (n, on_time) in per_month.items()]
    board.chart = on_time_chart(board.on_time)


def on_time_chart(points, width=420, height=150) -> str:
    """A bar chart (SVG, server-side) of the monthly on-time rate; empty months show as a dash."""
    left, right, bottom, top = 28, 6, 22, 8
    plot_h = height - bottom - top
    slot = (width - left - right) / max(len(points), 1)
    bars, labels = [], []
    for index, (month, answered, on_time) in enumerate(points):
        x = left + index * slot + slot * 0.15
        labels.append((round(x + slot * 0.35, 1), height - 6, month.strftime("%b")))
        if not answered:
            bars.append(format_html('<text class="chart-empty" x="{}" y="{}">–</text>', round(x + slot * 0.25, 1),
                                    top + plot_h - 2))
            continue
        rate = on_time / answered
        bar_h = max(round(plot_h * rate, 1), 1)
        bars.append(format_html(
            '<rect class="chart-bar{}" x="{}" y="{}" width="{}" height="{}"><title>{}: {}% ({} / {})</title></rect>',
            " chart-bar-low" if rate < 0.9 else "", round(x, 1), round(top + plot_h - bar_h, 1), round(slot * 0.7, 1),
            bar_h, month.strftime("%B %Y"), round(rate * 100), on_time, answered,
        ))
    axis = format_html(
        '<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}"></line>'
        '<text class="chart-tick" x="0" y="{}">100%</text><text class="chart-tick" x="8" y="{}">0%</text>',
        left, top + plot_h, width, top + plot_h, top + 8, top + plot_h,
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}">{}{}{}</svg>',
        width, height, _("On-time rate per month over the last 12 months"), axis, mark_safe("".join(bars)),
        format_html_join("", '<text class="chart-label" x="{}" y="{}">{}</text>', labels),
    )


# --- California annual metrics (CCPA regulations, 11 CCR § 7102) ----------------------------------

CALIFORNIA_TYPES = [
    ("know", RequestType.ACCESS, _("Requests to know")),
    ("delete", RequestType.ERASURE, _("Requests to delete")),
    ("correct", RequestType.RECTIFICATION, _("Requests to correct")),
    ("opt-out", RequestType.OPT_OUT, _("Requests to opt out of sale or sharing")),
    ("limit", RequestType.LIMIT_USE, _("Requests to limit use of sensitive personal information")),
]


@dataclass
class MetricsRow:
    key: str
    label: str
    received: int
    complied: int
    denied: int
    median_days: float | None
    mean_days: float | None


def year_bounds(tenant, year: int):
    zone = clock.tenant_zone(tenant)
    start = timezone.make_aware(datetime(year, 1, 1), zone)
    end = timezone.make_aware(datetime(year + 1, 1, 1), zone)
    return start, end


def california_report(tenant, year: int, rule_code: str = "ccpa") -> list[MetricsRow]:
    """Per request type: received in the year, complied with in whole or in part, denied, and the median
    and mean calendar days from receipt to the substantive response (answer or denial)."""
    start, end = year_bounds(tenant, year)
    cases = (Case.objects.filter(tenant=tenant, rule_set__code=rule_code, received_at__gte=start, received_at__lt=end)
             .values_list("request_type", "status", "received_at", "closed_at"))
    by_type = {}
    for request_type, status, received_at, closed_at in cases.iterator():
        by_type.setdefault(request_type, []).append((status, received_at, closed_at))
    rows = []
    for key, request_type, label in CALIFORNIA_TYPES:
        items = by_type.get(request_type.value, [])
        days = [local_days_between(r, c, tenant) for s, r, c in items if s in ANSWERED_STATUSES and c]
        rows.append(MetricsRow(
            key=key, label=str(label), received=len(items),
            complied=sum(1 for s, _r, _c in items if s in COMPLIED_STATUSES),
            denied=sum(1 for s, _r, _c in items if s == Status.DENIED),
            median_days=_median(days), mean_days=_mean(days),
        ))
    return rows
