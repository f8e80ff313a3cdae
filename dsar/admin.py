"""The privacy team's workbench: tenant-scoped admin for cases and everything around them.

Cases are never edited as a form: every change is a button on the case page that calls one function of
dsar/actions.py (see admin_views.py). The admin site stays django.contrib.admin.site so that the
two-factor site class can be swapped in one place.
"""

import re
from datetime import timedelta

from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tenants import scoping
from tenants.models import RuleSet, Tenant
from tenants.scoping import TenantScopedAdminMixin

from . import actions, admin_forms, admin_views, clock, exports, metrics
from .models import (
    OPEN_STATUSES,
    AccessToken,
    Attachment,
    AuditEvent,
    Case,
    ClockPause,
    DeadlineRecord,
    Decision,
    EmailTemplate,
    Extension,
    Message,
    OutboundEmail,
    ReferenceSequence,
    Response,
    ScheduledNotice,
    Task,
)


class CappedCountPaginator(Paginator):
    """Counts at most CAP rows: a COUNT(*) over a million-row table is the slowest part of a list page."""

    CAP = 10_000

    @cached_property
    def count(self):
        return self.object_list.order_by().values("pk")[: self.CAP].count()

    @property
    def capped(self):
        return self.count >= self.CAP


class NotFoundIsNotFound:
    """An object outside the user's tenants (or missing) is a 404, not the admin's redirect with a message."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj


class ScopedAdmin(NotFoundIsNotFound, TenantScopedAdminMixin, admin.ModelAdmin):
    paginator = CappedCountPaginator
    show_full_result_count = False


class ReadOnlyScopedAdmin(ScopedAdmin):
    """Records written by actions only: viewable by the tenant's staff, never added, changed or deleted here."""

    actions = None

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def today_for_lists():
    # Filters run one SQL query for all tenants, so they use the UTC date; badges use each tenant's own.
    return timezone.now().date()


class SlaFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("due_soon", _("Due within 7 days")), ("due_this_week", _("Due this week")),
                ("overdue", _("Overdue")), ("paused", _("Paused"))]

    def queryset(self, request, queryset):
        today = today_for_lists()
        running = queryset.filter(status__in=OPEN_STATUSES, paused_since__isnull=True)
        if self.value() == "due_soon":
            return running.filter(due_date__gte=today, due_date__lte=today + timedelta(days=metrics.DUE_SOON_DAYS))
        if self.value() == "due_this_week":
            return running.filter(due_date__gte=today, due_date__lte=metrics.end_of_week(today))
        if self.value() == "overdue":
            return running.filter(due_date__lt=today)
        if self.value() == "paused":
            return queryset.filter(status__in=OPEN_STATUSES, paused_since__isnull=False)
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        colleagues = admin_forms.member_choices_for_user(request.user)
        return [("mine", _("Assigned to me")), ("none", _("Unassigned"))] + [
            (str(u.pk), u.get_full_name() or u.get_username()) for u in colleagues
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "mine":
            return queryset.filter(assignee=request.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value and value.isdigit():
            return queryset.filter(assignee_id=int(value))
        return queryset


class RuleSetFilter(admin.SimpleListFilter):
    title = _("rule set")
    parameter_name = "rule_set"

    def lookups(self, request, model_admin):
        tenants = scoping.scope(Tenant.objects.all(), request.user, "")
        return [(str(r.pk), r.name) for r in RuleSet.objects.filter(tenants__in=tenants).distinct()]

    def queryset(self, request, queryset):
        return queryset.filter(rule_set_id=int(self.value())) if (self.value() or "").isdigit() else queryset


class TenantFilter(admin.SimpleListFilter):
    title = _("organisation")
    parameter_name = "tenant"

    def lookups(self, request, model_admin):
        tenants = list(scoping.scope(Tenant.objects.all(), request.user, ""))
        return [(str(t.pk), t.name) for t in tenants] if len(tenants) > 1 else []

    def has_output(self):
        return bool(self.lookup_choices)

    def queryset(self, request, queryset):
        return queryset.filter(tenant_id=int(self.value())) if (self.value() or "").isdigit() else queryset


REFERENCE = re.compile(r"^[A-Za-z]{2,4}-\d{4}-\d{1,6}$")


def search_cases(queryset, term):
    """Search that the indexes can answer: exact reference, email, or the start of a name."""
    term = term.strip()
    if not term:
        return queryset
    if REFERENCE.match(term):
        prefix, year, number = term.upper().split("-")
        return queryset.filter(reference=f"{prefix}-{year}-{int(number):05d}")
    if term.isdigit():
        return queryset.filter(reference__endswith=f"-{int(term):05d}")
    if "@" in term:
        if "." in term.partition("@")[2]:
            # A whole address: equality on UPPER(email) is what case_tenant_email_upper_idx answers.
            return queryset.filter(requester_email__iexact=term)
        return queryset.filter(requester_email__istartswith=term)
    return queryset.filter(Q(requester_name__istartswith=term) | Q(requester_email__istartswith=term))


@admin.register(Case)
class CaseAdmin(ScopedAdmin):
    list_display = ("reference", "requester", "kind", "rule", "status", "sla_badge", "due", "assignee")
    list_display_links = ("reference",)
    list_filter = (SlaFilter, "status", "request_type", RuleSetFilter, AssigneeFilter, TenantFilter)
    list_select_related = ("tenant", "rule_set", "assignee")
    list_per_page = 50
    search_fields = ("reference",)  # shows the search box; search_cases does the work
    search_help_text = _("A reference (ACM-2026-00042, or just 42), an email, or the start of a name.")
    sortable_by = ("reference", "due")
    ordering = ("-submitted_at",)
    actions = None
    show_facets = admin.ShowFacets.NEVER  # facet counts are one COUNT per filter choice
    change_form_template = "admin/dsar/case/change_form.html"
    change_list_template = "admin/dsar/case/change_list.html"
    fieldsets = (
        (_("Request"), {"fields": ("reference", "tenant", "request_type", "rule_set", "status", "channel", "language",
                                   "description")}),
        (_("Requester"), {"fields": ("requester_name", "requester_email", "requester_phone", "relationship",
                                     "subject_name", "identity_answers")}),
        (_("Clock"), {"fields": ("submitted_at", "received_at", "verified_at", "due_date", "acknowledge_by",
                                 "acknowledged_at", "paused_since", "extensions", "closed_at"), "classes": ("collapse",)}),
        (_("Handling and outcome"), {"fields": ("assignee", "verification_method", "verification_note",
                                                "outcome_note", "denial_reason", "denial_details", "forwarded_to",
                                                "forwarded_at", "duplicate_of", "legal_hold", "download_expires_at"),
                                      "classes": ("collapse",)}),
    )
    add_fieldsets = (
        (_("Where the request came from"), {"fields": ("tenant", "channel", "received_on", "received_time")}),
        (_("The request"), {"fields": ("rule_set", "request_type", "language", "description")}),
        (_("Requester"), {"fields": ("requester_name", "requester_email", "requester_phone", "relationship",
                                     "subject_name")}),
    )

    def get_queryset(self, request):
        duplicates = Case.objects.filter(tenant_id=OuterRef("tenant_id"), requester_email__iexact=OuterRef("requester_email"),
                                         status__in=OPEN_STATUSES).exclude(pk=OuterRef("pk"))
        return (super().get_queryset(request).select_related("tenant", "rule_set", "assignee")
                .annotate(has_open_duplicate=Exists(duplicates)))

    def get_search_results(self, request, queryset, search_term):
        return search_cases(queryset, search_term), False

    # Cases change only through actions: the page is read-only and carries the action buttons.
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets if obj else self.add_fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change, **kwargs)
        user = request.user

        class LogRequestForm(admin_forms.OfflineRequestForm):
            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, user=user, **form_kwargs)

        return LogRequestForm

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)
        data = form.cleaned_data
        return actions.log_offline_request(
            data["tenant"], request.user, rule_set=data["rule_set"], request_type=data["request_type"],
            channel=data["channel"], received_at=data["received_at"], requester_name=data["requester_name"],
            requester_email=data["requester_email"], language=data["language"],
            requester_phone=data["requester_phone"], relationship=data["relationship"],
            subject_name=data["subject_name"], description=data["description"],
        )

    def save_model(self, request, obj, form, change):
        """Saved by actions.log_offline_request in save_form."""

    def save_related(self, request, form, formsets, change):
        """A logged request has no related rows to save."""

    def response_add(self, request, obj, post_url_continue=None):
        messages.success(request, _("Logged %(reference)s; its clock started on the day it was received (%(day)s).")
                         % {"reference": obj.reference, "day": clock.local_date(obj.received_at, obj.tenant)})
        return redirect(reverse("admin:dsar_case_change", args=[obj.pk]))

    def add_view(self, request, form_url="", extra_context=None):
        extra = {"title": _("Log a request received outside the form"), **(extra_context or {})}
        return super().add_view(request, form_url, extra)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = self.get_object(request, object_id)
        if case is not None:
            # A case's times read in its organisation's time zone, whoever looks at it.
            timezone.activate(clock.tenant_zone(case.tenant))
        extra = {**admin_views.case_page_context(request, case), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra)

    def changelist_view(self, request, extra_context=None):
        extra = {"export_query": request.GET.urlencode(), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def get_list_display(self, request):
        many = scoping.tenant_ids(request.user) is None or len(scoping.tenant_ids(request.user)) > 1
        return (*self.list_display, "tenant") if many else self.list_display

    @admin.display(description=_("Type"))
    def kind(self, case):
        # The public labels speak to the requester ("Access to my data"); staff read the right's name.
        return case.request_type.replace("_", " ").capitalize()

    @admin.display(description=_("Due"), ordering="due_date")
    def due(self, case):
        return date_format(case.due_date, "j M Y") if case.due_date else "—"

    @admin.display(description=_("Rule set"))
    def rule(self, case):
        return format_html('<span title="{}">{}</span>', case.rule_set.name, case.rule_set.code.upper())

    @admin.display(description=_("Requester"))
    def requester(self, case):
        return format_html("{}<br><span class='quiet'>{}</span>", case.requester_name, case.requester_email)

    @admin.display(description=_("SLA"))
    def sla_badge(self, case):
        state = metrics.sla_state(case, clock.today_for(case.tenant))
        duplicate = format_html(' <span class="badge badge-duplicate">{}</span>', _("duplicate?")) if getattr(
            case, "has_open_duplicate", False) and case.is_open else ""
        return format_html('<span class="badge sla-{}">{}</span>{}', state, metrics.SLA_LABELS[state], duplicate)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("export.csv", wrap(self.export_csv), name="dsar_case_export"),
            path("california-metrics/", wrap(admin_views.california_metrics), name="dsar_case_california_metrics"),
            path("<path:case_id>/act/<slug:action>/", wrap(admin_views.case_action), name="dsar_case_action"),
            path("<path:case_id>/audit-log.pdf", wrap(admin_views.audit_log_pdf), name="dsar_case_audit_pdf"),
        ] + super().get_urls()

    def export_csv(self, request):
        if not self.has_view_permission(request):
            raise Http404
        changelist = self.get_changelist_instance(request)
        return exports.cases_csv(changelist.queryset, f"cases-{timezone.now():%Y%m%d-%H%M}.csv")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyScopedAdmin):
    list_display = ("created_at", "case", "event_type", "actor_label", "tenant")
    list_select_related = ("case", "tenant")
    list_filter = ("event_type",)
    search_fields = ("case__reference",)
    search_help_text = _("A case reference, exactly.")
    ordering = ("-created_at",)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().upper()
        return (queryset.filter(case__reference=term) if term else queryset), False


