"""Custom admin views: the case page's action forms, evidence download, PDFs, reports, template preview.

Every view finds its object through a scoped queryset ("not yours" is a 404) and checks the user's
capability for the tenant before acting; every state change is one call into dsar/actions.py.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template import Context, Template, TemplateSyntaxError
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.scoping import can, get_scoped_or_404

from . import actions, admin_forms, clock, exports, metrics, uploads, workflow
from .models import Attachment, AuditEvent, Case, Decision, EmailTemplate, Response, Task


@dataclass(frozen=True)
class CaseAction:
    label: str
    capability: str
    run: Callable
    form: type | None = None
    workflow: str | None = None  # key of workflow.ALLOWED_FROM; None: the action checks the state itself
    visible: Callable = staticmethod(lambda case: True)
    primary: bool = False


def _message(case, user, data):
    files = ()
    if data.get("attachment"):
        files = ((Attachment.Kind.DOCUMENT, data["attachment"], data["attachment_type"]),)
    return actions.send_message(case, user, body=data["body"], subject=data["subject"], internal=data["internal"],
                                files=files)


def _update_task(case, user, data):
    return actions.update_task(data["task"], user, state=data["state"], notes=data["notes"],
                               fields_erased=data["fields_erased"])


def _render(case, user, data):
    response = data["response"]
    return actions.render_response(case, user, kind=response.kind, language=response.language)


CASE_ACTIONS = {
    "assign_to_me": CaseAction(gettext_lazy("Assign to me"), "work", lambda c, u, d: actions.assign(c, u, u),
                               workflow="assign", visible=lambda case: True),
    "assign": CaseAction(gettext_lazy("Assign…"), "decide", lambda c, u, d: actions.assign(c, u, d["assignee"]),
                         admin_forms.AssignForm, "assign"),
    "start_verification": CaseAction(gettext_lazy("Start verification"), "decide",
                                     lambda c, u, d: actions.start_verification(c, u), workflow="start_verification"),
    "verify_identity": CaseAction(gettext_lazy("Verify identity…"), "decide",
                                  lambda c, u, d: actions.verify_identity(c, u, method=d["method"], note=d["note"]),
                                  admin_forms.VerifyForm, "verify_identity", primary=True),
    "request_information": CaseAction(
        gettext_lazy("Request information…"), "decide",
        lambda c, u, d: actions.request_information(c, u, reason=d["reason"], body=d["body"], subject=d["subject"]),
        admin_forms.RequestInformationForm, "request_information"),
    "resume": CaseAction(gettext_lazy("Resume the clock"), "decide", lambda c, u, d: actions.resume(c, u),
                         workflow="resume"),
    "extend": CaseAction(gettext_lazy("Extend the deadline…"), "decide",
                         lambda c, u, d: actions.extend(c, u, reason=d["reason"]), admin_forms.ReasonForm, "extend"),
    "create_tasks": CaseAction(gettext_lazy("Create tasks from the inventory"), "work",
                               lambda c, u, d: actions.create_tasks_from_inventory(c, u), workflow="create_tasks"),
    "record_decision": CaseAction(
        gettext_lazy("Record a decision…"), "work",
        lambda c, u, d: actions.record_decision(c, u, data_category=d["data_category"], outcome=d["outcome"],
                                                legal_basis=d["legal_basis"], retention_period=d["retention_period"],
                                                note=d["note"]),
        admin_forms.DecisionForm, "record_decision"),
    "update_task": CaseAction(gettext_lazy("Update a task…"), "work", _update_task, admin_forms.TaskForm,
                              visible=lambda case: False),
    "complete": CaseAction(gettext_lazy("Complete…"), "decide",
                           lambda c, u, d: actions.complete(c, u, partial=d["partial"], note=d["note"]),
                           admin_forms.CompleteForm, "complete", primary=True),
    "deny": CaseAction(gettext_lazy("Deny…"), "decide",
                       lambda c, u, d: actions.deny(c, u, reason=d["reason"], details=d["details"]),
                       admin_forms.DenyForm, "deny"),
    "forward": CaseAction(gettext_lazy("Forward to the controller…"), "decide",
                          lambda c, u, d: actions.forward_to_controller(c, u, controller=d["controller"], note=d["note"]),
                          admin_forms.ForwardForm, "forward", visible=lambda case: case.tenant.is_processor),
    "mark_duplicate": CaseAction(gettext_lazy("Mark as duplicate…"), "decide",
                                 lambda c, u, d: actions.mark_duplicate(c, u, original=d["original"]),
                                 admin_forms.DuplicateForm, "mark_duplicate"),
    "withdraw": CaseAction(gettext_lazy("Withdraw…"), "decide", lambda c, u, d: actions.withdraw(c, u, note=d["note"]),
                           admin_forms.NoteForm, "withdraw"),
    "reopen": CaseAction(gettext_lazy("Reopen on appeal…"), "decide",
                         lambda c, u, d: actions.reopen(c, u, reason=d["reason"]), admin_forms.ReasonForm, "reopen"),
    "change_rule_set": CaseAction(gettext_lazy("Change the rule set…"), "decide",
                                  lambda c, u, d: actions.change_rule_set(c, u, d["rule_set"]),
                                  admin_forms.RuleSetForm, "change_rule_set"),
    "legal_hold": CaseAction(gettext_lazy("Legal hold…"), "decide",
                             lambda c, u, d: actions.set_legal_hold(c, u, on=d["on"], reason=d["reason"]),
                             admin_forms.LegalHoldForm),
    "reissue_download": CaseAction(gettext_lazy("Re-issue download access"), "decide",
                                   lambda c, u, d: actions.reissue_download_access(c, u),
                                   visible=lambda case: case.status in workflow.ALLOWED_FROM["reopen"]),
    "send_message": CaseAction(gettext_lazy("Write a message…"), "work", _message, admin_forms.MessageForm,
                               "send_message"),
    "render_response": CaseAction(gettext_lazy("Re-render"), "decide", _render, admin_forms.ResponseForm,
                                  "render_response", visible=lambda case: False),
    "send_response": CaseAction(gettext_lazy("Send"), "decide",
                                lambda c, u, d: actions.send_response(d["response"], u), admin_forms.ResponseForm,
                                visible=lambda case: False),
}

# Forms that need the case to build their choices.
_CASE_FORMS = (admin_forms.AssignForm, admin_forms.DuplicateForm, admin_forms.RuleSetForm, admin_forms.DecisionForm,
               admin_forms.TaskForm, admin_forms.ResponseForm)


def _build_form(spec, case, data=None, files=None, initial=None):
    kwargs = {"case": case} if spec.form in _CASE_FORMS else {}
    return spec.form(data, files, initial=initial, **kwargs)


def allowed_buttons(case, user):
    """The actions the page offers: allowed from the case's state and by the user's role."""
    buttons = []
    for name, spec in CASE_ACTIONS.items():
        if spec.workflow and not workflow.is_allowed(spec.workflow, case.status):
            continue
        if not spec.visible(case) or not can(user, case.tenant_id, spec.capability):
            continue
        if name == "assign_to_me" and case.assignee_id == user.pk:
            continue
        buttons.append({"name": name, "label": spec.label, "needs_form": spec.form is not None,
                        "primary": spec.primary, "url": reverse("admin:dsar_case_action", args=[case.pk, name])})
    return buttons


def _scoped_case(request, case_id):
    queryset = Case.objects.select_related("tenant", "rule_set", "assignee")
    return get_scoped_or_404(queryset, request.user, "tenant", pk=case_id)


def case_url(case):
    return reverse("admin:dsar_case_change", args=[case.pk])


def case_action(request, case_id, action):
    case = _scoped_case(request, case_id)
    spec = CASE_ACTIONS.get(action)
    if spec is None:
        raise Http404
    if not can(request.user, case.tenant_id, spec.capability):
        raise PermissionDenied
    initial = _message_initial(request, case) if action == "send_message" else None
    form = _build_form(spec, case, initial=initial) if spec.form else None
    if request.method == "POST":
        form = _build_form(spec, case, request.POST, request.FILES) if spec.form else None
        if form is None or form.is_valid():
            data = dict(form.cleaned_data) if form else {}
            if form is not None and hasattr(form, "attachment_type"):
                data["attachment_type"] = form.attachment_type
            try:
                spec.run(case, request.user, data)
            except actions.ActionRefused as refusal:
                messages.error(request, str(refusal))
                if form is None:
                    return redirect(case_url(case))
            else:
                messages.success(request, _("Done: %(action)s.") % {"action": str(spec.label).rstrip("…")})
                return redirect(case_url(case))
    elif form is None:
        return redirect(case_url(case))
    context = {
        **admin.site.each_context(request), "case": case, "form": form, "action": action, "spec": spec,
        "title": f"{case.reference}: {str(spec.label).rstrip('…')}", "opts": Case._meta,
        "message_templates": admin_forms.message_templates(case) if action == "send_message" else (),
    }
    return TemplateResponse(request, "admin/dsar/case/action_form.html", context)


def _message_initial(request, case):
    template_id = request.GET.get("template")
    if not template_id:
        return None
    template = admin_forms.message_templates(case).filter(pk=template_id if template_id.isdigit() else 0).first()
    if template is None:
        return None
    try:
        subject, body = render_template_text(template, case)
    except TemplateSyntaxError as error:
        messages.error(request, _("The template has an error: %(error)s") % {"error": error})
        return None
    return {"subject": subject, "body": body}


def render_template_text(template, case):
    context = Context({"case": case, "tenant": case.tenant, "status_url": "…/status/"}, autoescape=False)
    return Template(template.subject).render(context).strip(), Template(template.body).render(context)


# --- The case page's sections ----------------------------------------------------------------------


def timeline(case):
    """Audit events and messages of a case in one list, oldest first (a fixed number of queries)."""
    items = [{"at": e.created_at, "kind": "task" if e.event_type.startswith("task") else "event", "event": e}
             for e in case.events.all()]
    for message in case.messages.select_related("author").prefetch_related("attachments"):
        items.append({"at": message.created_at, "kind": "message", "message": message})
    items.sort(key=lambda item: (item["at"], item["kind"] != "message"))
    return items


def case_page_context(request, case):
    user = request.user
    decisions = {d.data_category_id: d for d in case.decisions.select_related("decided_by")}
    categories = [(c, decisions.get(c.pk)) for c in case.tenant.data_categories.all()]
    sla_state = metrics.sla_state(case, clock.today_for(case.tenant))
    return {
        "case_obj": case,
        "sla_state": sla_state,
        "sla_label": metrics.SLA_LABELS[sla_state],
        "ledger": list(reversed(case.deadline_records.all())),
        "pauses": list(case.pauses.all()),
        "extension_records": list(case.extension_records.all()),
        "timeline": timeline(case),
        "tasks": list(case.tasks.select_related("data_category", "assignee")),
        "categories": categories,
        "outcomes": Decision.Outcome.choices,
        "task_states": Task.State.choices,
        "attachments": list(case.attachments.all()),
        "responses": list(case.responses.all()),
        "duplicate": actions.find_open_duplicate(case) if case.is_open or case.status == "unconfirmed" else None,
        "buttons": allowed_buttons(case, user),
        "can_work": can(user, case.tenant_id, "work") and not case.is_closed,
        "can_decide": can(user, case.tenant_id, "decide"),
        "can_render": workflow.is_allowed("render_response", case.status),
        "allowed_names": set(workflow.allowed_actions(case.status)),
    }


# --- Files and PDFs ---------------------------------------------------------------------------------


def attachment_download(request, attachment_id):
    """Staff-only viewer for private files (identity evidence): scoped, decrypted, never inline."""
    attachment = get_scoped_or_404(Attachment.objects.select_related("case__tenant"), request.user, "case__tenant",
                                   pk=attachment_id)
    if not attachment.file or attachment.deleted_at:
        raise Http404
    try:
        data = uploads.read_private(attachment)
    except (OSError, ValidationError):
        raise Http404
    actions.record_file_viewed(attachment, request.user)
    response = HttpResponse(data, content_type=attachment.content_type or "application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{_safe_filename(attachment.original_name)}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def response_letter(request, response_id):
    response = get_scoped_or_404(Response.objects.select_related("case__tenant"), request.user, "case__tenant",
                                 pk=response_id)
    if not response.letter:
        raise Http404
    with response.letter.open("rb") as handle:
        data = handle.read()
    http = HttpResponse(data, content_type="application/pdf")
    http["Content-Disposition"] = f'attachment; filename="{response.case.reference}-{response.kind}.pdf"'
    http["Cache-Control"] = "no-store"
    return http


def _safe_filename(name):
    cleaned = "".join(ch for ch in name if ch.isalnum() or ch in "._- ").strip()
    return cleaned or "file"


def pdf_response(template_name, context, filename):
    from weasyprint import HTML

    html = render_to_string(template_name, context)
    response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def audit_log_pdf(request, case_id):
    case = _scoped_case(request, case_id)
    events = AuditEvent.objects.filter(case=case).order_by("created_at", "id")
    context = {"case": case, "events": events, "generated_at": timezone.now(), "user": request.user}
    return pdf_response("admin/dsar/pdf/audit_log.html", context, f"{case.reference}-audit-log.pdf")


# --- Reports ---------------------------------------------------------------------------------------


def california_metrics(request):
    last_year = timezone.now().year - 1
    form = admin_forms.MetricsReportForm(request.GET or None, user=request.user, initial={"year": last_year})
    rows = tenant = year = None
    if form.is_bound and form.is_valid():
        tenant, year = form.cleaned_data["tenant"], form.cleaned_data["year"]
        rows = metrics.california_report(tenant, year)
        output = request.GET.get("format")
        if output == "csv":
            return exports.california_csv(tenant, year, rows)
        if output == "pdf":
            context = {"tenant": tenant, "year": year, "rows": rows, "generated_at": timezone.now()}
            return pdf_response("admin/dsar/pdf/california_metrics.html", context,
                                f"{tenant.slug}-california-metrics-{year}.pdf")
    context = {**admin.site.each_context(request), "form": form, "rows": rows, "tenant": tenant, "year": year,
               "title": _("California annual metrics"), "opts": Case._meta,
               "query": request.GET.urlencode() if rows is not None else ""}
    return TemplateResponse(request, "admin/dsar/case/california_metrics.html", context)


# --- Email templates ---------------------------------------------------------------------------------


def sample_case(template):
    """The tenant's newest case in the template's language, or an unsaved example."""
    case = (Case.objects.filter(tenant_id=template.tenant_id, language=template.language)
            .select_related("tenant", "rule_set").order_by("-submitted_at").first())
    if case is not None:
        return case
    now = timezone.now()
    return Case(tenant=template.tenant, reference=f"{template.tenant.reference_prefix}-{now.year}-00001",
                request_type="access", requester_name="Sam Example", requester_email="sam@example.com",
                language=template.language, received_at=now, due_date=(now + timedelta(days=30)).date())


def email_template_preview(request, template_id):
    template = get_scoped_or_404(EmailTemplate.objects.select_related("tenant"), request.user, "tenant",
                                 pk=template_id)
    case = sample_case(template)
    subject = body = error = None
    try:
        subject, body = render_template_text(template, case)
    except TemplateSyntaxError as problem:
        error = str(problem)
    context = {**admin.site.each_context(request), "template_obj": template, "case": case, "subject": subject,
               "body": body, "error": error, "title": _("Preview: %(name)s") % {"name": template.name},
               "opts": EmailTemplate._meta}
    return TemplateResponse(request, "admin/dsar/emailtemplate/preview.html", context)

