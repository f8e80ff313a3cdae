"""Private files: type checked by content, size limited, encrypted at rest, stored outside the web root.

Encryption keys come from FILE_ENCRYPTION_KEYS (comma-separated Fernet keys, newest first): files are
written with the first key and read with any of them, so keys rotate by prepending a new one and
running `manage.py rotate_file_keys` (see SECURITY.md).
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

ALLOWED_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
DATA_TYPES = {"text/csv": ".csv", "application/json": ".json"}


def sniff(head: bytes) -> str | None:
    """The real type of a file from its first bytes, among the types we accept."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def validate_document(upload) -> str:
    """Check size and content type of an uploaded document; returns its real content type."""
    if upload.size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("The file is too large (at most %(mb)s MB).") % {"mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff(head)
    if content_type is None:
        raise ValidationError(
            _("This file is not a PDF, JPEG or PNG document. Please upload a scan or photo in one of these formats."),
            code="bad_type",
        )
    return content_type


def _fernet() -> MultiFernet:
    keys = [k.strip() for k in getattr(settings, "FILE_ENCRYPTION_KEYS", []) if k.strip()]
    if not keys:
        # Development default: derived from SECRET_KEY so a fresh checkout works.
        digest = hashlib.sha256(("file-encryption:" + settings.SECRET_KEY).encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(k) for k in keys])


def encrypt(data: bytes) -> bytes:
    return _fernet().encrypt(data)


def decrypt(data: bytes) -> bytes:
    try:
        return _fernet().decrypt(data)
    except InvalidToken as exc:
        raise ValidationError("The file cannot be decrypted with the configured keys.") from exc


def save_private(case, upload, *, kind, content_type, message=None, task=None, from_requester=False, uploaded_by=None):
    from .models import Attachment

    upload.seek(0)
    data = upload.read()
    attachment = Attachment(
        case=case,
        message=message,
        task=task,
        kind=kind,
        original_name=(getattr(upload, "name", "") or "upload")[:255],
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        encrypted=True,
        from_requester=from_requester,
        uploaded_by=uploaded_by,
    )
    attachment.file.save("blob", ContentFile(encrypt(data)), save=False)
    attachment.save()
    return attachment


def read_private(attachment) -> bytes:
    with attachment.file.open("rb") as handle:
        data = handle.read()
    return decrypt(data) if attachment.encrypted else data


def rotate(attachment) -> bool:
    """Re-encrypt with the newest key; True when the file changed."""
    if not attachment.file or not attachment.encrypted:
        return False
    with attachment.file.open("rb") as handle:
        token = handle.read()
    fernet = _fernet()
    try:
        fernet._fernets[0].decrypt(token)
        return False  # already under the newest key
    except InvalidToken:
        pass
    rotated = fernet.rotate(token)
    # Write the new file before dropping the old one: a crash in between must not lose the document.
    old_name = attachment.file.name
    storage = attachment.file.storage
    new_name = storage.save(old_name, ContentFile(rotated))
    type(attachment).objects.filter(pk=attachment.pk).update(file=new_name)
    attachment.file.name = new_name
    storage.delete(old_name)
    return True
