"""Secure delivery on the status page: one-time code, audited downloads, expiry, re-issue."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.utils import timezone

from dsar import actions
from dsar.models import AccessToken, AuditEvent, Response
from tests.test_public_portal import PDF, open_status

pytestmark = pytest.mark.django_db


def answered_case(tenant, officer, case_factory):
    """A completed case whose answer letter was sent (the letter file is ours, not the renderer's)."""
    case = case_factory(tenant, "in_progress")
    for category in tenant.data_categories.all():
        actions.record_decision(case, officer, data_category=category, outcome="disclosed")
    case = actions.complete(case, officer)
    response = case.responses.get(kind=Response.Kind.ANSWER)
    if response.state != Response.State.READY or not response.letter:
        response.letter.save("letter.pdf", ContentFile(PDF), save=False)
        response.state = Response.State.READY
        response.save()
    actions.send_response(response, officer)
    case.refresh_from_db()
    return case, Response.objects.get(pk=response.pk)


def emailed_code():
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def not_accepted(response):
    return response.status_code == 200 and "This code is not right or has expired" in response.content.decode()


def download_url(case, response, what="letter"):
    return f"/{case.tenant.slug}/status/download/{response.pk}/{what}/"


def test_it_needs_a_one_time_code_before_a_download(client, acme, alice, case_factory):
    case, response = answered_case(acme, alice, case_factory)
    open_status(client, case)
    html = client.get("/acme/status/").content.decode()
    assert "Our answer" in html and "Email me a code" in html
    assert download_url(case, response) not in html
    blocked = client.get(download_url(case, response))
    assert blocked.status_code == 302 and blocked["Location"].startswith("/acme/status/")
    assert not AuditEvent.objects.filter(case=case, event_type="downloaded").exists()


def test_it_downloads_the_letter_after_the_emailed_code(client, acme, alice, case_factory):
    case, response = answered_case(acme, alice, case_factory)
    open_status(client, case)
    mail.outbox.clear()
    assert client.post("/acme/status/code/").status_code == 302
    assert mail.outbox[-1].to == [case.requester_email]
    code = emailed_code()
    assert client.post("/acme/status/code/check/", {"code": code}).status_code == 302
    html = client.get("/acme/status/").content.decode()
    assert download_url(case, response) in html
    download = client.get(download_url(case, response))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert case.reference in download["Content-Disposition"]
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert "no-store" in download["Cache-Control"]
    event = AuditEvent.objects.get(case=case, event_type="downloaded")
    assert event.new_value["file"] == "letter" and event.new_value["sha256"] == response.letter_sha256
    # The code is one-time: it does not work again.
    client.post("/acme/status/signout/")
    open_status(client, case)
    assert not_accepted(client.post("/acme/status/code/check/", {"code": code}))


def test_it_refuses_a_wrong_code_and_burns_it_after_too_many_tries(client, acme, alice, case_factory, settings):
    settings.DOWNLOAD_CODE_ATTEMPTS = 3
    case, response = answered_case(acme, alice, case_factory)
    open_status(client, case)
    client.post("/acme/status/code/")
    code = emailed_code()
    wrong = "000000" if code != "000000" else "111111"
    for _n in range(3):
        assert not_accepted(client.post("/acme/status/code/check/", {"code": wrong}))
    assert not_accepted(client.post("/acme/status/code/check/", {"code": code}))  # burnt
    assert client.get(download_url(case, response)).status_code == 302


def test_it_refuses_an_expired_code(client, acme, alice, case_factory):
    case, response = answered_case(acme, alice, case_factory)
    open_status(client, case)
    client.post("/acme/status/code/")
    AccessToken.objects.filter(purpose=AccessToken.Purpose.DOWNLOAD_CODE).update(expires_at=timezone.now())
    assert not_accepted(client.post("/acme/status/code/check/", {"code": emailed_code()}))


def test_it_stops_downloads_when_access_expires_and_staff_can_reissue(client, acme, alice, case_factory):
    case, response = answered_case(acme, alice, case_factory)
    open_status(client, case)
    client.post("/acme/status/code/")
    client.post("/acme/status/code/check/", {"code": emailed_code()})
    type(case).objects.filter(pk=case.pk).update(download_expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(download_url(case, response)).status_code == 302
    assert "Access to the download has expired" in client.get("/acme/status/").content.decode()
    mail.outbox.clear()
    client.post("/acme/status/code/")
    assert not mail.outbox  # no code for an expired answer
    actions.reissue_download_access(case, alice)
    assert client.get(download_url(case, response)).status_code == 200


def test_it_never_serves_another_cases_answer(client, acme, alice, case_factory):
    mine, _mine_response = answered_case(acme, alice, case_factory)
    other, other_response = answered_case(acme, alice, case_factory)
    open_status(client, mine)
    client.post("/acme/status/code/")
    client.post("/acme/status/code/check/", {"code": emailed_code()})
    assert client.get(download_url(other, other_response)).status_code == 404
    assert not AuditEvent.objects.filter(case=other, event_type="downloaded").exists()


def test_it_rate_limits_code_emails(client, acme, alice, case_factory, settings):
    settings.DOWNLOAD_CODE_RATE = "2/h"
    case, _response = answered_case(acme, alice, case_factory)
    open_status(client, case)
    mail.outbox.clear()
    for _n in range(3):
        client.post("/acme/status/code/")
    assert len(mail.outbox) == 2
