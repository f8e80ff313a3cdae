"""Letters (PDF) and data packages (ZIP) for a case: what the subject reads and a regulator asks to see.

`render(response_id)` is the django-q2 task body (dsar.tasks.render_response): it renders the letter
from our own templates (templates/letters/<language>/, text written in each language), stores it in
private storage with its SHA-256, adds the portability package for access and portability answers,
and marks the Response READY, or FAILED with a reason shown on the case. A sent response is frozen.
"""

import hashlib
import re

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import dateformat, timezone, translation

from tenants.models import RequestType

from . import annex, clock, package, pdf
from .models import Case, Decision, Message, Response

LANGUAGES = ("en", "ar")
PACKAGE_REQUEST_TYPES = (RequestType.ACCESS, RequestType.PORTABILITY)
DEFAULT_BRAND_COLOUR = "#1f4e79"
BRAND_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")

# Letter text lives in the templates, written in each language; these few labels are shared by them.
REQUEST_LABELS = {
    "en": {
        RequestType.ACCESS: "Access to your personal data",
        RequestType.RECTIFICATION: "Correction of your personal data",
        RequestType.ERASURE: "Erasure of your personal data",
        RequestType.PORTABILITY: "A portable copy of your personal data",
        RequestType.RESTRICTION: "Restriction of the processing of your personal data",
        RequestType.OBJECTION: "Objection to the processing of your personal data",
        RequestType.CONSENT_WITHDRAWAL: "Withdrawal of your consent",
        RequestType.OPT_OUT: "Not to sell or share your personal information",
        RequestType.LIMIT_USE: "Limiting the use of your sensitive personal information",
    },
    "ar": {
        RequestType.ACCESS: "الوصول إلى بياناتك الشخصية",
        RequestType.RECTIFICATION: "تصحيح بياناتك الشخصية",
        RequestType.ERASURE: "حذف بياناتك الشخصية",
        RequestType.PORTABILITY: "الحصول على نسخة قابلة للنقل من بياناتك الشخصية",
        RequestType.RESTRICTION: "تقييد معالجة بياناتك الشخصية",
        RequestType.OBJECTION: "الاعتراض على معالجة بياناتك الشخصية",
        RequestType.CONSENT_WITHDRAWAL: "سحب موافقتك",
        RequestType.OPT_OUT: "عدم بيع معلوماتك الشخصية أو مشاركتها",
        RequestType.LIMIT_USE: "تقييد استخدام معلوماتك الشخصية الحساسة",
    },
}
OUTCOME_LABELS = {
    "en": {
        Decision.Outcome.DISCLOSED: "Disclosed (copy enclosed)",
        Decision.Outcome.RECTIFIED: "Corrected",
        Decision.Outcome.ERASED: "Erased",
        Decision.Outcome.RESTRICTED: "Processing restricted",
        Decision.Outcome.STOPPED: "Processing stopped",
        Decision.Outcome.KEPT: "Kept",
        Decision.Outcome.NOT_HELD: "We hold none",
    },
    "ar": {
        Decision.Outcome.DISCLOSED: "تم الإفصاح عنها (النسخة مرفقة)",
        Decision.Outcome.RECTIFIED: "تم تصحيحها",
        Decision.Outcome.ERASED: "تم حذفها",
        Decision.Outcome.RESTRICTED: "تم تقييد معالجتها",
        Decision.Outcome.STOPPED: "تم إيقاف معالجتها",
        Decision.Outcome.KEPT: "تم الاحتفاظ بها",
        Decision.Outcome.NOT_HELD: "لا نحتفظ بأي بيانات منها",
    },
}
DENIAL_LABELS = {
    "en": {
        Case.DenialReason.IDENTITY_NOT_VERIFIED: "We could not verify your identity.",
        Case.DenialReason.UNFOUNDED_OR_EXCESSIVE: "The request is manifestly unfounded or excessive.",
        Case.DenialReason.LEGAL_EXEMPTION: "A legal exemption applies to the data you asked about.",
        Case.DenialReason.OTHER: "Another reason, explained below.",
    },
    "ar": {
        Case.DenialReason.IDENTITY_NOT_VERIFIED: "تعذّر علينا التحقق من هويتك.",
        Case.DenialReason.UNFOUNDED_OR_EXCESSIVE: "الطلب لا أساس له بشكل واضح أو مفرط.",
        Case.DenialReason.LEGAL_EXEMPTION: "ينطبق استثناء قانوني على البيانات التي طلبتها.",
        Case.DenialReason.OTHER: "سبب آخر موضّح أدناه.",
    },
}


