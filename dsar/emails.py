"""One function per email. Each records an OutboundEmail (unique idempotency key) and enqueues its
sending inside the caller's transaction, so a rolled-back change sends nothing and a repeated event
sends nothing twice."""

from django.conf import settings
from django.template import Context, Template, TemplateSyntaxError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from .models import EmailTemplate, OutboundEmail
from .queue import enqueue


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def _render(tenant, kind, language, context):
    """Subject and body: the tenant's own template for this kind and language, else ours."""
    custom = EmailTemplate.objects.filter(tenant=tenant, kind=kind, language=language).first()
    with translation.override(language):
        if custom is not None:
            try:
                ctx = Context(context, autoescape=False)
                return Template(custom.subject).render(ctx).strip(), Template(custom.body).render(ctx)
            except TemplateSyntaxError:
                pass  # a broken custom template must not stop the email: fall back to ours
        subject = render_to_string(f"emails/{kind}_subject.txt", context).strip()
        body = render_to_string(f"emails/{kind}.txt", context)
    return " ".join(subject.split()), body


def queue_email(*, tenant, case, kind, key, to, language, context) -> OutboundEmail | None:
    """Create the email once per idempotency key and enqueue its sending. None when already queued."""
    context = {"tenant": tenant, "case": case, **context}
    subject, body = _render(tenant, kind, language, context)
    email, created = OutboundEmail.objects.get_or_create(
        idempotency_key=key,
        defaults=dict(tenant=tenant, case=case, kind=kind, to=to, subject=subject, body=body),
    )
    if not created:
        return None
    enqueue("dsar.tasks.send_email", email.pk, task_name=f"email-{email.pk}")
    return email


def _case_email(case, kind, key_suffix="", **context):
    return queue_email(
        tenant=case.tenant,
        case=case,
        kind=kind,
        key=f"case:{case.pk}:{kind}{':' + key_suffix if key_suffix else ''}",
        to=case.requester_email,
        language=case.language,
        context=context,
    )


def confirmation(case, signed_token):
    url = absolute(reverse("dsar:confirm", args=[case.tenant.slug, signed_token]))
    return _case_email(case, "confirmation", confirm_url=url, hours=settings.CONFIRMATION_LINK_HOURS)


def confirmation_reminder(case, signed_token):
    url = absolute(reverse("dsar:confirm", args=[case.tenant.slug, signed_token]))
    return _case_email(case, "confirmation_reminder", confirm_url=url)


def status_link(case, signed_token, nonce):
    url = absolute(reverse("dsar:status_open", args=[case.tenant.slug, signed_token]))
    return _case_email(case, "status_link", nonce, status_url=url)


def acknowledgement(case):
    return _case_email(case, "acknowledgement", status_url=absolute(reverse("dsar:status", args=[case.tenant.slug])))


def message_to_requester(case, message):
    return _case_email(
        case, "message", str(message.pk), message=message, status_url=absolute(reverse("dsar:status", args=[case.tenant.slug]))
    )


def extension_notice(case, extension):
    return _case_email(case, "extension_notice", str(extension.pk), extension=extension)


def answer_ready(case, response):
    return _case_email(
        case, "answer_ready", str(response.pk), response=response,
        status_url=absolute(reverse("dsar:status", args=[case.tenant.slug])),
    )


def download_code(case, code, nonce):
    return _case_email(case, "download_code", nonce, code=code, minutes=settings.DOWNLOAD_CODE_MINUTES)


def closed_unconfirmed(case):
    return _case_email(case, "closed_unconfirmed")


def staff_notice(user, case, kind, key, **context):
    """Emails to staff (assignee, owners): always in English for now, keyed per event."""
    if not user.email:
        return None
    admin_url = absolute(reverse("admin:dsar_case_change", args=[case.pk]))
    return queue_email(
        tenant=case.tenant, case=case, kind=kind, key=key, to=user.email, language="en",
        context={"user": user, "admin_url": admin_url, **context},
    )
