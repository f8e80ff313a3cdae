"""Letters: every kind in English and Arabic, rendered through the real actions and the django-q2 task,
read back from the PDF with pdftotext to check the facts the subject and a regulator rely on."""

import io
import json
import os
import re
import subprocess
import tempfile
import zoneinfo
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from dsar import actions, responses
from dsar.models import Attachment, AuditEvent, Case, Response
from tests.conftest import make_case, make_tenant

DOCS_DIR = Path(__file__).resolve().parent.parent / "docs" / "letters"
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
ANSWER_TYPES = ["access", "rectification", "erasure", "portability", "restriction", "objection",
                "consent_withdrawal", "opt_out", "limit_use"]
OUTCOME_FOR = {
    "access": ("disclosed", "disclosed"), "rectification": ("rectified", "not_held"),
    "erasure": ("erased", "kept"), "portability": ("disclosed", "not_held"),
    "restriction": ("restricted", "kept"), "objection": ("stopped", "kept"),
    "consent_withdrawal": ("stopped", "kept"), "opt_out": ("stopped", "not_held"),
    "limit_use": ("restricted", "kept"),
}


def pdf_text(data: bytes) -> str:
    """Text of a PDF as two readers see it (pdftotext, then pypdf), without bidi controls.

    Neither reads mixed Arabic perfectly: pdftotext keeps numbers and dates in order but sometimes
    swaps the letters of a ligature (lam-alef, alef maqsura) in bold headings; pypdf keeps Arabic words
    whole but moves numbers around them. A fact found by either reader is on the page.
    """
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        poppler = subprocess.run(["pdftotext", "-enc", "UTF-8", handle.name, "-"], capture_output=True, check=True,
                                 text=True).stdout
    pypdf_text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(BIDI_CONTROLS.sub("", poppler).split()) + " \u2016 " + " ".join(
        BIDI_CONTROLS.sub("", pypdf_text).split())


def squash(text: str) -> str:
    """Without whitespace: pdftotext moves spaces around numbers inside Arabic runs."""
    return "".join(BIDI_CONTROLS.sub("", text).split())


def has(text: str, fact: str) -> bool:
    return any(squash(fact) in squash(reading) for reading in text.split("\u2016"))


def letter_bytes(response) -> bytes:
    response.refresh_from_db()
    assert response.state == Response.State.READY, response.error
    with response.letter.open("rb") as handle:
        return handle.read()


def keep_png(data: bytes, name: str):
    """Page 1 as PNG under docs/letters/ (UPDATE_LETTER_PNGS=1), the pictures reviewers look at."""
    if not os.environ.get("UPDATE_LETTER_PNGS"):
        return
    DOCS_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", handle.name,
                        str(DOCS_DIR / name)], check=True)


def thamra_like(slug="thamra", **fields):
    tenant = make_tenant(slug, dpo_name="Dana Officer", dpo_email=f"dpo@{slug}.example",
                         address="12 King Fahd Road\nRiyadh 12211", **fields)
    tenant.name_ar = "ثمرة"
    tenant.save()
    return tenant


def answered_case(tenant, request_type, *, language="en", extend=True, outcomes=None, **case_fields):
    """A case taken through the real actions to an answer (extension and decisions included)."""
    case = make_case(tenant, "in_progress", request_type=request_type, description="Please act on my data.",
                     **case_fields)
    if extend:
        actions.extend(case, None, reason="Several systems must be searched.")
    first, second = outcomes or OUTCOME_FOR[request_type]
    account, billing = tenant.data_categories.order_by("order")
    actions.record_decision(case, None, data_category=account, outcome=first)
    actions.record_decision(case, None, data_category=billing, outcome=second)
    actions.complete(case, None, language=language)
    return case


def the_response(case, kind, language):
    return case.responses.get(kind=kind, language=language)


# --- the acceptance: erasure answers list what was erased and what was kept --------------------


@pytest.mark.parametrize("language", ["en", "ar"])
def test_it_lists_erased_and_kept_categories_with_retention_in_the_erasure_letter(db, language):
    tenant = thamra_like()
    case = answered_case(tenant, "erasure", language=language)
    case.refresh_from_db()
    assert case.status == "partially_completed"
    text = pdf_text(letter_bytes(the_response(case, "answer", language)))

    extension = case.extension_records.get()
    with responses.translation.override(language):
        new_due = responses._date(extension.new_due, tenant)
        previous_due = responses._date(extension.previous_due, tenant)
        received = responses._date(case.received_at, tenant)
        regulator = case.rule_set.localized_regulator()
    for fact in (case.reference, "Account data", "Billing records", "5 years", "Legal obligation", "Commercial law",
                 new_due, previous_due, received, "Several systems must be searched.", "privacy@thamra.example"):
        assert has(text, fact), f"{fact!r} missing from the {language} letter"
    assert has(text, regulator)
    if language == "en":
        assert "Your data has been partly erased" in text
        assert re.search(r"What we erased\s+• Account data", text)
        assert re.search(r"What we must keep, and why.*Billing records Legal obligation 5 years", text)
    else:
        assert has(text, "تم حذف جزء من بياناتك")
        assert has(text, "ما حذفناه") and has(text, "ما يجب علينا الاحتفاظ به وسببه")
        assert "ثمرة" in text
        assert has(text, "مدة الاحتفاظ")


