"""django-q2 entry points. They take ids, re-read the rows, and are safe to run twice."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from .models import OutboundEmail
from .queue import enqueue

log = logging.getLogger(__name__)

# After this many failed sends an email stays FAILED (shown on the case and in job health) for a human.
EMAIL_MAX_ATTEMPTS = 8
PENDING_BATCH = 500
# Emails that carry a one-time link or code: once delivered, the stored copy loses its text, so that a
# database dump holds no working secret (tokens themselves are stored only as hashes).
SECRET_KINDS = {"confirmation", "confirmation_reminder", "status_link", "download_code"}
REDACTED_BODY = "(Not kept after sending: this email carried a one-time link or code for its recipient only.)"


class EmailNotSent(Exception):
    """Raised by the task so that django-q records the failure (job health counts them)."""


def backoff(attempts: int) -> timedelta:
    """Delay before the next try: 2, 4, 8 … minutes after each failure, at most six hours."""
    return timedelta(minutes=min(2**attempts, 360))


def _deliver(email_id: int) -> tuple[str, str]:
    """Send one email once: the row lock makes a concurrent worker wait, then see SENT and skip."""
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.state == OutboundEmail.State.SENT:
            return "skipped", ""
        if email.state == OutboundEmail.State.FAILED and email.attempts >= EMAIL_MAX_ATTEMPTS:
            return "gave_up", email.last_error
        email.attempts += 1
        try:
            if not email.body and email.kind in ("sla_reminder", "escalation"):
                from .jobs import render_sla_email

                # Reminders queued unrendered by earlier versions of the sweep: render once, here, and keep it.
                email.subject, email.body = render_sla_email(email)
                email.save(update_fields=["subject", "body"])
            EmailMessage(
                subject=email.subject,
                body=email.body,
                to=[email.to],
                headers={"Message-ID": f"<{email.idempotency_key.replace(':', '.')}@dsar>"},
            ).send()
        except Exception as exc:  # noqa: BLE001 - any transport failure is recorded and retried
            email.state = OutboundEmail.State.FAILED
            email.last_error = f"{type(exc).__name__}: {exc}"
            more = email.attempts < EMAIL_MAX_ATTEMPTS
            email.next_attempt_at = timezone.now() + backoff(email.attempts) if more else None
            email.save(update_fields=["attempts", "state", "last_error", "next_attempt_at"])
            log.warning("Email %s not sent (attempt %s): %s", email.pk, email.attempts, email.last_error)
            return "failed", email.last_error
        email.state = OutboundEmail.State.SENT
        email.sent_at = timezone.now()
        email.last_error = ""
        email.next_attempt_at = None
        if email.kind in SECRET_KINDS:
            email.body = REDACTED_BODY
        email.save(update_fields=["attempts", "state", "sent_at", "last_error", "next_attempt_at", "body"])
    return "sent", ""


def deliver(email_id: int) -> str:
    """Like send_email, but a failure is only recorded (for jobs that send many)."""
    return _deliver(email_id)[0]


def send_email(email_id: int):
    outcome, error = _deliver(email_id)
    # The failure is saved on the email and the retry_emails job tries again after the back-off.
    # In a worker, raising also marks the django-q task failed (job health counts it); in sync mode
    # the task runs inside the caller's transaction, which a mail server being down must not undo.
    if outcome == "failed" and not settings.Q_CLUSTER.get("sync"):
        raise EmailNotSent(f"email {email_id}: {error}")
    return outcome


def send_pending_emails():
    """Send emails created in bulk (reminders, digests); a large backlog continues in a new task."""
    ids = list(
        OutboundEmail.objects.filter(state=OutboundEmail.State.PENDING)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[: PENDING_BATCH + 1]
    )
    sent = sum(deliver(email_id) == "sent" for email_id in ids[:PENDING_BATCH])
    if len(ids) > PENDING_BATCH:
        enqueue("dsar.tasks.send_pending_emails", task_name=f"send-pending-after-{ids[PENDING_BATCH - 1]}")
    return sent


def render_response(response_id: int):
    from . import responses

    return responses.render(response_id)