class CaseChildAdmin(ReadOnlyScopedAdmin):
    tenant_path = "case__tenant"
    list_select_related = ("case", "case__tenant")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("case__tenant")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().upper()
        return (queryset.filter(case__reference=term) if term else queryset), False


@admin.register(Task)
class TaskAdmin(CaseChildAdmin):
    list_display = ("title", "case", "system", "state", "assignee", "completed_at")
    list_filter = ("state",)
    search_fields = ("case__reference",)


@admin.register(Decision)
class DecisionAdmin(CaseChildAdmin):
    list_display = ("case", "data_category", "outcome", "legal_basis", "retention_period", "decided_at")
    list_select_related = ("case", "case__tenant", "data_category")
    list_filter = ("outcome",)
    search_fields = ("case__reference",)


@admin.register(Message)
class MessageAdmin(CaseChildAdmin):
    list_display = ("created_at", "case", "direction", "subject")
    list_filter = ("direction",)
    search_fields = ("case__reference",)


@admin.register(Attachment)
class AttachmentAdmin(CaseChildAdmin):
    list_display = ("original_name", "case", "kind", "size", "created_at", "deleted_at", "download")
    list_filter = ("kind",)
    search_fields = ("case__reference",)
    exclude = ("file",)
    readonly_fields = ("download",)

    @admin.display(description=_("File"))
    def download(self, attachment):
        if not attachment.file or attachment.deleted_at:
            return _("deleted")
        return format_html('<a href="{}">{}</a>', reverse("admin:dsar_attachment_download", args=[attachment.pk]),
                           _("Download"))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("<path:attachment_id>/download/", wrap(admin_views.attachment_download),
                     name="dsar_attachment_download")] + super().get_urls()