def test_it_says_fully_erased_when_nothing_is_kept(db):
    tenant = thamra_like()
    case = answered_case(tenant, "erasure", outcomes=("erased", "erased"), extend=False)
    text = pdf_text(letter_bytes(the_response(case, "answer", "en")))
    assert "Your data has been erased" in text
    assert "What we must keep" not in text
    assert "Extension of the deadline" not in text


# --- every kind, both languages ------------------------------------------------------------------

HEADLINES = {
    "en": {"acknowledgement": "We have received your request", "extension": "We need more time",
           "info_request": "We need more information from you", "denial": "We cannot act on your request",
           "forwarded": "passed to the organisation responsible", "access": "Your personal data: our answer",
           "rectification": "Your data has been corrected", "erasure": "partly erased",
           "portability": "Your data in a portable format", "restriction": "The use of your data has been restricted",
           "objection": "Your objection to the use of your data", "consent_withdrawal": "You have withdrawn your consent",
           "opt_out": "We no longer sell or share", "limit_use": "sensitive personal information"},
    "ar": {"acknowledgement": "تم استلام طلبك", "extension": "نحتاج إلى مزيد من الوقت",
           "info_request": "نحتاج إلى معلومات إضافية منك", "denial": "لا يمكننا تنفيذ طلبك",
           "forwarded": "أُحيل طلبك إلى الجهة المسؤولة", "access": "بياناتك الشخصية: ردّنا على طلبك",
           "rectification": "تم تصحيح بياناتك", "erasure": "تم حذف جزء من بياناتك",
           "portability": "بياناتك بصيغة قابلة للنقل", "restriction": "تم تقييد استخدام بياناتك",
           "objection": "اعتراضك على استخدام بياناتك", "consent_withdrawal": "تم سحب موافقتك",
           "opt_out": "لم نعد نبيع معلوماتك الشخصية أو نشاركها", "limit_use": "قيّدنا استخدام معلوماتك الشخصية الحساسة"},
}


def make_letter(kind, language, tenant):
    """(case, response) for one letter kind, produced the way staff produce it."""
    if kind in ANSWER_TYPES:
        case = answered_case(tenant, kind, language=language)
        return case, the_response(case, "answer", language)
    case = make_case(tenant, "in_progress", description="Please act on my data.")
    if kind == "acknowledgement":
        pass
    elif kind == "extension":
        actions.extend(case, None, reason="Several systems must be searched.")
    elif kind == "info_request":
        actions.request_information(case, None, reason="clarification", subject="Which account?",
                                    body="Please tell us the account number you used.")
    elif kind == "denial":
        actions.deny(case, None, reason="legal_exemption", details="The data is part of an ongoing investigation.",
                     language=language)
        return case, the_response(case, "denial", language)
    elif kind == "forwarded":
        actions.forward_to_controller(case, None, controller="Client Bank plc, privacy@clientbank.example")
        case.refresh_from_db()
        if language != case.language:
            actions.render_response(case, None, kind="forwarded", language=language)
        return case, the_response(case, "forwarded", language)
    return case, actions.render_response(case, None, kind=kind, language=language)


LETTER_KINDS = ["acknowledgement", "extension", "info_request", "denial", "forwarded", *ANSWER_TYPES]


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("kind", LETTER_KINDS)
def test_it_renders_every_letter_kind_with_its_facts(db, kind, language):
    tenant = thamra_like(role="both")
    case, response = make_letter(kind, language, tenant)
    data = letter_bytes(response)
    keep_png(data, f"{kind}-{language}")
    text = pdf_text(data)
    case.refresh_from_db()
    with responses.translation.override(language):
        received = responses._date(case.received_at, tenant)
        regulator = " ".join(case.rule_set.localized_regulator().split())
    assert has(text, HEADLINES[language][kind])
    assert case.reference in text
    assert has(text, received)
    assert has(text, regulator), "every letter names the regulator the subject may complain to"
    assert ("Thamra Ltd" in text) and ("privacy@thamra.example" in text)
    assert ("ثمرة" in text) if language == "ar" else ("Thamra" in text)
    if kind in ANSWER_TYPES:
        assert "Account data" in text and "Billing records" in text
        assert has(text, "Several systems must be searched."), "the extension history is in the answer"
    if kind == "extension":
        new_due = case.extension_records.get().new_due
        with responses.translation.override(language):
            assert has(text, responses._date(new_due, tenant))
    if kind == "info_request":
        assert has(text, "Please tell us the account number you used.")
    if kind == "denial":
        assert has(text, "The data is part of an ongoing investigation.")
        assert has(text, "lodge a complaint" if language == "en" else "تقديم شكوى")
    if kind == "forwarded":
        assert has(text, "Client Bank plc, privacy@clientbank.example")
    assert len(PdfReader(io.BytesIO(data)).pages) >= 1


