"""Dashboard figures and the California annual metrics report, against fixtures computed by hand."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from dsar import clock, metrics
from dsar.models import Case
from tests.conftest import make_case, make_tenant, make_user

LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture(autouse=True)
def _no_letter_rendering(monkeypatch):
    monkeypatch.setattr("dsar.tasks.render_response", lambda response_id: "skipped in this test")


def la(text):
    return datetime.fromisoformat(text).replace(tzinfo=LA)


def case_on_record(tenant, request_type, received, status="received", closed=None, rule_code="ccpa", **extra):
    """A case made by the real intake, then placed on the dates of the hand-computed fixture."""
    case = make_case(tenant, "received", request_type=request_type, rule_code=rule_code)
    Case.objects.filter(pk=case.pk).update(received_at=received, status=status, closed_at=closed, **extra)
    return case


@pytest.fixture
def calco(db):
    tenant = make_tenant("calco", rule_codes=("ccpa", "gdpr"))
    tenant.time_zone = "America/Los_Angeles"
    tenant.save()
    return tenant


@pytest.fixture
def year_2025(calco, globex):
    # know (access): days 26, 30, 6, 20 -> median 23, mean 20.5; one still open; one received in 2024 (LA time).
    case_on_record(calco, "access", la("2025-01-10T10:00"), "completed", la("2025-02-05T09:00"))
    case_on_record(calco, "access", la("2025-03-01T08:00"), "partially_completed", la("2025-03-31T17:00"))
    case_on_record(calco, "access", la("2025-06-15T12:00"), "denied", la("2025-06-21T12:00"))
    case_on_record(calco, "access", la("2025-12-31T23:30"), "completed", la("2026-01-20T10:00"))  # 07:30 UTC on 1 Jan
    case_on_record(calco, "access", la("2025-05-01T09:00"), "in_progress")
    case_on_record(calco, "access", la("2024-12-31T20:00"), "completed", la("2025-01-05T10:00"))  # 2025 in UTC only
    # delete (erasure): days 15 and 30 (Feb 2025 has 28 days) -> median 22.5, mean 22.5; one withdrawn.
    case_on_record(calco, "erasure", la("2025-02-01T09:00"), "completed", la("2025-02-16T09:00"))
    case_on_record(calco, "erasure", la("2025-02-10T09:00"), "denied", la("2025-03-12T09:00"))
    case_on_record(calco, "erasure", la("2025-04-01T09:00"), "withdrawn", la("2025-04-03T09:00"))
    # opt-out: days 7, 10, 1 -> median 7, mean 6.0.
    case_on_record(calco, "opt_out", la("2025-07-01T09:00"), "completed", la("2025-07-08T09:00"))
    case_on_record(calco, "opt_out", la("2025-07-02T09:00"), "completed", la("2025-07-12T09:00"))
    case_on_record(calco, "opt_out", la("2025-07-03T09:00"), "completed", la("2025-07-04T09:00"))
    # limit: forwarded to the controller -> received, neither complied with nor denied.
    case_on_record(calco, "limit_use", la("2025-08-01T09:00"), "forwarded", la("2025-08-02T09:00"))
    # Not counted: another law, never confirmed, another tenant.
    case_on_record(calco, "access", la("2025-03-01T08:00"), "completed", la("2025-03-05T08:00"), rule_code="gdpr")
    make_case(calco, "unconfirmed", request_type="access", rule_code="ccpa")
    globex.rule_sets.add(*calco.rule_sets.all())
    case_on_record(globex, "access", la("2025-03-01T08:00"), "completed", la("2025-03-05T08:00"))


EXPECTED_2025 = [
    # key, received, complied, denied, median, mean
    ("know", 5, 3, 1, 23, 20.5),
    ("delete", 3, 1, 1, 22.5, 22.5),
    ("correct", 0, 0, 0, None, None),
    ("opt-out", 3, 3, 0, 7, 6.0),
    ("limit", 1, 0, 0, None, None),
]


def test_it_computes_the_california_report_as_counted_by_hand(calco, year_2025):
    rows = metrics.california_report(calco, 2025)
    assert [(r.key, r.received, r.complied, r.denied, r.median_days, r.mean_days) for r in rows] == EXPECTED_2025


def test_it_counts_the_year_in_the_tenant_time_zone(calco, year_2025):
    rows = {r.key: r for r in metrics.california_report(calco, 2024)}
    assert rows["know"].received == 1 and rows["know"].median_days == 5


@pytest.fixture
def calco_owner(calco):
    return make_user("carmen", calco, "owner")


def test_it_downloads_the_report_as_csv_and_pdf(client, calco, calco_owner, year_2025):
    client.force_login(calco_owner)
    url = reverse("admin:dsar_case_california_metrics")
    page = client.get(url, {"tenant": calco.pk, "year": 2025})
    assert [r.received for r in page.context["rows"]] == [5, 3, 0, 3, 1]
    response = client.get(url, {"tenant": calco.pk, "year": 2025, "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["request_type", "label", "received", "complied_in_whole_or_part", "denied", "median_days",
                       "mean_days"]
    assert [(r[0], int(r[2]), int(r[3]), int(r[4]), r[5], r[6]) for r in rows[1:]] == [
        ("know", 5, 3, 1, "23.0", "20.5"), ("delete", 3, 1, 1, "22.5", "22.5"), ("correct", 0, 0, 0, "", ""),
        ("opt-out", 3, 3, 0, "7.0", "6.0"), ("limit", 1, 0, 0, "", ""),
    ]
    pdf = client.get(url, {"tenant": calco.pk, "year": 2025, "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Calco Ltd" in text and "2025" in text and "Requests to know" in text and "20.5" in text


def test_it_refuses_a_report_for_a_year_that_is_not_one(client, calco, calco_owner):
    client.force_login(calco_owner)
    page = client.get(reverse("admin:dsar_case_california_metrics"), {"tenant": calco.pk, "year": "1999x"})
    assert page.status_code == 200 and page.context["form"].errors["year"] and page.context["rows"] is None


def test_it_computes_the_dashboard_as_counted_by_hand(acme, alice):
    noon = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)
    today = clock.local_date(noon, acme)

    def closed(received_days, closed_days, due_shift, status="completed"):
        closed_at = noon - timedelta(days=closed_days)
        case_on_record(acme, "access", noon - timedelta(days=received_days), status, closed_at, rule_code="gdpr",
                       due_date=clock.local_date(closed_at, acme) + timedelta(days=due_shift))

    closed(40, 10, +1)  # 30 days, on time
    closed(50, 5, -3)  # 45 days, late
    closed(20, 2, 0, status="denied")  # 18 days, on time (answered on the due date)
    closed(30, 3, -10, status="withdrawn")  # not an answer: left out
    make_case(acme, "received", email="a@example.com")
    make_case(acme, "received", email="b@example.com")
    late = make_case(acme, "in_progress", email="c@example.com")
    Case.objects.filter(pk=late.pk).update(due_date=today - timedelta(days=1))
    make_case(acme, "awaiting_requester", email="d@example.com")
    Case.objects.filter(requester_email="d@example.com").update(paused_since=noon)

    (board,) = metrics.dashboard(alice)
    assert board.tenant == acme
    assert dict((status, n) for status, _label, n in board.open_by_status) == {
        "received": 2, "in_progress": 1, "awaiting_requester": 1}
    assert board.open_total == 4 and board.overdue == 1 and board.paused == 1
    assert board.median_days_to_close == 30
    assert sum(n for _m, n, _o in board.on_time) == 3 and sum(o for _m, _n, o in board.on_time) == 2
    assert board.on_time_rate == 67
    assert len(board.on_time) == 12 and board.on_time[-1][0] == today.replace(day=1)
    assert board.chart.startswith("<svg") and "<rect" in board.chart and "<script" not in board.chart


def test_it_shows_each_user_only_their_tenants_on_the_dashboard(client, acme, globex, alice, charlie, superuser):
    make_case(acme, "received")
    client.force_login(charlie)
    page = client.get(reverse("admin:index")).content.decode()
    assert "Globex" in page and "Acme" not in page
    assert [b.tenant.slug for b in metrics.dashboard(superuser)] == ["acme", "globex"]
    client.force_login(alice)
    page = client.get(reverse("admin:index")).content.decode()
    assert "<svg" in page and "Acme" in page and "Globex" not in page