@admin.register(Response)
class ResponseAdmin(CaseChildAdmin):
    list_display = ("case", "kind", "language", "state", "created_at", "sent_at")
    list_filter = ("state", "kind")
    search_fields = ("case__reference",)
    exclude = ("letter", "package")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("<path:response_id>/letter.pdf", wrap(admin_views.response_letter),
                     name="dsar_response_letter")] + super().get_urls()


@admin.register(ClockPause)
class ClockPauseAdmin(CaseChildAdmin):
    list_display = ("case", "reason", "started_at", "ended_at", "counts")
    search_fields = ("case__reference",)


@admin.register(Extension)
class ExtensionAdmin(CaseChildAdmin):
    list_display = ("case", "granted_at", "previous_due", "new_due")
    search_fields = ("case__reference",)


@admin.register(DeadlineRecord)
class DeadlineRecordAdmin(CaseChildAdmin):
    list_display = ("case", "computed_at", "trigger", "due_date", "acknowledge_by")
    search_fields = ("case__reference",)


@admin.register(AccessToken)
class AccessTokenAdmin(CaseChildAdmin):
    list_display = ("case", "purpose", "created_at", "expires_at", "used_at", "attempts")
    exclude = ("token_hash", "salt")
    search_fields = ("case__reference",)


@admin.register(ScheduledNotice)
class ScheduledNoticeAdmin(CaseChildAdmin):
    list_display = ("case", "key", "created_at")
    search_fields = ("case__reference",)


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyScopedAdmin):
    list_display = ("created_at", "to", "kind", "state", "attempts", "case")
    list_select_related = ("case",)
    list_filter = ("state", "kind")
    search_fields = ("to",)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        return (queryset.filter(to__iexact=term) if term else queryset), False


@admin.register(ReferenceSequence)
class ReferenceSequenceAdmin(ReadOnlyScopedAdmin):
    list_display = ("tenant", "year", "last")


@admin.register(EmailTemplate)
class EmailTemplateAdmin(ScopedAdmin):
    change_capability = "configure"
    list_display = ("name", "tenant", "kind", "language", "preview")
    list_filter = ("language",)
    list_select_related = ("tenant",)
    search_fields = ("name", "kind")
    readonly_fields = ("preview",)

    @admin.display(description=_("Preview"))
    def preview(self, template):
        if not template.pk:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:dsar_emailtemplate_preview", args=[template.pk]),
                           _("Preview with a sample case"))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("<path:template_id>/preview/", wrap(admin_views.email_template_preview),
                     name="dsar_emailtemplate_preview")] + super().get_urls()
