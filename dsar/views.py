"""The data subject's side: landing page, request form, email confirmation, status page, delivery.

Views only read and call dsar.actions; every change of a case happens there.
Pages that show personal data are never cached (never_cache).
"""

import re
from datetime import date, timedelta
from functools import wraps
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from tenants.models import REQUEST_TYPE_EXPLANATIONS
from tenants.scoping import get_public_tenant_or_404

from . import actions, clock, ratelimit, subject_session, tokens
from .forms import (
    CodeForm,
    RegionForm,
    ReplyForm,
    RequestForm,
    StatusLinkForm,
    new_idempotency_key,
    read_idempotency_key,
)
from .models import OPEN_STATUSES, AccessToken, Attachment, Case, ClockPause, Message, Response, Status


def not_found(request, tenant=None):
    return render(request, "public/404.html", {"tenant": tenant}, status=404)


def tenant_page(view):
    """Resolve the tenant from the URL (unknown slug: the neutral 404 page) and show times in its zone."""

    @wraps(view)
    def wrapper(request, tenant_slug, *args, **kwargs):
        try:
            tenant = get_public_tenant_or_404(tenant_slug)
        except Http404:
            return not_found(request)
        with timezone.override(clock.tenant_zone(tenant)):
            return view(request, tenant, *args, **kwargs)

    return wrapper


def too_many_requests(request, template, context, verdict):
    response = render(request, template, {**context, "throttled": True}, status=429)
    response["Retry-After"] = str(verdict.retry_after)
    return response


# --- Branding ---------------------------------------------------------------------------------


def _luminance(hex_colour: str) -> float:
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(a: float, b: float) -> float:
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)


def brand_palette(colour: str) -> dict:
    """The brand colour with readable text on it; links fall back to dark grey when it is too light."""
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour or ""):
        colour = "#1f4e79"
    lum = _luminance(colour)
    ink = "#ffffff" if _contrast(lum, 1.0) >= _contrast(lum, 0.0) else "#111111"
    text = colour if _contrast(lum, 1.0) >= 4.5 else "#1f2933"
    return {"brand": colour, "ink": ink, "text": text}


@tenant_page
def brand_css(request, tenant):
    palette = brand_palette(tenant.brand_colour)
    css = f":root{{--brand:{palette['brand']};--brand-ink:{palette['ink']};--brand-text:{palette['text']};}}\n"
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response


# --- Landing and intake -----------------------------------------------------------------------


@require_GET
@tenant_page
def landing(request, tenant):
    rights = [(choice, REQUEST_TYPE_EXPLANATIONS.get(choice, "")) for choice in tenant.offered_request_types()]
    return render(request, "public/landing.html", {
        "tenant": tenant, "rights": rights, "several_laws": tenant.rule_sets.count() > 1,
    })


def _chosen_rule_set(tenant, rule_sets, request):
    code = request.POST.get("rule_set") if request.method == "POST" else request.GET.get("region")
    chosen = next((rs for rs in rule_sets if rs.code == code), None)
    if chosen is None and len(rule_sets) == 1:
        chosen = rule_sets[0]
    return chosen


