"""CSV exports, streamed so that a large case list never sits in memory."""

import csv

from django.http import StreamingHttpResponse

from . import clock, metrics

CASE_COLUMNS = ["reference", "organisation", "request_type", "rule_set", "status", "sla", "channel", "requester_name",
                "requester_email", "received_on", "due_date", "closed_on", "assignee"]


class _Echo:
    def write(self, value):
        return value


def safe_cell(value):
    """Neutralise spreadsheet formulas: requester names and emails are typed by anyone (CSV injection)."""
    if value is None:
        return ""
    text = str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def csv_response(rows, filename):
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse((writer.writerow([safe_cell(v) for v in row]) for row in rows),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def case_rows(queryset):
    yield CASE_COLUMNS
    todays = {}
    for case in queryset.select_related("tenant", "rule_set", "assignee").iterator(chunk_size=2000):
        tenant = case.tenant
        today = todays.setdefault(tenant.pk, clock.today_for(tenant))
        yield [
            case.reference, tenant.slug, case.request_type, case.rule_set.code, case.status,
            metrics.sla_state(case, today), case.channel, case.requester_name, case.requester_email,
            clock.local_date(case.received_at, tenant), case.due_date, clock.local_date(case.closed_at, tenant),
            case.assignee.get_username() if case.assignee else "",
        ]


def cases_csv(queryset, filename="cases.csv"):
    return csv_response(case_rows(queryset), filename)


def california_csv(tenant, year, rows):
    header = ["request_type", "label", "received", "complied_in_whole_or_part", "denied", "median_days", "mean_days"]
    body = [[r.key, r.label, r.received, r.complied, r.denied, r.median_days, r.mean_days] for r in rows]
    return csv_response([header, *body], f"{tenant.slug}-california-metrics-{year}.csv")