def test_it_keeps_references_and_emails_intact_inside_arabic_text(db):
    tenant = thamra_like()
    case, response = make_letter("acknowledgement", "ar", tenant)
    text = pdf_text(letter_bytes(response))
    # Isolated runs come out whole: neither the reference nor the email is split or reversed.
    assert re.search(rf"الرقم المرجعي {re.escape(case.reference)}", text)
    assert "privacy@thamra.example" in text
    assert case.reference[::-1] not in text


def test_it_shows_dates_in_the_tenant_time_zone(db):
    tenant = thamra_like(slug="riyadh")
    tenant.time_zone = "Asia/Riyadh"
    tenant.save()
    # 22:30 UTC is already the next day in Riyadh (UTC+3).
    yesterday = timezone.now().astimezone(zoneinfo.ZoneInfo("UTC")) - timedelta(days=2)
    received_at = yesterday.replace(hour=22, minute=30, second=0, microsecond=0)
    case = actions.log_offline_request(
        tenant, None, rule_set=tenant.rule_sets.get(), request_type="access", channel=Case.Channel.EMAIL,
        received_at=received_at, requester_name="Sam Subject", requester_email="sam@example.com")
    response = actions.render_response(case, None, kind="acknowledgement", language="en")
    text = pdf_text(letter_bytes(response))
    local_day = received_at.astimezone(zoneinfo.ZoneInfo("Asia/Riyadh")).date()
    assert local_day != received_at.date()
    assert f"Request received {local_day.day} {local_day:%B %Y}" in text


# --- the access annex ----------------------------------------------------------------------------


def upload_data(case, task, name, content_type, content: bytes):
    return actions.store_attachment(case, None, kind=Attachment.Kind.DATA, task=task,
                                    upload=SimpleUploadedFile(name, content, content_type=content_type),
                                    content_type=content_type)


def access_case_with_data(tenant, *, rows=3, language="en"):
    case = make_case(tenant, "in_progress", request_type="access")
    actions.create_tasks_from_inventory(case, None)
    crm = case.tasks.get(system="CRM")
    billing = case.tasks.get(system="Billing")
    actions.update_task(crm, None, state="done", records=[
        {"field": "email", "value": "sam@example.com"}, {"field": "phone", "value": "+966 55 000 0000"}])
    csv_rows = "\n".join(f"INV-{i:05d},2026-01-{(i % 28) + 1:02d},{i * 10}.00" for i in range(rows))
    upload_data(case, billing, "invoices.csv", "text/csv", f"invoice,date,amount\n{csv_rows}\n".encode())
    upload_data(case, crm, "logins.json", "application/json",
                json.dumps([{"at": "2026-02-01T10:00:00Z", "ip": "198.51.100.7"}]).encode())
    for category in tenant.data_categories.all():
        actions.record_decision(case, None, data_category=category, outcome="disclosed")
    actions.complete(case, None, language=language)
    return case


@pytest.mark.parametrize("language", ["en", "ar"])
def test_it_prints_the_data_found_as_annex_tables(db, language):
    tenant = thamra_like()
    case = access_case_with_data(tenant, language=language)
    text = pdf_text(letter_bytes(the_response(case, "answer", language)))
    for fact in ("sam@example.com", "+966 55 000 0000", "INV-00002", "20.00", "198.51.100.7", "invoices.csv",
                 "logins.json", "invoice", "amount"):
        assert has(text, fact), fact
    assert has(text, "Annex: the data we hold about you" if language == "en" else "ملحق: البيانات التي نحتفظ بها عنك")


def test_it_renders_a_500_row_annex_across_pages_with_the_header_repeated(db):
    tenant = thamra_like()
    case = access_case_with_data(tenant, rows=500)
    data = letter_bytes(the_response(case, "answer", "en"))
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 3
    pages = [" ".join(BIDI_CONTROLS.sub("", page.extract_text()).split()) for page in reader.pages]
    pages_with_rows = [p for p in pages if re.search(r"INV-\d{5}", p)]
    assert len(pages_with_rows) > 1
    for page in pages_with_rows:
        assert re.search(r"invoice\s+date\s+amount", page), "the table header repeats on every page"
    text = " ".join(pages)
    assert "INV-00000" in text and "INV-00499" in text