@never_cache
@tenant_page
def request_form(request, tenant):
    rule_sets = list(tenant.rule_sets.all())
    if not rule_sets:
        return render(request, "public/region.html", {"tenant": tenant, "unavailable": True})
    rule_set = _chosen_rule_set(tenant, rule_sets, request)
    if rule_set is None:
        # First step for organisations under several laws: where the subject lives picks the law.
        asked = "region" in request.GET or request.method == "POST"
        region_form = RegionForm(request.GET if asked else None, rule_sets=rule_sets)
        if asked:
            region_form.is_valid()
            if request.method == "POST":
                region_form.add_error("region", _("Choose where you live."))
        return render(request, "public/region.html", {"tenant": tenant, "form": region_form},
                      status=400 if request.method == "POST" else 200)

    context = {"tenant": tenant, "rule_set": rule_set, "several_laws": len(rule_sets) > 1}
    if request.method != "POST":
        form = RequestForm(tenant=tenant, rule_set=rule_set)
        return _render_request_form(request, form, new_idempotency_key(), context)

    form = RequestForm(request.POST, request.FILES, tenant=tenant, rule_set=rule_set)
    signed_key = request.POST.get("idempotency_key", "")
    key = read_idempotency_key(signed_key)
    ip_verdict = ratelimit.hit("intake-ip", ratelimit.client_ip(request), settings.INTAKE_RATE_PER_IP)
    if form.is_bot:
        # Same answer as a real submission, and nothing is stored.
        return redirect("dsar:request_sent", tenant.slug)
    if key and Case.objects.filter(tenant=tenant, idempotency_key=key).exists():
        # A double click or a resubmitted page: the request is already stored.
        return redirect("dsar:request_sent", tenant.slug)
    if not ip_verdict.allowed:
        form.is_valid()
        return _render_request_form(request, form, signed_key, context, throttled=ip_verdict)
    if not form.is_valid() or key is None:
        if key is None:
            form.add_error(None, _("This form was open for too long or was changed. Check your answers and send it again."))
        return _render_request_form(request, form, signed_key if key else new_idempotency_key(), context)
    email_verdict = ratelimit.hit("intake-email", form.cleaned_data["requester_email"], settings.INTAKE_RATE_PER_EMAIL)
    if not email_verdict.allowed:
        return _render_request_form(request, form, signed_key, context, throttled=email_verdict)
    try:
        actions.submit_request(tenant, idempotency_key=key, **form.submit_kwargs())
    except actions.ActionRefused as exc:
        form.add_error(None, str(exc))
        return _render_request_form(request, form, signed_key, context)
    return redirect("dsar:request_sent", tenant.slug)


def _render_request_form(request, form, signed_key, context, throttled=None):
    files_dropped = bool(request.FILES) and form.is_bound
    response = render(request, "public/request_form.html", {
        **context,
        "form": form,
        "groups": form.grouped(),
        "idempotency_key": signed_key,
        "throttled": bool(throttled),
        "files_dropped": files_dropped,
    }, status=429 if throttled else 200)
    if throttled:
        response["Retry-After"] = str(throttled.retry_after)
    return response


@require_GET
@tenant_page
def request_sent(request, tenant):
    return render(request, "public/request_sent.html", {"tenant": tenant, "hours": settings.CONFIRMATION_LINK_HOURS})


# --- Links from emails ------------------------------------------------------------------------


def _invalid_link(request, tenant, message=""):
    return render(request, "public/link_invalid.html", {"tenant": tenant, "form": StatusLinkForm(),
                                                          "message": message}, status=400)


@never_cache
@require_GET
@tenant_page
def confirm(request, tenant, token):
    access = tokens.lookup(token, AccessToken.Purpose.CONFIRM,
                           max_age=timedelta(hours=settings.CONFIRMATION_LINK_HOURS))
    if access is None or access.case.tenant_id != tenant.pk:
        return _invalid_link(request, tenant)
    try:
        case = actions.confirm_email(access)
    except actions.ActionRefused as exc:
        return _invalid_link(request, tenant, str(exc))
    subject_session.open_for(request, case)
    messages.success(request, _("Thank you: your email address is confirmed and your request is received."))
    return redirect("dsar:status", tenant.slug)


@never_cache
@require_GET
@tenant_page
def status_open(request, tenant, token):
    access = tokens.lookup(token, AccessToken.Purpose.STATUS, max_age=timedelta(days=settings.STATUS_LINK_DAYS))
    if access is None or access.case.tenant_id != tenant.pk or access.case.purged_at:
        return _invalid_link(request, tenant)
    subject_session.open_for(request, access.case)
    return redirect("dsar:status", tenant.slug)


@never_cache
@tenant_page
def status_link(request, tenant):
    """Lost the link? Reference + email; the same answer whether or not they match."""
    if request.method != "POST":
        return render(request, "public/status_link.html", {"tenant": tenant, "form": StatusLinkForm()})
    form = StatusLinkForm(request.POST)
    verdict = ratelimit.hit("status-link-ip", ratelimit.client_ip(request),
                            getattr(settings, "STATUS_LINK_RATE_PER_IP", settings.INTAKE_RATE_PER_IP))
    if not verdict.allowed:
        return too_many_requests(request, "public/status_link.html", {"tenant": tenant, "form": form}, verdict)
    if not form.is_valid():
        return render(request, "public/status_link.html", {"tenant": tenant, "form": form})
    reference = form.cleaned_data["reference"].strip()
    case = Case.objects.filter(tenant=tenant, reference__iexact=reference, purged_at__isnull=True,
                               requester_email__iexact=form.cleaned_data["email"].strip()).first()
    # Per case as well: nobody can flood a requester's inbox from many addresses.
    if case and ratelimit.hit("status-link-case", str(case.pk), settings.INTAKE_RATE_PER_EMAIL).allowed:
        actions.send_status_link(case)
    return redirect("dsar:status_link_sent", tenant.slug)


