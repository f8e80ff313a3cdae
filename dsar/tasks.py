"""django-q2 entry points. They take ids, re-read the rows, and are safe to run twice."""

import logging

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from .models import OutboundEmail

log = logging.getLogger(__name__)


def send_email(email_id: int):
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.state == OutboundEmail.State.SENT:
            return "skipped"
        email.attempts += 1
        try:
            EmailMessage(
                subject=email.subject,
                body=email.body,
                to=[email.to],
                headers={"Message-ID": f"<{email.idempotency_key.replace(':', '.')}@dsar>"},
            ).send()
        except Exception as exc:  # noqa: BLE001 - any transport failure is recorded and retried
            email.state = OutboundEmail.State.FAILED
            email.last_error = f"{type(exc).__name__}: {exc}"
            email.save(update_fields=["attempts", "state", "last_error"])
            raise
        email.state = OutboundEmail.State.SENT
        email.sent_at = timezone.now()
        email.last_error = ""
        email.save(update_fields=["attempts", "state", "sent_at", "last_error"])
    return "sent"


def render_response(response_id: int):
    from . import responses

    return responses.render(response_id)
