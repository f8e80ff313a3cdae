"""The data subject's side through the real views: landing, intake, confirmation, status page."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from dsar import actions, ratelimit
from dsar.models import AccessToken, Attachment, AuditEvent, Case, Message, RateCounter, Status
from tenants.models import IdentityField
from tests.conftest import make_tenant

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
LINUX_ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64


# --- helpers (also used by the delivery tests) ---------------------------------------------------


def _in_zone(tenant, zone):
    tenant.time_zone = zone
    tenant.save(update_fields=["time_zone"])
    return tenant


@pytest.fixture
def qomoor(db):
    return make_tenant("qomoor", rule_codes=("gdpr", "uk-gdpr", "ccpa"), brand_colour="#7a1f5c")


@pytest.fixture
def thamra(db):
    return _in_zone(make_tenant("thamra", rule_codes=("qa-pdppl",)), "Asia/Qatar")


@pytest.fixture
def daftra(db):
    tenant = _in_zone(make_tenant("daftra", rule_codes=("sa-pdpl",)), "Asia/Riyadh")
    IdentityField.objects.create(tenant=tenant, key="account_id", label="Account ID", label_ar="رقم الحساب",
                                 required=True, order=1)
    IdentityField.objects.create(tenant=tenant, key="support_pin", label="Support PIN", label_ar="رمز الدعم",
                                 required=True, secret=True, order=2)
    return tenant


def form_url(tenant, region=None):
    return f"/{tenant.slug}/request/" + (f"?region={region}" if region else "")


def fresh_key(client, tenant, region=None):
    html = client.get(form_url(tenant, region)).content.decode()
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def submit(client, tenant, *, region=None, key=None, REMOTE_ADDR="127.0.0.1", **fields):
    rule_code = region or tenant.rule_sets.first().code
    data = {
        "rule_set": rule_code,
        "idempotency_key": key or fresh_key(client, tenant, region),
        "request_type": "access",
        "relationship": "self",
        "requester_name": "Sam Subject",
        "requester_email": "sam@example.com",
        "language": "en",
        "description": "My account data, please.",
    }
    data.update(fields)
    return client.post(form_url(tenant), data, REMOTE_ADDR=REMOTE_ADDR)


def confirm_link(message):
    return re.search(r"http://[^\s]+/confirm/[^\s]+/", message.body).group(0).split("127.0.0.1:8000", 1)[-1]


def open_status(client, case):
    """Open the status session the way a requester does: a link emailed by send_status_link."""
    mail.outbox.clear()
    actions.send_status_link(case)
    url = re.search(r"/[\w-]+/status/open/[^\s]+/", mail.outbox[-1].body).group(0)
    response = client.get(url)
    assert response.status_code == 302
    return response


def errors_of(response):
    return response.content.decode()


# --- landing and language ----------------------------------------------------------------------


def test_it_shows_the_landing_page_with_the_rights_offered_and_a_link_to_the_form(client, thamra):
    response = client.get("/thamra/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Thamra" in html
    assert "Find out what personal data we hold about you" in html  # access explanation
    assert "Withdraw a consent you gave us earlier." in html  # qa-pdppl grants consent withdrawal
    assert "Do not sell or share" not in html  # a Californian right, not offered here
    assert 'href="/thamra/request/"' in html
    assert 'href="/thamra/brand.css?v=' in html


def test_it_serves_the_brand_colour_as_css_with_readable_text(client, qomoor):
    css = client.get("/qomoor/brand.css")
    assert css["Content-Type"].startswith("text/css")
    assert "--brand:#7a1f5c" in css.content.decode()
    assert "--brand-ink:#ffffff" in css.content.decode()


def test_it_picks_dark_text_on_a_light_brand_colour(client, db):
    make_tenant("pale", brand_colour="#f5e663")
    css = client.get("/pale/brand.css").content.decode()
    assert "--brand-ink:#111111" in css and "--brand-text:#1f2933" in css


def test_it_answers_an_unknown_tenant_with_a_neutral_404(client, db):
    response = client.get("/no-such-org/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert client.get("/no-such-org/request/").status_code == 404
    assert client.get("/no-such-org/status/").status_code == 404


def test_it_renders_arabic_pages_right_to_left_with_the_arabic_name(client, thamra):
    client.cookies["django_language"] = "ar"
    html = client.get("/thamra/").content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "thamra (ar)" in html
    english = client.get("/thamra/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200


def test_it_keeps_the_current_page_when_switching_language(client, thamra):
    response = client.post("/i18n/setlang/", {"language": "ar", "next": "/thamra/request/"})
    assert response.status_code == 302 and response["Location"] == "/thamra/request/"
    html = client.get("/thamra/request/").content.decode()
    assert 'lang="ar" dir="rtl"' in html


# --- intake ------------------------------------------------------------------------------------


def test_it_asks_where_the_subject_lives_first_when_the_tenant_has_several_laws(client, qomoor):
    html = client.get("/qomoor/request/").content.decode()
    assert "Where do you live?" in html
    assert 'name="region"' in html and 'value="ccpa"' in html and 'value="uk-gdpr"' in html
    assert 'name="request_type"' not in html
    california = client.get("/qomoor/request/?region=ccpa").content.decode()
    assert 'value="opt_out"' in california
    europe = client.get("/qomoor/request/?region=gdpr").content.decode()
    assert 'value="opt_out"' not in europe and 'value="portability"' in europe


def test_it_asks_again_when_the_region_is_not_one_of_the_tenants(client, qomoor):
    response = client.get("/qomoor/request/?region=qa-pdppl")
    assert "Choose where you live." in response.content.decode()
    assert 'name="request_type"' not in response.content.decode()


def test_it_stores_a_californian_opt_out_and_sends_the_confirmation(client, qomoor):
    response = submit(client, qomoor, region="ccpa", request_type="opt_out", requester_email="Cal@Example.com")
    assert response.status_code == 302 and response["Location"] == "/qomoor/request/sent/"
    case = Case.objects.get(tenant=qomoor)
    assert (case.status, case.request_type, case.rule_set.code) == (Status.UNCONFIRMED, "opt_out", "ccpa")
    assert case.requester_email == "Cal@Example.com"
    assert case.idempotency_key
    assert AuditEvent.objects.filter(case=case, event_type="submitted").exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["Cal@Example.com"]
    assert "/qomoor/confirm/" in mail.outbox[0].body
    assert "Check your email" in client.get(response["Location"]).content.decode()


def test_it_refuses_a_right_the_chosen_law_does_not_grant(client, qomoor):
    response = submit(client, qomoor, region="gdpr", request_type="opt_out")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Case.objects.exists()


def test_it_refuses_a_rule_set_of_another_tenant_on_post(client, thamra, qomoor):
    response = submit(client, thamra, key=fresh_key(client, thamra), rule_set="ccpa", request_type="opt_out")
    assert not Case.objects.exists()
    assert response.status_code in (200, 400)


def test_it_stores_an_arabic_request_in_arabic(client, thamra):
    client.cookies["django_language"] = "ar"
    html = client.get("/thamra/request/").content.decode()
    assert 'dir="rtl"' in html and "الوصول" in html or "بياناتي" in html
    response = submit(client, thamra, language="ar", requester_name="مريم", request_type="erasure")
    assert response.status_code == 302
    case = Case.objects.get(tenant=thamra)
    assert case.language == "ar" and case.requester_name == "مريم"
    assert "مريم" in mail.outbox[0].body
    with translation.override("ar"):
        assert "تأكيد" in mail.outbox[0].subject or "أكد" in mail.outbox[0].subject


def test_it_requires_the_tenants_identity_questions(client, daftra):
    response = submit(client, daftra)
    html = response.content.decode()
    assert "Enter your Account ID." in html and "Enter your Support PIN." in html
    assert 'aria-describedby="id_identity_account_id_error"' in html
    assert 'href="#id_identity_account_id"' in html  # the error summary links to the field
    assert not Case.objects.exists()
    submit(client, daftra, identity_account_id="D-12345", identity_support_pin="7788")
    assert Case.objects.get().identity_answers == {"account_id": "D-12345", "support_pin": "7788"}


def test_it_needs_proof_and_the_childs_name_from_a_parent(client, qomoor):
    response = submit(client, qomoor, region="gdpr", relationship="parent")
    html = response.content.decode()
    assert "Attach proof that you are the parent or guardian." in html
    assert "Enter the full name of the person you are asking for." in html
    assert not Case.objects.exists()
    proof = SimpleUploadedFile("birth-certificate.pdf", PDF, content_type="application/pdf")
    response = submit(client, qomoor, region="gdpr", relationship="parent", subject_name="Lina Subject",
                      guardianship=proof)
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.relationship == "parent" and case.subject_name == "Lina Subject"
    attachment = case.attachments.get()
    assert (attachment.kind, attachment.content_type, attachment.from_requester) == (
        Attachment.Kind.GUARDIANSHIP, "application/pdf", True)


def test_it_stores_an_agents_signed_authorisation(client, qomoor):
    response = submit(client, qomoor, region="ccpa", relationship="agent")
    assert "Attach the authorisation signed by the person you act for." in response.content.decode()
    letter = SimpleUploadedFile("authorisation.png", PNG, content_type="image/png")
    response = submit(client, qomoor, region="ccpa", relationship="agent", subject_name="Client Person",
                      authorisation=letter, request_type="erasure")
    assert response.status_code == 302
    attachment = Case.objects.get().attachments.get()
    assert attachment.kind == Attachment.Kind.AUTHORISATION and attachment.content_type == "image/png"


def test_it_ignores_evidence_fields_that_do_not_match_the_relationship(client, qomoor):
    stray = SimpleUploadedFile("x.pdf", PDF, content_type="application/pdf")
    submit(client, qomoor, region="gdpr", relationship="self", subject_name="Someone", authorisation=stray)
    case = Case.objects.get()
    assert case.subject_name == "" and not case.attachments.exists()


@pytest.mark.parametrize("content", [WINDOWS_EXE, LINUX_ELF], ids=["windows-exe", "linux-elf"])
def test_it_rejects_an_executable_renamed_pdf_with_a_clear_message(client, thamra, content):
    fake = SimpleUploadedFile("passport.pdf", content, content_type="application/pdf")
    response = submit(client, thamra, identity_document=fake, requester_name="Kept Name")
    html = response.content.decode()
    assert response.status_code == 200
    assert "This file is not a PDF, JPEG or PNG document." in html
    assert "attach them again" in html
    assert 'value="Kept Name"' in html  # the rest of the answers is kept
    assert not Case.objects.exists() and not Attachment.objects.exists()


def test_it_stores_a_valid_identity_document(client, thamra):
    scan = SimpleUploadedFile("id.pdf", PDF, content_type="application/octet-stream")
    submit(client, thamra, identity_document=scan)
    attachment = Attachment.objects.get()
    assert attachment.kind == Attachment.Kind.IDENTITY and attachment.content_type == "application/pdf"
    assert attachment.file.name and "id.pdf" not in attachment.file.name


def test_it_stores_nothing_when_a_bot_fills_the_honeypot(client, thamra):
    response = submit(client, thamra, website="http://spam.example")
    assert response.status_code == 302 and response["Location"] == "/thamra/request/sent/"
    assert not Case.objects.exists() and not mail.outbox


def test_it_creates_one_case_for_a_double_submission(client, thamra):
    key = fresh_key(client, thamra)
    first = submit(client, thamra, key=key)
    second = submit(client, thamra, key=key)
    assert first["Location"] == second["Location"] == "/thamra/request/sent/"
    assert Case.objects.count() == 1 and len(mail.outbox) == 1


def test_it_refuses_a_forged_idempotency_key_and_keeps_the_answers(client, thamra):
    response = submit(client, thamra, key="forged-key", requester_name="Kept Name")
    html = response.content.decode()
    assert "Check your answers and send it again" in html
    assert 'value="Kept Name"' in html
    assert not Case.objects.exists()
    new_key = re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)
    assert submit(client, thamra, key=new_key).status_code == 302
    assert Case.objects.count() == 1


def test_it_gives_the_same_answer_whether_or_not_the_email_is_known(client, thamra):
    submit(client, thamra, requester_email="known@example.com")
    again = submit(client, thamra, requester_email="known@example.com")
    unknown = submit(client, thamra, requester_email="new@example.com")
    assert again.status_code == unknown.status_code == 302
    assert again["Location"] == unknown["Location"]


def test_it_limits_requests_per_ip_with_a_429_that_keeps_the_answers(client, thamra, settings):
    settings.INTAKE_RATE_PER_IP = "2/h"
    for n in range(2):
        assert submit(client, thamra, requester_email=f"p{n}@example.com").status_code == 302
    response = submit(client, thamra, requester_email="third@example.com", requester_name="Kept Name")
    html = response.content.decode()
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Please wait an hour and try again" in html and 'value="Kept Name"' in html
    assert Case.objects.count() == 2
    other_ip = submit(client, thamra, requester_email="fourth@example.com", REMOTE_ADDR="10.9.8.7")
    assert other_ip.status_code == 302


def test_it_limits_requests_per_email_across_addresses(client, thamra, settings):
    settings.INTAKE_RATE_PER_EMAIL = "1/h"
    assert submit(client, thamra, requester_email="same@example.com").status_code == 302
    response = submit(client, thamra, requester_email="SAME@example.com", REMOTE_ADDR="10.0.0.99")
    assert response.status_code == 429
    assert Case.objects.count() == 1


def test_it_parses_rates_and_fails_loudly_on_bad_ones():
    assert ratelimit.parse_rate("10/h") == (10, 3600)
    assert ratelimit.parse_rate("3/m") == (3, 60)
    for bad in ("ten/h", "10/week", "0/h", "10", ""):
        with pytest.raises(ImproperlyConfigured):
            ratelimit.parse_rate(bad)


@pytest.mark.parametrize("backend", ["db", "cache"])
def test_it_opens_a_new_window_after_the_old_one_ends(db, settings, backend):
    settings.RATELIMIT_BACKEND = backend
    start = 1_000_000 * 3600.0
    assert ratelimit.hit("t", "x", "1/h", now=start).allowed
    assert not ratelimit.hit("t", "x", "1/h", now=start + 10).allowed
    assert ratelimit.hit("t", "x", "1/h", now=start + 3600).allowed


def test_it_counts_each_attempt_in_one_statement_without_storing_the_identifier(db, django_assert_num_queries,
                                                                               monkeypatch):
    monkeypatch.setattr(ratelimit, "CLEANUP_EVERY", 1_000_000_000)
    start = 1_000_000 * 3600.0
    for n in range(3):
        with django_assert_num_queries(1):
            verdict = ratelimit.hit("intake-email", " Sam@Example.com", "3/h", now=start + n)
        assert verdict.allowed
    assert not ratelimit.hit("intake-email", "sam@example.com", "3/h", now=start + 5).allowed
    assert ratelimit.hit("intake-ip", "sam@example.com", "3/h", now=start + 5).allowed  # scopes count apart
    counter = RateCounter.objects.get(count=4)
    assert "sam" not in counter.key.lower()


def test_it_deletes_windows_that_have_ended(db, monkeypatch):
    start = 1_000_000 * 3600.0
    ratelimit.hit("t", "old", "1/m", now=start)
    monkeypatch.setattr(ratelimit, "CLEANUP_EVERY", 1)
    ratelimit.hit("t", "new", "1/m", now=start + 3600)
    assert RateCounter.objects.count() == 1


def test_it_stores_a_request_in_a_bounded_number_of_queries(client, thamra, django_assert_max_num_queries):
    submit(client, thamra, requester_email="first@example.com")  # the year's reference sequence exists
    key = fresh_key(client, thamra)
    # Tenant, rule sets, identity fields, key check, 2 rate limits, reference, case, audit, token, email.
    with django_assert_max_num_queries(29):
        assert submit(client, thamra, key=key, requester_email="second@example.com").status_code == 302
    assert Case.objects.get(requester_email="second@example.com").reference.endswith("-00002")


def test_it_labels_every_input_of_the_form(client, daftra):
    html = client.get("/daftra/request/").content.decode()
    ids = re.findall(r'<(?:input|textarea|select)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', html)
    assert len(ids) > 10
    for field_id in ids:
        assert f'for="{field_id}"' in html, field_id
    assert "novalidate" in html and "cache" in client.get("/daftra/request/")["Cache-Control"]


# --- confirmation and links ------------------------------------------------------------------


def test_it_confirms_the_email_and_opens_the_status_page_without_the_token(client, thamra):
    submit(client, thamra)
    url = confirm_link(mail.outbox[0])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == "/thamra/status/"
    case = Case.objects.get()
    assert case.status == Status.RECEIVED and case.due_date
    page = client.get("/thamra/status/")
    html = page.content.decode()
    assert case.reference in html and "You confirmed your email address" in html
    assert url.split("/confirm/")[1].strip("/") not in html
    assert "no-store" in page["Cache-Control"]


def test_it_explains_a_tampered_confirmation_link_and_offers_a_new_one(client, thamra):
    submit(client, thamra)
    url = confirm_link(mail.outbox[0])
    response = client.get(url[:-3] + "xx/")
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    assert 'name="reference"' in response.content.decode()
    assert Case.objects.get().status == Status.UNCONFIRMED


def test_it_explains_an_expired_confirmation_link(client, thamra):
    submit(client, thamra)
    AccessToken.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(confirm_link(mail.outbox[0]))
    assert response.status_code == 400 and "This link does not work" in response.content.decode()
    assert Case.objects.get().status == Status.UNCONFIRMED


def test_it_refuses_a_confirmation_link_used_twice(client, thamra):
    submit(client, thamra)
    url = confirm_link(mail.outbox[0])
    assert client.get(url).status_code == 302
    assert client.get(url).status_code == 400
    assert AuditEvent.objects.filter(event_type="email_confirmed").count() == 1


def test_it_refuses_a_link_of_another_tenant(client, thamra, qomoor):
    submit(client, thamra)
    url = confirm_link(mail.outbox[0]).replace("/thamra/", "/qomoor/")
    response = client.get(url)
    assert response.status_code == 400
    assert Case.objects.get().status == Status.UNCONFIRMED  # the token was not spent
    assert client.get("/qomoor/status/")["Location"] == "/qomoor/status/link/"


def test_it_shows_nothing_of_a_case_on_another_tenants_pages(client, acme, globex, case_factory):
    case = case_factory(acme, "in_progress")
    open_status(client, case)
    assert case.reference in client.get("/acme/status/").content.decode()
    response = client.get("/globex/status/")
    assert response.status_code == 302 and response["Location"] == "/globex/status/link/"
    assert client.post("/globex/status/reply/", {"body": "hi"}).status_code == 302
    assert not case.messages.filter(direction=Message.Direction.FROM_REQUESTER).exists()


def test_it_sends_a_status_link_only_when_reference_and_email_match(client, acme, case_factory):
    case = case_factory(acme, "received", email="owner@example.com")
    mail.outbox.clear()
    wrong = client.post("/acme/status/link/", {"reference": case.reference, "email": "thief@example.com"})
    right = client.post("/acme/status/link/", {"reference": case.reference.lower(), "email": "OWNER@example.com"})
    assert wrong.status_code == right.status_code == 302
    assert wrong["Location"] == right["Location"] == "/acme/status/link/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["owner@example.com"]
    assert "/acme/status/open/" in mail.outbox[0].body


def test_it_rate_limits_the_status_link_form(client, acme, settings, case_factory):
    settings.STATUS_LINK_RATE_PER_IP = "2/h"
    case = case_factory(acme, "received")
    for _n in range(2):
        client.post("/acme/status/link/", {"reference": "ACM-2000-00001", "email": "x@example.com"})
    response = client.post("/acme/status/link/", {"reference": case.reference, "email": case.requester_email})
    assert response.status_code == 429 and case.reference in response.content.decode()


def test_it_signs_the_requester_out(client, acme, case_factory):
    case = case_factory(acme, "received")
    open_status(client, case)
    assert client.post("/acme/status/signout/").status_code == 302
    assert client.get("/acme/status/")["Location"] == "/acme/status/link/"


def test_it_rejects_an_expired_status_link(client, acme, case_factory):
    case = case_factory(acme, "received")
    actions.send_status_link(case)
    url = re.search(r"/acme/status/open/[^\s]+/", mail.outbox[-1].body).group(0)
    AccessToken.objects.filter(purpose=AccessToken.Purpose.STATUS).update(expires_at=timezone.now())
    response = client.get(url)
    assert response.status_code == 400 and "This link does not work" in response.content.decode()


# --- status page ---------------------------------------------------------------------------


def test_it_shows_the_timeline_and_staff_messages_but_never_internal_notes(client, acme, alice, case_factory):
    case = case_factory(acme, "in_progress")
    actions.send_message(case, alice, body="Secret internal remark", internal=True)
    actions.send_message(case, alice, body="Which email addresses did you use?", subject="A question")
    open_status(client, case)
    html = client.get("/acme/status/").content.decode()
    assert "We confirmed your identity." in html
    assert "Which email addresses did you use?" in html
    assert "Secret internal remark" not in html
    assert "deadline_computed" not in html and "Account email matched" not in html
    case.refresh_from_db()
    with translation.override("en"):
        from django.utils import formats

        assert formats.date_format(case.due_date, "DATE_FORMAT") in html


def test_it_shows_the_due_date_and_timeline_in_arabic(client, acme, case_factory):
    case = case_factory(acme, "in_progress")
    open_status(client, case)
    client.cookies["django_language"] = "ar"
    html = client.get("/acme/status/").content.decode()
    assert 'lang="ar" dir="rtl"' in html
    with translation.override("ar"):
        from django.utils import formats

        assert formats.date_format(case.due_date, "DATE_FORMAT") in html


def test_it_resumes_a_paused_case_when_the_requester_replies_with_a_document(client, acme, alice, case_factory):
    case = case_factory(acme, "in_progress")
    actions.assign(case, alice, alice)
    actions.request_information(case, alice, reason="identity", body="Please send a photo ID.")
    case.refresh_from_db()
    assert case.status == Status.AWAITING_REQUESTER
    open_status(client, case)
    assert "Send us what we asked for" in client.get("/acme/status/").content.decode()
    mail.outbox.clear()
    scan = SimpleUploadedFile("id.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, content_type="image/jpeg")
    response = client.post("/acme/status/reply/", {"body": "Here it is.", "document": scan})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and case.paused_since is None
    reply = case.messages.get(direction=Message.Direction.FROM_REQUESTER)
    assert reply.body == "Here it is." and reply.attachments.get().kind == Attachment.Kind.IDENTITY
    assert any(alice.email in m.to for m in mail.outbox)  # the assignee is told
    assert "We resumed work on your request." in client.get("/acme/status/").content.decode()


def test_it_rejects_an_executable_in_a_reply(client, acme, case_factory):
    case = case_factory(acme, "awaiting_requester")
    open_status(client, case)
    fake = SimpleUploadedFile("scan.pdf", WINDOWS_EXE, content_type="application/pdf")
    response = client.post("/acme/status/reply/", {"body": "see attached", "document": fake})
    assert response.status_code == 200
    assert "This file is not a PDF, JPEG or PNG document." in response.content.decode()
    assert not case.messages.filter(direction=Message.Direction.FROM_REQUESTER).exists()


def test_it_asks_for_a_reply_or_a_document(client, acme, case_factory):
    case = case_factory(acme, "in_progress")
    open_status(client, case)
    response = client.post("/acme/status/reply/", {"body": "   "})
    assert "Write a reply or attach a document." in response.content.decode()


def test_it_does_not_offer_a_reply_on_a_closed_case(client, acme, alice, case_factory):
    case = case_factory(acme, "in_progress")
    actions.withdraw(case, alice)
    open_status(client, case)
    html = client.get("/acme/status/").content.decode()
    assert "Your request was withdrawn." in html and 'name="body"' not in html
    response = client.post("/acme/status/reply/", {"body": "hello"})
    assert "You cannot reply" in response.content.decode()
    assert not case.messages.filter(direction=Message.Direction.FROM_REQUESTER).exists()


def test_it_returns_the_stored_case_when_the_same_key_comes_again(thamra):
    rule_set = thamra.rule_sets.first()
    kwargs = dict(rule_set=rule_set, request_type="access", requester_name="Sam", requester_email="sam@example.com",
                  idempotency_key="k" * 32)
    first, created = actions.submit_request(thamra, **kwargs)
    again, created_again = actions.submit_request(thamra, **kwargs)
    assert created and not created_again and again.pk == first.pk
    assert Case.objects.count() == 1 and AuditEvent.objects.filter(event_type="submitted").count() == 1
    assert actions.submit_request(thamra, **{**kwargs, "idempotency_key": "j" * 32})[0].reference.endswith("-00002")
