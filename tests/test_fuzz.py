"""Hypothesis throws random and hostile input at every public form and the status page.

Whatever comes in: never a 500, and never a half-saved case (every case has its reference, its
"submitted" audit event and its confirmation email; no NUL byte reaches a text column, which
PostgreSQL would refuse mid-transaction).
"""

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsar import subject_session
from dsar.forms import HONEYPOT_FIELD, new_idempotency_key, read_idempotency_key
from dsar.models import AuditEvent, Case, Message, OutboundEmail
from tenants.models import IdentityField

from .conftest import make_case, make_tenant

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

HOSTILE_CHARACTERS = ["\x00", "\u202e", "\u202d", "\u2066", "\u200b", "\ufeff", "\r", "\n", "\t", "\x1b", "\x7f",
                      "'", '"', "<", ">", "&", "{{", "{%", "%s", "\\", "/../", "ي", "😀", "\u0301"]

hostile_text = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=300),
    st.lists(st.sampled_from(HOSTILE_CHARACTERS), max_size=40).map("".join),
    st.builds(lambda piece, n: piece * n, st.sampled_from(HOSTILE_CHARACTERS + ["A", "é"]), st.integers(1, 70_000)),
    st.sampled_from(["", " ", "null", "None", "0", "-1", "[]", "{}", "<script>alert(1)</script>",
                     "'; DROP TABLE dsar_case; --", "\x00" * 10, "a@b.c\x00", "\u202egnp.exe"]),
)
email_like = st.one_of(
    st.builds(lambda local: f"{local}@example.com", st.text("abcxyz.+-_\u202e\x00", min_size=1, max_size=30)),
    hostile_text,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
file_content = st.one_of(st.binary(max_size=2000), st.just(PNG), st.just(b"%PDF-1.4\n%%EOF"), st.just(b""))
file_name = st.one_of(hostile_text.filter(lambda name: 0 < len(name) < 300), st.just("passport.png"))


@pytest.fixture
def tenant(db, settings):
    settings.INTAKE_RATE_PER_IP = "100000/h"
    settings.INTAKE_RATE_PER_EMAIL = "100000/h"
    settings.STATUS_LINK_RATE_PER_IP = "100000/h"
    tenant = make_tenant("fuzzco")
    IdentityField.objects.create(tenant=tenant, key="account", label="Account ID")
    IdentityField.objects.create(tenant=tenant, key="pin", label="Support PIN", secret=True)
    return tenant


def client_side_name(name: str) -> str:
    """The test client builds uploads from a name it validates itself; browsers' raw names are
    covered by the hand-written multipart test."""
    base = os.path.basename(name.replace("\x00", ""))
    return base if base not in ("", ".", "..") else "x"


def assert_no_half_saved_case():
    for case in Case.objects.all():
        assert case.reference, case.pk
        if case.channel == Case.Channel.WEB:
            assert AuditEvent.objects.filter(case=case, event_type="submitted").count() == 1, case.reference
            assert OutboundEmail.objects.filter(case=case, kind="confirmation").count() == 1, case.reference
        for value in (case.requester_name, case.requester_email, case.requester_phone, case.subject_name,
                      case.description, *map(str, case.identity_answers.keys()),
                      *map(str, case.identity_answers.values())):
            assert "\x00" not in value
        for attachment in case.attachments.all():
            assert "\x00" not in attachment.original_name
    for message in Message.objects.all():
        assert "\x00" not in message.body


def assert_not_server_error(response):
    assert response.status_code < 500, response.status_code


def request_url(tenant):
    return reverse("dsar:request", args=[tenant.slug])


@FUZZ
@given(
    name=hostile_text, email=email_like, phone=hostile_text, description=hostile_text, account=hostile_text,
    pin=hostile_text, request_type=st.one_of(st.just("access"), hostile_text),
    relationship=st.sampled_from(["self", "parent", "agent", "", "\x00", "nobody"]),
    subject_name=hostile_text, language=st.sampled_from(["en", "ar", "xx", "\x00"]),
    key=st.sampled_from(["fresh", "garbage", "missing"]), honeypot=st.booleans(),
    extra=st.dictionaries(hostile_text.filter(lambda k: 0 < len(k) < 50), hostile_text, max_size=3),
)
def test_it_survives_hostile_request_forms(tenant, name, email, phone, description, account, pin, request_type,
                                           relationship, subject_name, language, key, honeypot, extra):
    data = {**extra, "request_type": request_type, "relationship": relationship, "requester_name": name,
            "requester_email": email, "requester_phone": phone, "subject_name": subject_name,
            "description": description, "language": language, "identity_account": account, "identity_pin": pin}
    if key == "fresh":
        data["idempotency_key"] = new_idempotency_key()
    elif key == "garbage":
        data["idempotency_key"] = name[:100]
    if honeypot:
        data[HONEYPOT_FIELD] = "http://spam.example"
    before = Case.objects.count()
    response = Client().post(request_url(tenant), data)
    assert_not_server_error(response)
    if honeypot or key != "fresh":
        assert Case.objects.count() == before
    assert_no_half_saved_case()


def allowed(limit):
    return lambda text: "\x00" not in text and len(text) <= limit


@FUZZ
@given(name=hostile_text.filter(lambda s: s.strip() and allowed(200)(s)),
       description=hostile_text.filter(allowed(5000)), account=hostile_text.filter(allowed(200)))
def test_it_stores_odd_but_valid_requests_whole(tenant, name, description, account):
    """Text that is odd but allowed (RTL overrides, emoji, markup, control characters) is stored, whole."""
    key = new_idempotency_key()
    data = {"request_type": "access", "relationship": "self", "requester_name": name,
            "requester_email": "odd@example.com", "description": description, "language": "en",
            "identity_account": account, "idempotency_key": key}
    response = Client().post(request_url(tenant), data)
    assert response.status_code == 302
    case = Case.objects.get(idempotency_key=read_idempotency_key(key))
    assert case.requester_name == name.strip()
    assert case.description == description.strip()
    assert case.identity_answers.get("account", "") == account.strip()
    assert_no_half_saved_case()


@FUZZ
@given(content=file_content, filename=file_name, content_type=st.sampled_from(
    ["image/png", "application/pdf", "text/html", "application/x-msdownload", "", "image/png\x00"]),
    field=st.sampled_from(["identity_document", "guardianship", "authorisation", "unknown_file"]))
def test_it_survives_hostile_uploads(tenant, content, filename, content_type, field):
    upload = SimpleUploadedFile(client_side_name(filename), content, content_type=content_type or None)
    data = {"request_type": "access", "relationship": "self", "requester_name": "Up Loader",
            "requester_email": "upload@example.com", "language": "en", "idempotency_key": new_idempotency_key(),
            field: upload}
    response = Client().post(request_url(tenant), data)
    assert_not_server_error(response)
    assert_no_half_saved_case()


def multipart_with_raw_filename(filename: bytes, content: bytes, fields: dict, boundary=b"fuzzboundary"):
    """A multipart body written by hand, so the file name can hold bytes a browser would never send."""
    parts = []
    for name, value in fields.items():
        parts.append(b"--" + boundary + b"\r\nContent-Disposition: form-data; name=\"" + name.encode()
                     + b"\"\r\n\r\n" + value.encode() + b"\r\n")
    parts.append(b"--" + boundary + b"\r\nContent-Disposition: form-data; name=\"identity_document\"; filename=\""
                 + filename + b"\"\r\nContent-Type: image/png\r\n\r\n" + content + b"\r\n")
    parts.append(b"--" + boundary + b"--\r\n")
    return b"".join(parts), f"multipart/form-data; boundary={boundary.decode()}"


@FUZZ
@given(filename=st.binary(min_size=1, max_size=300).filter(lambda b: b'"' not in b and b"\r" not in b and b"\n" not in b))
def test_it_survives_raw_bytes_and_nul_in_file_names(tenant, filename):
    body, content_type = multipart_with_raw_filename(
        filename, PNG,
        {"request_type": "access", "relationship": "self", "requester_name": "Raw Name",
         "requester_email": "raw@example.com", "language": "en", "idempotency_key": new_idempotency_key()},
    )
    response = Client().generic("POST", request_url(tenant), body, content_type=content_type)
    assert_not_server_error(response)
    assert_no_half_saved_case()


@FUZZ
@given(body=st.binary(max_size=3000), content_type=st.sampled_from([
    "multipart/form-data; boundary=xyz", "multipart/form-data", "multipart/form-data; boundary=",
    "multipart/form-data; boundary=" + "b" * 200, "application/json", "text/plain", "application/xml",
    "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-16",
    "application/x-www-form-urlencoded; charset=nonsense", "", "image/png",
]), view=st.sampled_from(["request", "status_link", "status_reply", "download_code_check"]))
def test_it_survives_malformed_bodies_and_wrong_content_types(tenant, body, content_type, view):
    client = Client()
    open_status_session(client, tenant)
    response = client.generic("POST", reverse(f"dsar:{view}", args=[tenant.slug]), body, content_type=content_type)
    assert_not_server_error(response)
    assert_no_half_saved_case()


@FUZZ
@given(reference=hostile_text, email=email_like)
def test_it_survives_hostile_status_link_requests(tenant, reference, email):
    response = Client().post(reverse("dsar:status_link", args=[tenant.slug]), {"reference": reference, "email": email})
    assert_not_server_error(response)


def open_status_session(client, tenant):
    case = Case.objects.filter(tenant=tenant, channel=Case.Channel.EMAIL).first()
    if case is None:
        case = make_case(tenant, "awaiting_requester", email="fuzz-subject@example.com")
    session = client.session
    session[subject_session.SESSION_KEY] = {"tenant": tenant.pk, "case": case.pk}
    session.save()
    return case


@FUZZ
@given(body=hostile_text, content=st.one_of(st.none(), file_content), filename=file_name)
def test_it_survives_hostile_status_replies(tenant, body, content, filename):
    client = Client()
    open_status_session(client, tenant)
    data = {"body": body}
    if content is not None:
        data["document"] = SimpleUploadedFile(client_side_name(filename), content)
    response = client.post(reverse("dsar:status_reply", args=[tenant.slug]), data)
    assert_not_server_error(response)
    assert_no_half_saved_case()


@FUZZ
@given(code=hostile_text)
def test_it_survives_hostile_download_codes(tenant, code):
    client = Client()
    open_status_session(client, tenant)
    response = client.post(reverse("dsar:download_code_check", args=[tenant.slug]), {"code": code})
    assert_not_server_error(response)


@FUZZ
@given(token=hostile_text.filter(lambda t: t and "/" not in t and "\x00" not in t),
       query=st.dictionaries(hostile_text.filter(bool), hostile_text, max_size=3),
       view=st.sampled_from(["confirm", "status_open"]))
def test_it_survives_hostile_links_and_status_queries(tenant, token, query, view):
    client = Client()
    assert_not_server_error(client.get(reverse(f"dsar:{view}", args=[tenant.slug, token])))
    open_status_session(client, tenant)
    assert_not_server_error(client.get(reverse("dsar:status", args=[tenant.slug]), query))
    assert_not_server_error(client.get(request_url(tenant), query))


# (Names that are not UTF-8 are covered by the fuzz test above: Django's parser may drop such a file.)
@pytest.mark.parametrize("filename", [b"id\x00card.png", b"\xe2\x80\xaegnp.exe", b"../../etc/passwd", b"C:\\x\\id.png"])
def test_it_stores_a_request_whose_file_name_is_hostile(tenant, filename):
    body, content_type = multipart_with_raw_filename(
        filename, PNG,
        {"request_type": "access", "relationship": "self", "requester_name": "Raw Name",
         "requester_email": "raw@example.com", "language": "en", "idempotency_key": new_idempotency_key()},
    )
    response = Client().generic("POST", request_url(tenant), body, content_type=content_type)
    assert response.status_code == 302
    case = Case.objects.get(requester_email="raw@example.com")
    attachment = case.attachments.get()
    assert "\x00" not in attachment.original_name and "/" not in attachment.original_name
    assert ".." not in attachment.file.name
    assert_no_half_saved_case()


def test_it_refuses_nul_bytes_in_identity_answers_with_a_message(tenant):
    data = {"request_type": "access", "relationship": "self", "requester_name": "Nul Answer",
            "requester_email": "nul@example.com", "language": "en", "identity_account": "12\x0034",
            "idempotency_key": new_idempotency_key()}
    response = Client().post(request_url(tenant), data)
    assert response.status_code == 200
    assert "Null characters are not allowed" in response.content.decode()
    assert not Case.objects.filter(requester_email="nul@example.com").exists()