@require_GET
@tenant_page
def status_link_sent(request, tenant):
    return render(request, "public/status_link_sent.html", {"tenant": tenant})


# --- Status page ------------------------------------------------------------------------------


def _subject_case_or_redirect(view):
    @wraps(view)
    def wrapper(request, tenant, *args, **kwargs):
        case = subject_session.current_case(request, tenant)
        if case is None:
            return redirect("dsar:status_link", tenant.slug)
        return view(request, tenant, case, *args, **kwargs)

    return wrapper


def _fmt_date(value):
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def describe_event(event):
    """An audit event in plain words for the requester, or None when it is internal."""
    new = event.new_value or {}
    simple = {
        "submitted": _("You sent your request."),
        "logged": _("We recorded your request."),
        "email_confirmed": _("You confirmed your email address. Your request counts as received from this day."),
        "verification_started": _("We started checking your identity."),
        "identity_verified": _("We confirmed your identity."),
        "requester_replied": _("You replied."),
        "clock_resumed": _("We resumed work on your request."),
        "message_sent": _("We sent you a message."),
        "withdrawn": _("Your request was withdrawn."),
        "closed_unconfirmed": _("Your request was closed because the email address was not confirmed in time."),
        "reopened": _("We reopened your request."),
        "response_sent": _("Our answer is ready."),
        "identity_documents_deleted": _("We deleted the identity documents you sent us, as promised."),
    }
    kind = event.event_type
    if kind in simple:
        return simple[kind]
    if kind == "information_requested":
        text = _("We asked you for more information.")
        if new.get("clock_paused"):
            text += " " + _("The deadline is paused until you reply.")
        return text
    if kind == "extended":
        return _("We extended the deadline to %(date)s. Reason: %(reason)s") % {
            "date": _fmt_date(new.get("due_date")), "reason": event.message}
    if kind == "completed":
        if new.get("status") == Status.PARTIALLY_COMPLETED:
            return _("We answered your request in part.")
        return _("We completed your request.")
    if kind == "denied":
        reason = Case.DenialReason(new["reason"]).label if new.get("reason") in Case.DenialReason.values else ""
        return _("We refused your request: %(reason)s.") % {"reason": reason}
    if kind == "forwarded":
        return _("We passed your request to the organisation responsible for your data: %(controller)s.") % {
            "controller": new.get("forwarded_to", "")}
    if kind == "marked_duplicate":
        return _("We closed this request because it repeats an earlier one (%(reference)s).") % {
            "reference": new.get("duplicate_of", "")}
    if kind == "downloaded":
        return _("The letter was downloaded.") if new.get("file") == "letter" else _("The data package was downloaded.")
    if kind == "download_access_reissued":
        return _("Download access was renewed until %(date)s.") % {"date": _fmt_date(new.get("download_expires_at"))}
    return None


def timeline(case):
    items = []
    for event in case.events.order_by("created_at", "id"):
        text = describe_event(event)
        if text:
            items.append({"when": event.created_at, "text": text})
    return items


def _reply_kind(case):
    # Evidence asked for identity checks is an identity document: it is deleted after verification.
    pause = case.pauses.filter(ended_at__isnull=True).order_by("-started_at").first()
    if case.status == Status.AWAITING_REQUESTER and pause and pause.reason == ClockPause.Reason.IDENTITY:
        return Attachment.Kind.IDENTITY
    return Attachment.Kind.DOCUMENT


def _download_access_open(case):
    return bool(case.download_expires_at and case.download_expires_at > timezone.now())