def letter_language(language: str) -> str:
    return language if language in LANGUAGES else "en"


def template_name(response) -> str:
    language = letter_language(response.language)
    if response.kind == Response.Kind.ANSWER:
        return f"letters/{language}/answer_{response.case.request_type}.html"
    return f"letters/{language}/{response.kind}.html"


def _date(value, tenant):
    """A date (or datetime, taken in the tenant's time zone) in words of the active language."""
    if value is None:
        return ""
    if hasattr(value, "hour"):
        value = clock.local_date(value, tenant)
    return dateformat.format(value, "j F Y")


def letter_context(response, *, now=None) -> dict:
    case = response.case
    tenant = case.tenant
    rule_set = case.rule_set
    language = letter_language(response.language)
    now = now or timezone.now()

    decisions = []
    for decision in case.decisions.select_related("data_category"):
        category = decision.data_category
        keeps = decision.outcome in (Decision.Outcome.KEPT, Decision.Outcome.RESTRICTED, Decision.Outcome.DISCLOSED,
                                     Decision.Outcome.RECTIFIED)
        decisions.append({
            "name": category.localized_name(),
            "outcome": decision.outcome,
            "outcome_label": OUTCOME_LABELS[language].get(decision.outcome, decision.outcome),
            "legal_basis": (decision.legal_basis or category.legal_basis) if keeps else "",
            "retention_period": (decision.retention_period or category.retention_period) if keeps else "",
            "retention_reason": category.retention_reason if decision.outcome == Decision.Outcome.KEPT else "",
            "note": decision.note,
        })
    extensions = [
        {"granted": _date(ext.granted_at, tenant), "reason": ext.reason,
         "previous_due": _date(ext.previous_due, tenant), "new_due": _date(ext.new_due, tenant)}
        for ext in case.extension_records.all()
    ]
    sections = []
    if response.kind == Response.Kind.ANSWER and case.request_type in PACKAGE_REQUEST_TYPES:
        sections = annex.sections_for(case)
    info_message = (
        case.messages.filter(direction=Message.Direction.TO_REQUESTER).order_by("-created_at", "-id").first()
        if response.kind == Response.Kind.INFO_REQUEST else None
    )
    brand = tenant.brand_colour if BRAND_COLOUR_RE.match(tenant.brand_colour or "") else DEFAULT_BRAND_COLOUR
    return {
        "response": response,
        "case": case,
        "tenant": tenant,
        "tenant_name": tenant.localized_name(),
        "rule_set": rule_set,
        "rule_set_name": rule_set.localized_name(),
        "regulator_name": rule_set.localized_regulator(),
        "regulator_url": rule_set.regulator_url,
        "language": language,
        "direction": "rtl" if language == "ar" else "ltr",
        "brand_colour": brand,
        "letter_date": _date(now, tenant),
        "submitted_date": _date(case.submitted_at, tenant),
        "received_date": _date(case.received_at or case.submitted_at, tenant),
        "due_date": _date(case.due_date, tenant),
        "acknowledge_by": _date(case.acknowledge_by, tenant),
        "forwarded_date": _date(case.forwarded_at, tenant),
        "closed_date": _date(case.closed_at, tenant),
        "request_label": REQUEST_LABELS[language].get(case.request_type, case.get_request_type_display()),
        "addressee": case.subject_name or case.requester_name,
        "decisions": decisions,
        "erased": [d for d in decisions if d["outcome"] == Decision.Outcome.ERASED],
        "kept": [d for d in decisions if d["outcome"] == Decision.Outcome.KEPT],
        "extensions": extensions,
        "sections": sections,
        "has_package": response.kind == Response.Kind.ANSWER and case.request_type in PACKAGE_REQUEST_TYPES,
        "info_message": info_message,
        "denial_label": DENIAL_LABELS[language].get(case.denial_reason, ""),
        "partial": case.status == "partially_completed",
    }


