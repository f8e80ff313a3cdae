"""The data subject's side in a real browser (Chromium): intake in both languages, links, status page,
replies, delivery with a one-time code, and the abuse guards."""

import os
import re
from pathlib import Path

import pytest
from django.core import mail

from dsar import actions
from dsar.models import Attachment, Case, Status
from tenants.models import IdentityField
from tests.conftest import make_tenant, make_user

# The flush after each live-server test also removes the rule-set presets; tests/conftest.py puts them
# back before every database test.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# The README's screenshots are refreshed with UPDATE_SCREENSHOTS=1; otherwise they go to var/ so that a
# test run leaves the tree clean.
SHOTS = Path(__file__).resolve().parents[2] / ("docs" if os.environ.get("UPDATE_SCREENSHOTS") else "var") / "screenshots"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64

UNLABELLED_INPUTS = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => el.type !== 'hidden' && el.labels.length === 0 && !el.getAttribute('aria-label'))
  .map(el => el.name || el.id)"""


def check_page(page, lang="en"):
    """Every page: lang and dir on <html>, and a label for every input."""
    assert page.get_attribute("html", "lang") == lang
    assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
    assert page.evaluate(UNLABELLED_INPUTS) == []


def expect_http_error(page, status):
    """Chromium logs a 4xx page as a console error; take out exactly the one this test expects."""
    expected = [m for m in page.watch.console_errors if f"status of {status} " in m]
    assert expected, f"no HTTP {status} was seen"
    page.watch.console_errors.remove(expected[0])


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def emailed_path(pattern, live_server):
    body = mail.outbox[-1].body
    return re.search(re.escape(live_server.url) + pattern, body).group(0)


@pytest.fixture
def thamra(db):
    tenant = make_tenant("thamra", rule_codes=("qa-pdppl",))
    tenant.name, tenant.name_ar, tenant.brand_colour, tenant.time_zone = (
        "Thamra", "ثمرة", "#0b6e4f", "Asia/Qatar")
    tenant.save()
    return tenant


@pytest.fixture
def qomoor(db):
    tenant = make_tenant("qomoor", rule_codes=("gdpr", "uk-gdpr", "ccpa"))
    tenant.name, tenant.name_ar, tenant.brand_colour = "Qomoor", "قمور", "#7a1f5c"
    tenant.save()
    return tenant


@pytest.fixture
def daftra(db):
    tenant = make_tenant("daftra", rule_codes=("sa-pdpl",))
    IdentityField.objects.create(tenant=tenant, key="account_id", label="Account ID", label_ar="رقم الحساب",
                                 required=True, order=1)
    return tenant


def fill_contact(page, name="Sam Subject", email="sam@example.com"):
    page.fill("#id_requester_name", name)
    page.fill("#id_requester_email", email)


def test_it_takes_an_arabic_request_on_a_qatari_tenant(page, live_server, thamra):
    page.goto(f"{live_server.url}/thamra/")
    check_page(page)
    page.click("button[name=language][value=ar]")
    page.wait_for_url(f"{live_server.url}/thamra/")
    check_page(page, "ar")
    assert "ثمرة" in page.inner_text("header")
    shoot(page, "public-landing-ar.png")
    page.click("a.button")
    check_page(page, "ar")
    page.check("#id_request_type_2")
    fill_contact(page, name="مريم العلي", email="maryam@example.qa")
    page.select_option("#id_language", "ar")
    page.fill("#id_description", "أرجو حذف بيانات حسابي.")
    shoot(page, "public-form-ar.png")
    page.click("form.request-form button[type=submit]")
    page.wait_for_url("**/request/sent/")
    check_page(page, "ar")
    case = Case.objects.get(tenant=thamra)
    assert (case.language, case.requester_name, case.request_type) == ("ar", "مريم العلي", "erasure")
    page.goto(emailed_path(r"/thamra/confirm/[^\s]+/", live_server))
    page.wait_for_url(f"{live_server.url}/thamra/status/")
    check_page(page, "ar")
    assert case.reference in page.inner_text("h1")
    case.refresh_from_db()
    assert case.status == Status.RECEIVED
    shoot(page, "public-status-ar.png")


def test_it_takes_a_californian_opt_out_on_a_tenant_with_several_laws(page, live_server, qomoor):
    page.goto(f"{live_server.url}/qomoor/")
    check_page(page)
    shoot(page, "public-landing-en.png")
    page.click("a.button")
    check_page(page)
    assert page.locator("input[name=request_type]").count() == 0
    page.click("label:has-text('California')")
    page.click("button:has-text('Continue')")
    check_page(page)
    page.click("label:has-text('Do not sell or share my personal information')")
    assert page.locator("#id_subject_name").is_hidden()  # shown only when asking for someone else
    fill_contact(page, email="cal@example.com")
    shoot(page, "public-form-en.png")
    page.click("form.request-form button[type=submit]")
    page.wait_for_url("**/request/sent/")
    case = Case.objects.get(tenant=qomoor)
    assert (case.rule_set.code, case.request_type) == ("ccpa", "opt_out")
    page.goto(emailed_path(r"/qomoor/confirm/[^\s]+/", live_server))
    page.wait_for_url(f"{live_server.url}/qomoor/status/")
    officer = make_user("qomoor-officer", qomoor)
    case = actions.verify_identity(Case.objects.get(pk=case.pk), officer, method="Email matched the account")
    actions.send_message(case, officer, subject="Your opt-out",
                         body="We have stopped sharing your data with advertising partners.")
    page.reload()
    check_page(page)
    assert "We have stopped sharing" in page.inner_text("#conversation")
    shoot(page, "public-status-en.png")


def test_it_takes_a_parents_request_with_proof(page, live_server, qomoor):
    page.goto(f"{live_server.url}/qomoor/request/?region=gdpr")
    page.check("#id_request_type_0")
    page.check("input[name=relationship][value=parent]")
    assert page.locator("#id_authorisation").is_hidden()
    page.fill("#id_subject_name", "Lina Subject")
    page.set_input_files("#id_guardianship", files=[
        {"name": "birth-certificate.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    fill_contact(page, email="parent@example.com")
    page.click("form.request-form button[type=submit]")
    page.wait_for_url("**/request/sent/")
    case = Case.objects.get()
    assert case.relationship == "parent" and case.subject_name == "Lina Subject"
    assert case.attachments.get().kind == Attachment.Kind.GUARDIANSHIP


def test_it_takes_an_agents_request_with_an_upload_and_asks_for_it_when_missing(page, live_server, daftra):
    page.goto(f"{live_server.url}/daftra/request/")
    page.check("#id_request_type_0")
    page.check("input[name=relationship][value=agent]")
    page.fill("#id_subject_name", "Client Person")
    fill_contact(page, name="Agent Smith", email="agent@example.com")
    page.click("form.request-form button[type=submit]")
    summary = page.locator("#error-summary")
    assert "Attach the authorisation signed by the person you act for." in summary.inner_text()
    assert "Enter your Account ID." in summary.inner_text()
    # portal.js moves focus to the summary once the page has loaded.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'error-summary'", timeout=5000)
    assert page.get_attribute("#id_identity_account_id", "aria-describedby") == "id_identity_account_id_error"
    assert page.input_value("#id_requester_name") == "Agent Smith"  # nothing typed is lost
    check_page(page)
    page.fill("#id_identity_account_id", "D-1001")
    page.set_input_files("#id_authorisation", files=[
        {"name": "signed.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.click("form.request-form button[type=submit]")
    page.wait_for_url("**/request/sent/")
    case = Case.objects.get()
    assert case.attachments.get().kind == Attachment.Kind.AUTHORISATION
    assert case.identity_answers == {"account_id": "D-1001"}


def test_it_rejects_an_executable_renamed_pdf(page, live_server, thamra):
    page.goto(f"{live_server.url}/thamra/request/")
    page.check("#id_request_type_0")
    fill_contact(page)
    page.set_input_files("#id_identity_document", files=[
        {"name": "passport.pdf", "mimeType": "application/pdf", "buffer": WINDOWS_EXE}])
    page.click("form.request-form button[type=submit]")
    assert "This file is not a PDF, JPEG or PNG document." in page.inner_text("#field-identity_document")
    assert page.input_value("#id_requester_email") == "sam@example.com"
    assert not Case.objects.exists()


def test_it_creates_one_case_for_a_double_click(page, live_server, thamra):
    page.goto(f"{live_server.url}/thamra/request/")
    page.check("#id_request_type_0")
    fill_contact(page)
    sent_form = page.evaluate("Object.fromEntries(new FormData(document.querySelector('form.request-form')))")
    page.dblclick("form.request-form button[type=submit]")
    page.wait_for_url("**/request/sent/")
    # The same form posted again (a resubmitted page) is the same request, not a new one.
    again = page.request.post(f"{live_server.url}/thamra/request/", form=sent_form, max_redirects=0)
    assert again.status == 302 and again.headers["location"] == "/thamra/request/sent/"
    assert Case.objects.count() == 1 and len(mail.outbox) == 1


def test_it_trips_the_rate_limit_and_keeps_the_answers(page, live_server, thamra, settings):
    settings.INTAKE_RATE_PER_IP = "1/h"
    for email in ("one@example.com", "two@example.com"):
        page.goto(f"{live_server.url}/thamra/request/")
        page.check("#id_request_type_0")
        fill_contact(page, email=email)
        page.click("form.request-form button[type=submit]")
        page.wait_for_load_state()
    expect_http_error(page, 429)
    assert "Please wait an hour and try again" in page.inner_text("#error-summary")
    assert page.input_value("#id_requester_email") == "two@example.com"
    assert Case.objects.count() == 1


def test_it_explains_tampered_and_expired_links(page, live_server, thamra):
    case, _created = actions.submit_request(thamra, rule_set=thamra.rule_sets.get(), request_type="access",
                                            requester_name="Sam", requester_email="sam@example.com")
    link = emailed_path(r"/thamra/confirm/[^\s]+/", live_server)
    page.goto(link[:-4] + "zz/")
    expect_http_error(page, 400)
    assert "This link does not work" in page.inner_text("h1")
    check_page(page)
    case.tokens.update(expires_at=case.submitted_at)
    page.goto(link)
    expect_http_error(page, 400)
    assert "This link does not work" in page.inner_text("h1")
    page.fill("#id_reference", case.reference)
    page.fill("#id_email", "sam@example.com")
    page.click("main button[type=submit]")
    page.wait_for_url("**/status/link/sent/")
    assert "/thamra/status/open/" in mail.outbox[-1].body


def test_it_resumes_a_paused_case_when_the_requester_replies_with_an_upload(page, live_server, thamra):
    officer = make_user("thamra-officer", thamra)
    case = actions.log_offline_request(thamra, officer, rule_set=thamra.rule_sets.get(), request_type="access",
                                       channel="email", received_at=Case().submitted_at, requester_name="Sam",
                                       requester_email="sam@example.com")
    actions.assign(case, officer, officer)
    actions.request_information(case, officer, reason="identity", body="Please send a copy of your ID card.")
    actions.send_status_link(case)
    page.goto(emailed_path(r"/thamra/status/open/[^\s]+/", live_server))
    page.wait_for_url(f"{live_server.url}/thamra/status/")
    assert "Please send a copy of your ID card." in page.inner_text("#conversation")
    page.fill("#id_body", "My ID card is attached.")
    page.set_input_files("#id_document", files=[{"name": "id.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.click("#conversation button[type=submit]")
    page.wait_for_url("**/status/#conversation")
    assert "Thank you: your reply was sent." in page.inner_text("main")
    case.refresh_from_db()
    assert case.status == Status.VERIFYING and case.paused_since is None
    assert case.attachments.get().kind == Attachment.Kind.IDENTITY
    check_page(page)


def test_it_downloads_the_answer_with_a_one_time_code(page, live_server, thamra):
    from tests.conftest import make_case
    from tests.test_public_delivery import answered_case

    officer = make_user("thamra-officer", thamra)
    case, response = answered_case(thamra, officer, make_case)
    actions.send_status_link(case)
    page.goto(emailed_path(r"/thamra/status/open/[^\s]+/", live_server))
    page.click("button:has-text('Email me a code')")
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    page.fill("#id_code", "000000" if code != "000000" else "111111")
    page.click("button:has-text('Unlock the download')")
    assert "This code is not right" in page.inner_text("#answer")
    page.fill("#id_code", code)
    page.click("button:has-text('Unlock the download')")
    check_page(page)
    with page.expect_download() as info:
        page.click("a:has-text('Download the letter')")
    download = info.value
    assert download.suggested_filename.startswith(case.reference)
    assert Path(download.path()).read_bytes().startswith(b"%PDF")
    assert case.events.filter(event_type="downloaded").count() == 1