def _render_status(request, tenant, case, *, reply_form=None, code_form=None, status=200):
    answers = list(case.responses.filter(state=Response.State.SENT).order_by("sent_at"))
    conversation = (case.messages.filter(direction__in=[Message.Direction.TO_REQUESTER, Message.Direction.FROM_REQUESTER])
                    .prefetch_related("attachments"))
    return render(request, "public/status.html", {
        "tenant": tenant,
        "case": case,
        "timeline": timeline(case),
        "conversation": conversation,
        "can_reply": case.status in OPEN_STATUSES,
        "reply_form": reply_form or ReplyForm(),
        "code_form": code_form or CodeForm(),
        "answers": answers,
        "download_open": _download_access_open(case),
        "unlocked": subject_session.downloads_unlocked(request, case),
        "code_sent": case.tokens.filter(purpose=AccessToken.Purpose.DOWNLOAD_CODE, used_at__isnull=True,
                                        expires_at__gt=timezone.now()).exists(),
    }, status=status)


@never_cache
@require_GET
@tenant_page
@_subject_case_or_redirect
def status(request, tenant, case):
    return _render_status(request, tenant, case)


@never_cache
@require_POST
@tenant_page
@_subject_case_or_redirect
def status_reply(request, tenant, case):
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_status(request, tenant, case, reply_form=form)
    document = form.cleaned_data.get("document")
    files = [(_reply_kind(case), document, document.sniffed_type)] if document else []
    try:
        actions.requester_reply(case, body=form.cleaned_data["body"], files=files)
    except actions.ActionRefused as exc:
        form.add_error(None, str(exc))
        return _render_status(request, tenant, case, reply_form=form)
    messages.success(request, _("Thank you: your reply was sent."))
    return redirect(reverse("dsar:status", args=[tenant.slug]) + "#conversation")


@never_cache
@require_POST
@tenant_page
def status_signout(request, tenant):
    subject_session.close(request)
    messages.info(request, _("You are signed out of your request."))
    return redirect("dsar:landing", tenant.slug)


# --- Secure delivery --------------------------------------------------------------------------


def _has_sent_answer(case):
    return case.responses.filter(state=Response.State.SENT).exists()


@never_cache
@require_POST
@tenant_page
@_subject_case_or_redirect
def download_code_send(request, tenant, case):
    if not _has_sent_answer(case) or not _download_access_open(case):
        messages.error(request, _("There is nothing to download, or access has expired. Contact us to renew it."))
        return redirect("dsar:status", tenant.slug)
    verdict = ratelimit.hit("download-code", str(case.pk), getattr(settings, "DOWNLOAD_CODE_RATE", "5/h"))
    if not verdict.allowed:
        messages.error(request, _("Too many codes were requested. Please wait an hour and try again."))
        return redirect(reverse("dsar:status", args=[tenant.slug]) + "#answer")
    actions.send_download_code(case)
    messages.success(request, _("We emailed you a 6-digit code. Enter it below within %(minutes)s minutes.")
                     % {"minutes": settings.DOWNLOAD_CODE_MINUTES})
    return redirect(reverse("dsar:status", args=[tenant.slug]) + "#answer")


@never_cache
@require_POST
@tenant_page
@_subject_case_or_redirect
def download_code_check(request, tenant, case):
    form = CodeForm(request.POST)
    if form.is_valid():
        with transaction.atomic():
            ok = tokens.check_code(case, form.cleaned_data["code"].strip(), settings.DOWNLOAD_CODE_ATTEMPTS)
        if ok and _download_access_open(case):
            subject_session.unlock_downloads(request, case)
            messages.success(request, _("Code accepted. You can download your answer now."))
            return redirect(reverse("dsar:status", args=[tenant.slug]) + "#answer")
        form.add_error("code", _("This code is not right or has expired. Check the email, or ask for a new code."))
    return _render_status(request, tenant, case, code_form=form)


@never_cache
@require_GET
@tenant_page
@_subject_case_or_redirect
def download(request, tenant, case, response_id, what):
    response = case.responses.filter(pk=response_id, state=Response.State.SENT).first()
    stored = getattr(response, what, None) if what in ("letter", "package") else None
    if response is None or not stored:
        return not_found(request, tenant)
    if not _download_access_open(case) or not subject_session.downloads_unlocked(request, case):
        messages.error(request, _("Enter a one-time code to download your answer."))
        return redirect(reverse("dsar:status", args=[tenant.slug]) + "#answer")
    actions.record_download(case, response, what)
    suffix = PurePosixPath(stored.name).suffix or (".pdf" if what == "letter" else ".zip")
    return FileResponse(stored.open("rb"), as_attachment=True, filename=f"{case.reference}-{what}{suffix}")
