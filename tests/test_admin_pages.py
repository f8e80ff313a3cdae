"""The case list and the case page: query counts, SLA badges, filters, search, duplicates, exports, files."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from dsar import actions, clock, metrics
from dsar.admin import CappedCountPaginator
from dsar.models import Case, EmailTemplate
from tests.conftest import make_case

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LIST = "admin:dsar_case_changelist"


@pytest.fixture(autouse=True)
def _no_letter_rendering(monkeypatch):
    monkeypatch.setattr("dsar.tasks.render_response", lambda response_id: "skipped in this test")


def list_queries(client, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(LIST), params)
    assert response.status_code == 200
    return len(queries), response


def test_it_lists_cases_with_a_query_count_independent_of_rows(client, acme, alice, bob):
    for index in range(5):
        make_case(acme, "received", email=f"few{index}@example.com")
    client.force_login(alice)
    client.get(reverse(LIST))  # the first request after login also saves the session
    few, response = list_queries(client)
    assert len(response.context["cl"].result_list) == 5
    for index in range(45):
        case = make_case(acme, "in_progress" if index % 3 else "received", email=f"many{index}@example.com")
        if index % 2:
            actions.assign(case, alice, bob if index % 4 == 1 else alice)
    many, response = list_queries(client)
    assert len(response.context["cl"].result_list) == 50
    assert many == few
    filtered, _response = list_queries(client, sla="overdue", assignee="mine", q="many")
    assert filtered <= few


def test_it_shows_the_case_page_with_a_query_count_independent_of_history(client, acme, alice):
    case = make_case(acme, "in_progress")
    actions.create_tasks_from_inventory(case, alice)
    actions.record_decision(case, alice, data_category=acme.data_categories.first(), outcome="disclosed")
    upload = SimpleUploadedFile("id.pdf", PDF_BYTES)
    actions.send_message(case, alice, body="First", files=[("identity", upload, "application/pdf")])
    client.force_login(alice)
    url = reverse("admin:dsar_case_change", args=[case.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for index in range(15):
        actions.send_message(case, alice, body=f"Message {index}", internal=index % 2 == 0,
                             files=[("document", SimpleUploadedFile(f"d{index}.pdf", PDF_BYTES), "application/pdf")])
        actions.request_information(case, alice, reason="clarification", body=f"Question {index}")
        actions.resume(case, alice)
    for task in case.tasks.all():
        actions.update_task(task, alice, state="done", notes="Checked")
    actions.record_decision(case, alice, data_category=acme.data_categories.last(), outcome="erased")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert case.events.count() > 60
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    body = response.content.decode()
    assert "Message 14" in body and "Question 14" in body


def test_it_merges_events_and_messages_into_one_timeline_in_time_order(client, acme, alice):
    case = make_case(acme, "in_progress")
    actions.send_message(case, alice, body="We are on it.")
    actions.create_tasks_from_inventory(case, alice)
    client.force_login(alice)
    items = client.get(reverse("admin:dsar_case_change", args=[case.pk])).context["timeline"]
    assert [item["at"] for item in items] == sorted(item["at"] for item in items)
    kinds = [item["kind"] for item in items]
    assert "message" in kinds and "task" in kinds and "event" in kinds


def test_it_shows_the_sla_ledger_with_every_computation(client, acme, alice):
    case = make_case(acme, "in_progress")
    actions.extend(case, alice, reason="Many systems")
    client.force_login(alice)
    response = client.get(reverse("admin:dsar_case_change", args=[case.pk]))
    ledger = response.context["ledger"]
    assert [record.trigger for record in ledger][:2] == ["extended", "identity_verified"]
    body = response.content.decode()
    assert 'id="sla-ledger"' in body and ledger[0].steps[0] in body
    assert body.index('id="sla-ledger"') < body.index('id="details"')


@pytest.mark.parametrize("status, due_offset, paused, expected", [
    ("received", 30, False, "on_track"),
    ("received", 7, False, "due_soon"),
    ("received", 0, False, "due_soon"),
    ("in_progress", -1, False, "overdue"),
    ("awaiting_requester", -5, True, "paused"),
    ("completed", -5, False, "closed"),
    ("unconfirmed", None, False, "not_started"),
])
def test_it_computes_the_sla_badge_from_loaded_fields(status, due_offset, paused, expected):
    today = date(2026, 5, 10)
    case = Case(status=status, due_date=today + timedelta(days=due_offset) if due_offset is not None else None,
                paused_since=timezone.now() if paused else None)
    assert metrics.sla_state(case, today) == expected


@pytest.fixture
def deadline_cases(acme, alice):
    today = timezone.now().date()
    cases = {name: make_case(acme, "in_progress", email=f"{name}@example.com")
             for name in ("overdue", "soon", "later", "paused", "mine")}
    Case.objects.filter(pk=cases["overdue"].pk).update(due_date=today - timedelta(days=2))
    Case.objects.filter(pk=cases["soon"].pk).update(due_date=today + timedelta(days=3))
    Case.objects.filter(pk=cases["later"].pk).update(due_date=today + timedelta(days=40))
    Case.objects.filter(pk=cases["paused"].pk).update(due_date=today - timedelta(days=2), paused_since=timezone.now(),
                                                        status="awaiting_requester")
    Case.objects.filter(pk=cases["mine"].pk).update(due_date=today + timedelta(days=40), assignee=alice)
    return cases


@pytest.mark.parametrize("params, expected", [
    ({"sla": "overdue"}, {"overdue"}),
    ({"sla": "due_soon"}, {"soon"}),
    ({"sla": "paused"}, {"paused"}),
    ({"assignee": "mine"}, {"mine"}),
    ({"assignee": "none"}, {"overdue", "soon", "later", "paused"}),
    ({"status__exact": "awaiting_requester"}, {"paused"}),
])
def test_it_filters_the_case_list(client, alice, deadline_cases, params, expected):
    client.force_login(alice)
    _count, response = list_queries(client, **params)
    found = {case.requester_email.split("@")[0] for case in response.context["cl"].result_list}
    assert found == expected


def test_it_filters_due_this_week(client, alice, deadline_cases):
    client.force_login(alice)
    today = timezone.now().date()
    _count, response = list_queries(client, sla="due_this_week")
    found = {case.requester_email.split("@")[0] for case in response.context["cl"].result_list}
    assert found == ({"soon"} if today + timedelta(days=3) <= metrics.end_of_week(today) else set())


def test_it_shows_badges_in_the_list(client, alice, deadline_cases):
    client.force_login(alice)
    body = client.get(reverse(LIST)).content.decode()
    for css in ("sla-overdue", "sla-due_soon", "sla-on_track", "sla-paused"):
        assert css in body


def test_it_searches_by_reference_number_email_and_name_with_prefix_lookups(client, acme, alice):
    nora = make_case(acme, "received", email="Nora.Haddad@example.com")
    Case.objects.filter(pk=nora.pk).update(requester_name="Nora Haddad")
    make_case(acme, "received", email="someone@example.com")
    client.force_login(alice)
    number = int(nora.reference.rsplit("-", 1)[1])
    for term in (nora.reference, nora.reference.lower(), str(number), "nora.haddad@", "NORA.HADDAD@EXAMPLE.COM", "nora h"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(LIST), {"q": term})
        assert [case.pk for case in response.context["cl"].result_list] == [nora.pk], term
        sql = " ".join(q["sql"] for q in queries.captured_queries).lower()
        assert f"%{term.lower()}%" not in sql, "search must not scan with a leading wildcard"
    assert not client.get(reverse(LIST), {"q": "haddad"}).context["cl"].result_list  # no mid-word scan


def test_it_caps_the_count_instead_of_counting_the_whole_table(acme):
    for index in range(5):
        make_case(acme, "received", email=f"p{index}@example.com")
    paginator = CappedCountPaginator(Case.objects.all(), 2)
    paginator.CAP = 3
    assert paginator.count == 3 and paginator.capped


def test_it_flags_an_open_duplicate_on_the_page_and_in_the_list(client, acme, alice):
    first = make_case(acme, "received", email="twice@example.com")
    second = make_case(acme, "received", email="TWICE@example.com")
    client.force_login(alice)
    page = client.get(reverse("admin:dsar_case_change", args=[second.pk])).content.decode()
    assert 'id="duplicate-banner"' in page and reverse("admin:dsar_case_change", args=[first.pk]) in page
    assert "badge-duplicate" in client.get(reverse(LIST)).content.decode()
    actions.withdraw(first, alice)
    page = client.get(reverse("admin:dsar_case_change", args=[second.pk])).content.decode()
    assert 'id="duplicate-banner"' not in page


def read_csv(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_it_exports_the_filtered_list_as_csv(client, acme, globex, alice):
    received = make_case(acme, "received", email="r@example.com")
    make_case(acme, "in_progress", email="p@example.com")
    make_case(globex, "received", email="g@example.com")
    client.force_login(alice)
    response = client.get(reverse("admin:dsar_case_export"), {"status__exact": "received"})
    assert response["Content-Disposition"].startswith("attachment;")
    rows = read_csv(response)
    assert rows[0][:2] == ["reference", "organisation"]
    assert [row[0] for row in rows[1:]] == [received.reference]
    everything = read_csv(client.get(reverse("admin:dsar_case_export")))
    assert len(everything) == 3 and all(row[1] == "acme" for row in everything[1:])


def test_it_neutralises_formulas_in_the_csv(client, acme, alice):
    case = make_case(acme, "received", email="evil@example.com")
    Case.objects.filter(pk=case.pk).update(requester_name='=HYPERLINK("http://evil.example","click")')
    client.force_login(alice)
    rows = read_csv(client.get(reverse("admin:dsar_case_export")))
    name = rows[1][rows[0].index("requester_name")]
    assert name.startswith("'=") and not name.startswith("=")


def test_it_downloads_identity_evidence_decrypted_as_an_attachment(client, acme, alice, settings):
    case = make_case(acme, "received")
    upload = SimpleUploadedFile('pass"port.pdf', PDF_BYTES)
    attachment = actions.store_attachment(case, "requester", kind="identity", upload=upload,
                                          content_type="application/pdf")
    with attachment.file.open("rb") as handle:
        assert handle.read() != PDF_BYTES  # encrypted at rest
    client.force_login(alice)
    response = client.get(reverse("admin:dsar_attachment_download", args=[attachment.pk]))
    assert response.content == PDF_BYTES
    assert response["Content-Disposition"] == 'attachment; filename="passport.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    viewed = case.events.get(event_type="attachment_viewed")
    assert (viewed.actor, viewed.new_value["sha256"]) == (alice, attachment.sha256)
    case.attachments.update(deleted_at=timezone.now())
    assert client.get(reverse("admin:dsar_attachment_download", args=[attachment.pk])).status_code == 404


def test_it_prints_the_audit_log_as_pdf(client, acme, alice):
    case = make_case(acme, "in_progress")
    actions.extend(case, alice, reason="Complex request")
    client.force_login(alice)
    response = client.get(reverse("admin:dsar_case_audit_pdf", args=[case.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert case.reference in text and "identity_verified" in text and "extended" in text and "Complex request" in text


def test_it_previews_an_email_template_against_a_case(client, acme, olivia):
    case = make_case(acme, "received")
    template = EmailTemplate.objects.create(tenant=acme, kind="message:ask_id", language="en", name="Ask for ID",
                                            subject="About {{ case.reference }}", body="Dear {{ case.requester_name }},")
    broken = EmailTemplate.objects.create(tenant=acme, kind="message:broken", language="en", name="Broken",
                                          subject="x", body="{% if %}")
    client.force_login(olivia)
    page = client.get(reverse("admin:dsar_emailtemplate_preview", args=[template.pk])).content.decode()
    assert f"About {case.reference}" in page and "Dear Sam Subject," in page
    response = client.get(reverse("admin:dsar_emailtemplate_preview", args=[broken.pk]))
    assert response.status_code == 200 and response.context["error"]


def test_it_composes_a_message_from_a_template_in_the_case_language(client, acme, alice):
    case = make_case(acme, "in_progress")
    EmailTemplate.objects.create(tenant=acme, kind="message:ask_id", language="en", name="Ask for ID",
                                 subject="Your request {{ case.reference }}", body="Please send a photo ID.")
    EmailTemplate.objects.create(tenant=acme, kind="message:ask_id", language="ar", name="Arabic", subject="x", body="y")
    client.force_login(alice)
    url = reverse("admin:dsar_case_action", args=[case.pk, "send_message"])
    page = client.get(url)
    assert [t.name for t in page.context["message_templates"]] == ["Ask for ID"]
    template = page.context["message_templates"][0]
    form = client.get(url, {"template": template.pk}).context["form"]
    assert form.initial == {"subject": f"Your request {case.reference}", "body": "Please send a photo ID."}
    bad = client.post(url, {"subject": "s", "body": "See attached",
                            "attachment": SimpleUploadedFile("x.exe", b"MZ\x90\x00 not a document")})
    assert bad.context["form"].errors["attachment"]
    assert not case.messages.exists()


def test_it_uses_the_tenant_time_zone_for_badges(acme):
    case = make_case(acme, "received")
    assert metrics.sla_state(case, clock.today_for(acme)) in ("on_track", "due_soon")


def test_it_shows_a_cases_times_in_its_organisations_time_zone(client, acme, alice):
    from datetime import UTC, datetime

    from django.utils import timezone as tz

    acme.time_zone = "Asia/Qatar"
    acme.save()
    case = make_case(acme, "received")
    moment = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)  # 1 March 22:30 UTC is 2 March 01:30 in Doha
    Case.objects.filter(pk=case.pk).update(received_at=moment, submitted_at=moment)
    client.force_login(alice)
    page = client.get(reverse("admin:dsar_case_change", args=[case.pk])).content.decode()
    assert "2 March 2026" in page or "2 Mar 2026" in page or "March 2, 2026" in page
    assert tz.get_current_timezone_name() == "UTC"  # nothing leaks past the request