def render_html(response, *, now=None) -> str:
    """The letter as HTML (autoescaped templates), in the response's language."""
    with translation.override(letter_language(response.language)):
        return render_to_string(template_name(response), letter_context(response, now=now))


def render_pdf_bytes(html: str) -> bytes:
    """HTML to PDF: safe fetcher, no attachments, bounded child process (see dsar.pdf)."""
    return pdf.html_to_pdf(html)


def letter_filename(response) -> str:
    return f"{response.case.reference}-{response.kind}-{letter_language(response.language)}.pdf"


def render(response_id: int):
    """Render a response's letter (and package); READY or FAILED. A sent response is never touched."""
    from . import actions

    with transaction.atomic():
        response = Response.objects.select_for_update().select_related("case__tenant", "case__rule_set").filter(
            pk=response_id).first()
        if response is None:
            return "skipped"  # purged with its case before the worker got to it
        if response.state == Response.State.SENT:
            return "frozen"
        response.state = Response.State.RENDERING
        response.error = ""
        response.save(update_fields=["state", "error"])
    case = response.case
    now = timezone.now()
    try:
        html = render_html(response, now=now)
        letter_pdf = render_pdf_bytes(html)
        package_zip = None
        if response.kind == Response.Kind.ANSWER and case.request_type in PACKAGE_REQUEST_TYPES:
            with translation.override(letter_language(response.language)):
                sections = annex.sections_for(case)
            package_zip = package.build(tenant_slug=case.tenant.slug, reference=case.reference, generated_at=now,
                                        sections=sections, letter_pdf=letter_pdf, letter_name=letter_filename(response))
    except (pdf.RenderError, annex.AnnexError) as exc:
        return _fail(response, str(exc))
    except Exception as exc:  # noqa: BLE001 - any failure must show on the case, not vanish in the worker
        return _fail(response, f"The letter could not be rendered ({type(exc).__name__}: {exc}).")

    with transaction.atomic():
        response = Response.objects.select_for_update().get(pk=response_id)
        if response.state == Response.State.SENT:
            return "frozen"  # sent while we rendered: the sent version stays
        for field in (response.letter, response.package):
            if field:
                field.delete(save=False)
        response.letter.save(letter_filename(response), ContentFile(letter_pdf), save=False)
        response.letter_sha256 = hashlib.sha256(letter_pdf).hexdigest()
        if package_zip is not None:
            response.package.save(letter_filename(response).removesuffix(".pdf") + ".zip", ContentFile(package_zip),
                                  save=False)
            response.package_sha256 = hashlib.sha256(package_zip).hexdigest()
        else:
            response.package = ""
            response.package_sha256 = ""
        response.state = Response.State.READY
        response.rendered_at = now
        response.error = ""
        response.save()
        actions.audit(case, actions.SYSTEM, "response_rendered",
                      new={"response": response.pk, "kind": response.kind, "language": response.language,
                           "letter_sha256": response.letter_sha256, "package_sha256": response.package_sha256})
    return "ready"


def _fail(response, error: str):
    from . import actions

    with transaction.atomic():
        response = Response.objects.select_for_update().select_related("case__tenant").get(pk=response.pk)
        if response.state == Response.State.SENT:
            return "frozen"
        response.state = Response.State.FAILED
        response.error = error
        response.rendered_at = timezone.now()
        response.save(update_fields=["state", "error", "rendered_at"])
        actions.audit(response.case, actions.SYSTEM, "response_failed",
                      new={"response": response.pk, "kind": response.kind, "language": response.language},
                      message=error)
    return "failed"