# --- the task: states, audit, freezing -----------------------------------------------------------


def test_it_stores_the_letter_with_its_sha256_and_audits_the_render(db):
    import hashlib

    tenant = thamra_like()
    case = answered_case(tenant, "rectification")
    response = the_response(case, "answer", "en")
    data = letter_bytes(response)
    assert response.letter_sha256 == hashlib.sha256(data).hexdigest()
    assert response.rendered_at is not None and response.error == ""
    event = AuditEvent.objects.get(case=case, event_type="response_rendered")
    assert event.new_value["letter_sha256"] == response.letter_sha256
    assert event.actor_label == "system"


def test_it_refuses_to_render_a_sent_letter_again_and_keeps_the_sent_file(db):
    tenant = thamra_like()
    case = answered_case(tenant, "erasure")
    response = the_response(case, "answer", "en")
    sent_bytes = letter_bytes(response)
    actions.send_response(response, None)
    with pytest.raises(actions.ActionRefused):
        actions.render_response(case, None, kind="answer", language="en")
    # Even if a stale task runs, the sent version stays as it was.
    assert responses.render(response.pk) == "frozen"
    response.refresh_from_db()
    assert response.state == Response.State.SENT
    with response.letter.open("rb") as handle:
        assert handle.read() == sent_bytes
    sent_event = AuditEvent.objects.get(case=case, event_type="response_sent")
    assert sent_event.new_value["letter_sha256"] == response.letter_sha256


def test_it_re_renders_a_letter_until_it_is_sent(db):
    tenant = thamra_like()
    case = make_case(tenant, "in_progress")
    first = actions.render_response(case, None, kind="acknowledgement", language="en")
    letter_bytes(first)
    case.refresh_from_db()
    actions.extend(case, None, reason="More systems to search than expected.")
    again = actions.render_response(case, None, kind="acknowledgement", language="en")
    assert again.pk == first.pk
    text = pdf_text(letter_bytes(again))
    assert "More systems to search than expected." in text
    assert AuditEvent.objects.filter(case=case, event_type="response_rendered").count() == 2


def test_it_fails_with_a_clear_error_when_uploaded_data_is_broken(db):
    tenant = thamra_like()
    case = make_case(tenant, "in_progress", request_type="access")
    actions.create_tasks_from_inventory(case, None)
    upload_data(case, case.tasks.first(), "export.json", "application/json", b'{"broken": ')
    for category in tenant.data_categories.all():
        actions.record_decision(case, None, data_category=category, outcome="disclosed")
    actions.complete(case, None)
    response = the_response(case, "answer", "en")
    response.refresh_from_db()
    assert response.state == Response.State.FAILED
    assert "export.json is not valid JSON" in response.error
    assert not response.letter
    failed = AuditEvent.objects.get(case=case, event_type="response_failed")
    assert "export.json" in failed.message
    case.refresh_from_db()
    assert case.status == "completed", "the case decision is kept; only the letter failed"


def test_it_fails_with_a_clear_error_when_rendering_overruns(db, monkeypatch):
    from dsar import pdf

    tenant = thamra_like()
    case = make_case(tenant, "in_progress")
    monkeypatch.setattr(responses, "render_pdf_bytes", lambda html: pdf.html_to_pdf(html, timeout=0.01))
    response = actions.render_response(case, None, kind="acknowledgement", language="en")
    response.refresh_from_db()
    assert response.state == Response.State.FAILED
    assert "took longer than" in response.error


def test_it_renders_the_html_with_the_tenants_brand_colour_only_when_valid(db):
    tenant = thamra_like(brand_colour="#aa3300")
    case = make_case(tenant, "in_progress")
    response = Response(case=case, kind="acknowledgement", language="en")
    assert "--brand: #aa3300;" in responses.render_html(response)
    # The field holds 7 characters, enough to break out of the CSS rule if it were used unchecked.
    tenant.brand_colour = "}*{x:y"
    tenant.save()
    case.refresh_from_db()
    html = responses.render_html(Response(case=case, kind="acknowledgement", language="en"))
    assert "--brand: #1f4e79;" in html and "}*{x:y" not in html


def test_it_uses_the_letter_date_given(db):
    tenant = thamra_like()
    case = make_case(tenant, "in_progress")
    response = Response(case=case, kind="acknowledgement", language="en")
    html = responses.render_html(response, now=datetime(2026, 3, 5, 12, tzinfo=zoneinfo.ZoneInfo("UTC")))
    assert "5 March 2026" in html


def test_it_skips_a_response_that_no_longer_exists(db):
    assert responses.render(987654321) == "skipped"
