"""The whole journey through the real views and the admin: public form, email link, status page,
officer's work in admin, the letter rendered by the task, delivery with a one-time code, and an audit
event for every transition on the way."""

import re
import subprocess

from django.core import mail
from django.test import Client
from django.urls import reverse

from dsar.models import AuditEvent, Case, Response
from tests.conftest import PASSWORD


def last_link(pattern):
    return re.search(pattern, mail.outbox[-1].body).group(0)


def pdf_text(path):
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_it_takes_a_request_from_the_public_form_to_a_downloaded_answer(acme, alice, charlie):
    subject = Client()
    form_page = subject.get("/acme/request/")
    assert form_page.status_code == 200
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form_page.content.decode()).group(1)
    sent = subject.post("/acme/request/", {
        "idempotency_key": key, "request_type": "erasure", "relationship": "self",
        "requester_name": "Sam Subject", "requester_email": "sam@example.com", "description": "Delete my account",
        "language": "en",
    })
    assert sent.status_code == 302 and sent["Location"].endswith("/acme/request/sent/")
    case = Case.objects.get(tenant=acme)
    assert case.status == "unconfirmed" and case.reference in mail.outbox[-1].subject

    confirm = last_link(r"/acme/confirm/[^\s/]+/")
    opened = subject.get(confirm)
    assert opened.status_code == 302 and opened["Location"].endswith("/acme/status/")
    status_page = subject.get("/acme/status/")
    assert case.reference in status_page.content.decode()
    assert subject.get(confirm).status_code == 400  # one use only
    case.refresh_from_db()
    assert case.status == "received" and case.due_date is not None

    # The officer of Acme sees it; the officer of Globex does not.
    officer, outsider = Client(), Client()
    assert officer.login(username="alice", password=PASSWORD)
    assert outsider.login(username="charlie", password=PASSWORD)
    change_url = reverse("admin:dsar_case_change", args=[case.pk])
    assert change_url in officer.get(reverse("admin:dsar_case_changelist")).content.decode()
    assert change_url not in outsider.get(reverse("admin:dsar_case_changelist"), {"q": case.reference}).content.decode()
    assert outsider.get(reverse("admin:dsar_case_change", args=[case.pk])).status_code == 404

    def act(action, **data):
        response = officer.post(reverse("admin:dsar_case_action", args=[case.pk, action]), data)
        assert response.status_code == 302, (action, response.content[:500])
        case.refresh_from_db()

    act("assign_to_me")
    assert case.assignee == alice
    act("verify_identity", method="Matched the account email", note="")
    assert case.status == "in_progress"
    act("create_tasks")
    for category in acme.data_categories.all():
        kept = category.name == "Billing records"
        act("record_decision", data_category=category.pk, outcome="kept" if kept else "erased",
            legal_basis="Legal obligation" if kept else "", retention_period="5 years" if kept else "", note="")
    act("complete", note="Account removed.")
    assert case.status == "partially_completed"

    answer = case.responses.get(kind=Response.Kind.ANSWER)
    assert answer.state == Response.State.READY, answer.error
    text = pdf_text(answer.letter.path)
    assert case.reference in text and "Billing records" in text and "5 years" in text
    act("send_response", response=answer.pk)
    answer.refresh_from_db()
    assert answer.state == Response.State.SENT and answer.letter_sha256

    # The subject downloads the answer after a one-time code.
    blocked = subject.get(reverse("dsar:download", args=["acme", answer.pk, "letter"]))
    assert blocked.status_code == 302
    subject.post(reverse("dsar:download_code", args=["acme"]))
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    subject.post(reverse("dsar:download_code_check", args=["acme"]), {"code": code})
    download = subject.get(reverse("dsar:download", args=["acme", answer.pk, "letter"]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")

    events = list(AuditEvent.objects.filter(case=case).values_list("event_type", flat=True))
    for expected in ("submitted", "email_confirmed", "assigned", "identity_verified", "tasks_created",
                     "decision_recorded", "completed", "response_queued", "response_rendered", "response_sent",
                     "download_code_sent", "downloaded"):
        assert expected in events, expected
    transitions = AuditEvent.objects.filter(case=case).exclude(old_value={}).filter(old_value__has_key="status")
    assert [(e.old_value["status"], e.new_value["status"]) for e in transitions] == [
        ("unconfirmed", "received"), ("received", "in_progress"), ("in_progress", "partially_completed")]
