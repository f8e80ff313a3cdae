"""Secrets: tokens are random enough and stored only hashed; identity documents are encrypted at
rest, and the encryption key rotates without losing a file."""

import json
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from dsar import actions, tokens, uploads
from dsar.models import AccessToken, Attachment

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"SECRET-PASSPORT-NUMBER-X1234567" * 20


def all_database_text() -> str:
    """Every row of every table, as text: what an attacker with a database dump would read."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            chunks.extend(json.dumps(row, default=str) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_it_stores_no_raw_token_in_the_database(acme, case_factory):
    case = case_factory(acme, "in_progress")
    raws = []
    for purpose in (AccessToken.Purpose.CONFIRM, AccessToken.Purpose.STATUS):
        signed = tokens.issue(case, purpose, timedelta(hours=1))
        raws.append(signed.rsplit(":", 2)[0])
    code = tokens.issue_code(case, timedelta(minutes=10))
    dump = all_database_text()
    for raw in raws:
        assert raw not in dump
    assert not AccessToken.objects.filter(token_hash__contains=code).exists()
    assert all(len(t.token_hash) == 64 for t in AccessToken.objects.filter(case=case))


def test_it_keeps_no_working_link_or_code_in_sent_emails(acme, case_factory):
    import re

    from django.core import mail

    from dsar import actions

    case = case_factory(acme, "unconfirmed")
    actions.send_status_link(case)
    links = [re.search(r"/(confirm|status/open)/([^\s/]+)/", m.body).group(2) for m in mail.outbox]
    assert len(links) == 2
    dump = all_database_text()
    for signed in links:
        assert signed.rsplit(":", 2)[0] not in dump
    assert case.emails.filter(kind="confirmation", state="sent").get().body.startswith("(Not kept")


def test_it_makes_tokens_with_at_least_128_random_bits(acme, case_factory):
    case = case_factory(acme, "in_progress")
    raws = {tokens.issue(case, AccessToken.Purpose.STATUS, timedelta(hours=1)).rsplit(":", 2)[0] for _ in range(200)}
    assert len(raws) == 200
    # token_urlsafe: 6 bits per character.
    assert min(len(raw) for raw in raws) * 6 >= 128
    alphabet = set("".join(raws))
    assert len(alphabet) > 50  # spread over the urlsafe alphabet, not a counter or a hex timestamp


def test_it_finds_a_token_only_through_its_signed_link(acme, case_factory):
    case = case_factory(acme, "in_progress")
    signed = tokens.issue(case, AccessToken.Purpose.STATUS, timedelta(hours=1))
    raw = signed.rsplit(":", 2)[0]
    assert tokens.lookup(signed, AccessToken.Purpose.STATUS, timedelta(hours=1)) is not None
    assert tokens.lookup(raw, AccessToken.Purpose.STATUS, timedelta(hours=1)) is None  # unsigned
    assert tokens.lookup(signed, AccessToken.Purpose.CONFIRM, timedelta(hours=1)) is None  # other purpose
    stored_hash = AccessToken.objects.get(case=case, purpose="status").token_hash
    assert tokens.lookup(stored_hash, AccessToken.Purpose.STATUS, timedelta(hours=1)) is None  # a leaked hash


def store_png(case):
    upload = SimpleUploadedFile("passport.png", PNG, content_type="image/png")
    return actions.store_attachment(case, None, kind=Attachment.Kind.IDENTITY, upload=upload, content_type="image/png")


def bytes_on_disk(attachment) -> bytes:
    with open(attachment.file.path, "rb") as handle:
        return handle.read()


def test_it_encrypts_identity_documents_at_rest(acme, case_factory, settings):
    settings.FILE_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    attachment = store_png(case_factory(acme, "in_progress"))
    on_disk = bytes_on_disk(attachment)
    assert attachment.encrypted
    assert b"SECRET-PASSPORT" not in on_disk and not on_disk.startswith(b"\x89PNG")
    assert "passport" not in attachment.file.name  # the subject's file name is not on disk either
    assert uploads.read_private(attachment) == PNG


def test_it_rotates_the_file_key_so_the_old_key_can_go(acme, case_factory, settings):
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FILE_ENCRYPTION_KEYS = [key_a]
    case = case_factory(acme, "in_progress")
    attachments = [store_png(case) for _ in range(3)]
    old_names = [a.file.name for a in attachments]

    settings.FILE_ENCRYPTION_KEYS = [key_b, key_a]
    assert all(uploads.read_private(a) == PNG for a in attachments)  # both keys read during the change
    call_command("rotate_file_keys")

    settings.FILE_ENCRYPTION_KEYS = [key_b]
    for attachment, old_name in zip(attachments, old_names, strict=True):
        attachment.refresh_from_db()
        assert uploads.read_private(attachment) == PNG
        assert Fernet(key_b).decrypt(bytes_on_disk(attachment)) == PNG
        assert attachment.file.name != old_name and not attachment.file.storage.exists(old_name)
    # Running it again changes nothing.
    names = [a.file.name for a in Attachment.objects.order_by("pk")]
    call_command("rotate_file_keys")
    assert [a.file.name for a in Attachment.objects.order_by("pk")] == names


def test_it_reports_files_whose_key_is_gone(acme, case_factory, settings):
    settings.FILE_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    attachment = store_png(case_factory(acme, "in_progress"))
    settings.FILE_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="could not be re-encrypted"):
        call_command("rotate_file_keys")
    settings.FILE_ENCRYPTION_KEYS = []
    attachment.refresh_from_db()
    assert attachment.file.storage.exists(attachment.file.name)  # nothing deleted on failure
