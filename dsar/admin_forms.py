"""Small forms behind the case page's action buttons and the "log a request" page.

Each form only collects input; the state change itself is one function in dsar/actions.py.
"""

from datetime import datetime, time

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants import scoping
from tenants.models import RuleSet, Tenant

from . import clock, uploads
from .models import Case, ClockPause, Decision, EmailTemplate, Task

MESSAGE_TEMPLATE_PREFIX = "message:"


class OfflineRequestForm(forms.ModelForm):
    """A request received outside the form (email, phone, letter, in person), with its real receipt date."""

    received_on = forms.DateField(
        label=_("Received on"), widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The day the request actually arrived; the clock starts then."),
    )
    received_time = forms.TimeField(label=_("Time (optional)"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))

    class Meta:
        model = Case
        fields = ["tenant", "rule_set", "request_type", "channel", "requester_name", "requester_email",
                  "requester_phone", "relationship", "subject_name", "language", "description"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tenant"].queryset = scoping.scope(Tenant.objects.all(), user, "", "decide")
        self.fields["rule_set"].queryset = RuleSet.objects.filter(tenants__in=self.fields["tenant"].queryset).distinct()
        self.fields["channel"].choices = [c for c in Case.Channel.choices if c[0] != Case.Channel.WEB]

    def clean(self):
        data = super().clean()
        tenant, rule_set = data.get("tenant"), data.get("rule_set")
        if tenant and rule_set and not tenant.rule_sets.filter(pk=rule_set.pk).exists():
            self.add_error("rule_set", _("This organisation does not use that rule set."))
        if rule_set and data.get("request_type") and data["request_type"] not in rule_set.rights:
            self.add_error("request_type", _("This right is not offered under the chosen law."))
        if tenant and data.get("received_on"):
            moment = datetime.combine(data["received_on"], data.get("received_time") or time(9, 0))
            data["received_at"] = timezone.make_aware(moment, clock.tenant_zone(tenant))
            if data["received_at"] > timezone.now():
                self.add_error("received_on", _("The receipt date cannot be in the future."))
        return data

    def _post_clean(self):
        # The instance is built by actions.log_offline_request, not by the form.
        pass


def member_choices(tenant):
    User = get_user_model()
    return User.objects.filter(memberships__tenant=tenant, is_active=True).order_by("username").distinct()


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, label=_("Assign to"), required=False,
                                      empty_label=_("Nobody (unassign)"))

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = member_choices(case.tenant)


class VerifyForm(forms.Form):
    method = forms.CharField(label=_("How was the identity verified?"), max_length=120)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class RequestInformationForm(forms.Form):
    reason = forms.ChoiceField(label=_("What is missing"), choices=ClockPause.Reason.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    body = forms.CharField(label=_("Message to the requester"), widget=forms.Textarea(attrs={"rows": 6}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 4}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class CompleteForm(forms.Form):
    partial = forms.BooleanField(label=_("Only partially completed"), required=False)
    note = forms.CharField(label=_("Note for the letter"), widget=forms.Textarea(attrs={"rows": 4}), required=False)


class DenyForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=Case.DenialReason.choices)
    details = forms.CharField(label=_("Explanation for the requester"), widget=forms.Textarea(attrs={"rows": 5}))


class ForwardForm(forms.Form):
    controller = forms.CharField(label=_("Controller it goes to"), max_length=200)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class DuplicateForm(forms.Form):
    original = forms.CharField(label=_("Reference of the original case"), max_length=32)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case

    def clean_original(self):
        reference = self.cleaned_data["original"].strip().upper()
        original = Case.objects.filter(tenant_id=self.case.tenant_id, reference=reference).exclude(pk=self.case.pk).first()
        if original is None:
            raise ValidationError(_("No other case of this organisation has that reference."))
        return original


class LegalHoldForm(forms.Form):
    on = forms.TypedChoiceField(label=_("Legal hold"), choices=[("1", _("On")), ("0", _("Off"))],
                                coerce=lambda value: value == "1")
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class RuleSetForm(forms.Form):
    rule_set = forms.ModelChoiceField(queryset=None, label=_("Rule set"))

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule_set"].queryset = case.tenant.rule_sets.all()


class DecisionForm(forms.Form):
    data_category = forms.ModelChoiceField(queryset=None, label=_("Data category"))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Decision.Outcome.choices)
    legal_basis = forms.CharField(label=_("Legal basis (when kept)"), max_length=200, required=False)
    retention_period = forms.CharField(label=_("Retention period (when kept)"), max_length=120, required=False)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["data_category"].queryset = case.tenant.data_categories.all()


class TaskForm(forms.Form):
    task = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)
    state = forms.ChoiceField(label=_("State"), choices=Task.State.choices)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    fields_erased = forms.CharField(label=_("Fields erased"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task"].queryset = case.tasks.all()


class MessageForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 8}))
    internal = forms.BooleanField(label=_("Internal note (not sent to the requester)"), required=False)
    attachment = forms.FileField(label=_("Attachment (PDF, JPEG or PNG)"), required=False)

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload:
            self.attachment_type = uploads.validate_document(upload)
        return upload


def message_templates(case):
    return EmailTemplate.objects.filter(tenant_id=case.tenant_id, kind__startswith=MESSAGE_TEMPLATE_PREFIX,
                                        language=case.language).order_by("name")


class ResponseForm(forms.Form):
    response = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["response"].queryset = case.responses.all()


class MetricsReportForm(forms.Form):
    tenant = forms.ModelChoiceField(queryset=None, label=_("Organisation"))
    year = forms.IntegerField(label=_("Calendar year"), min_value=2000, max_value=2100)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tenant"].queryset = scoping.scope(Tenant.objects.all(), user, "")



def member_choices_for_user(user):
    """Colleagues in any tenant the user can see (for the assignee filter)."""
    User = get_user_model()
    tenants = scoping.scope(Tenant.objects.all(), user, "")
    return User.objects.filter(memberships__tenant__in=tenants, is_active=True).order_by("username").distinct()
