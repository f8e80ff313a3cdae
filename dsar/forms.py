"""Public forms: the request (intake), the reply on the status page, the lost-link and code forms."""

import uuid

from django import forms
from django.conf import settings
from django.core import signing
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tenants.models import REQUEST_TYPE_EXPLANATIONS

from . import uploads
from .models import Attachment, Case

IDEMPOTENCY_SALT = "dsar.intake.idempotency"
IDEMPOTENCY_MAX_AGE = 60 * 60 * 24
HONEYPOT_FIELD = "website"

# Where the subject lives, per rule set: people know their country, not the name of the law.
REGION_LABELS = {
    "gdpr": _("European Union or European Economic Area"),
    "uk-gdpr": _("United Kingdom"),
    "ccpa": _("California, United States"),
    "sa-pdpl": _("Saudi Arabia"),
    "qa-pdppl": _("Qatar"),
    "ae-pdpl": _("United Arab Emirates"),
    "bh-pdpl": _("Bahrain"),
    "om-pdpl": _("Oman"),
    "adgm": _("Abu Dhabi Global Market (ADGM)"),
    "difc": _("Dubai International Financial Centre (DIFC)"),
}


def region_label(rule_set):
    return REGION_LABELS.get(rule_set.code, rule_set.localized_name())


def new_idempotency_key() -> str:
    return signing.dumps(uuid.uuid4().hex, salt=IDEMPOTENCY_SALT)


def read_idempotency_key(signed: str) -> str | None:
    try:
        value = signing.loads(signed or "", salt=IDEMPOTENCY_SALT, max_age=IDEMPOTENCY_MAX_AGE)
    except signing.BadSignature:
        return None
    return value if isinstance(value, str) and len(value) == 32 else None


class DocumentField(forms.FileField):
    """A PDF, JPEG or PNG, its type checked by content (dsar.uploads.validate_document)."""

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload:
            upload.sniffed_type = uploads.validate_document(upload)
        return upload


DOCUMENT_ACCEPT = {"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}


class RegionForm(forms.Form):
    region = forms.ChoiceField(label=_("Where do you live?"), widget=forms.RadioSelect,
                               error_messages={"required": _("Choose where you live."),
                                               "invalid_choice": _("Choose where you live.")})

    def __init__(self, *args, rule_sets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(rs.code, region_label(rs)) for rs in rule_sets]


class RequestForm(forms.Form):
    request_type = forms.ChoiceField(
        label=_("What would you like us to do?"), widget=forms.RadioSelect,
        error_messages={"required": _("Choose what you would like us to do.")},
    )
    relationship = forms.ChoiceField(
        label=_("Who is the request about?"), widget=forms.RadioSelect, choices=Case.Relationship.choices,
        initial=Case.Relationship.SELF,
        error_messages={"required": _("Say who the request is about.")},
    )
    subject_name = forms.CharField(
        label=_("Full name of the person the request is about"), max_length=200, required=False,
        help_text=_("Needed when you ask for someone else."),
    )
    guardianship = DocumentField(
        label=_("Proof that you are the parent or guardian"), required=False,
        help_text=_("For example a birth certificate or a court order. PDF, JPEG or PNG."),
        widget=forms.ClearableFileInput(attrs=DOCUMENT_ACCEPT),
    )
    authorisation = DocumentField(
        label=_("Signed authorisation from the person"), required=False,
        help_text=_("A letter or form signed by the person, saying that you may act for them. PDF, JPEG or PNG."),
        widget=forms.ClearableFileInput(attrs=DOCUMENT_ACCEPT),
    )
    requester_name = forms.CharField(
        label=_("Your full name"), max_length=200,
        error_messages={"required": _("Enter your full name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    requester_email = forms.EmailField(
        label=_("Your email address"), max_length=254,
        help_text=_("We send a link to this address to confirm the request, and our answer later."),
        error_messages={"required": _("Enter your email address."),
                        "invalid": _("Enter an email address like name@example.com.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    requester_phone = forms.CharField(
        label=_("Phone number (optional)"), max_length=40, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    identity_document = DocumentField(
        label=_("Identity document (optional)"), required=False,
        help_text=_("A scan or photo of an ID can speed up the check of your identity. PDF, JPEG or PNG. "
                    "We delete it once your identity is checked."),
        widget=forms.ClearableFileInput(attrs=DOCUMENT_ACCEPT),
    )
    description = forms.CharField(
        label=_("Details of your request (optional)"), required=False, max_length=5000,
        help_text=_("For example which account, which data, or the period you are asking about."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    language = forms.ChoiceField(label=_("Language for our answer"), choices=settings.LANGUAGES)
    # Honeypot: hidden from people by CSS, filled by bots that fill every field.
    website = forms.CharField(label=_("Leave this field empty"), required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))

    def __init__(self, *args, tenant, rule_set, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.rule_set = rule_set
        self.fields["request_type"].choices = [
            (choice.value, choice.label) for choice in tenant.offered_request_types(rule_set)
        ]
        self.fields["language"].initial = get_language() if get_language() in dict(settings.LANGUAGES) else "en"
        self.identity_fields = list(tenant.identity_fields.all())
        for field in self.identity_fields:
            self.fields[self.identity_field_name(field)] = forms.CharField(
                label=field.localized_label(), help_text=field.localized_help(), required=field.required,
                max_length=200,
                error_messages={"required": _("Enter your %(label)s.") % {"label": field.localized_label()}},
                widget=forms.PasswordInput(render_value=True) if field.secret else forms.TextInput,
            )

    @staticmethod
    def identity_field_name(field):
        return f"identity_{field.key}"

    def request_type_options(self):
        """(radio, plain explanation) pairs for the template."""
        return [(radio, REQUEST_TYPE_EXPLANATIONS.get(radio.data["value"], ""))
                for radio in self["request_type"]]

    def clean_requester_email(self):
        return self.cleaned_data["requester_email"].strip()

    def clean(self):
        cleaned = super().clean()
        relationship = cleaned.get("relationship")
        if relationship and relationship != Case.Relationship.SELF and not cleaned.get("subject_name", "").strip():
            self.add_error("subject_name", _("Enter the full name of the person you are asking for."))
        if relationship == Case.Relationship.PARENT and not cleaned.get("guardianship"):
            if "guardianship" not in self.errors:
                self.add_error("guardianship", _("Attach proof that you are the parent or guardian."))
        if relationship == Case.Relationship.AGENT and not cleaned.get("authorisation"):
            if "authorisation" not in self.errors:
                self.add_error("authorisation", _("Attach the authorisation signed by the person you act for."))
        return cleaned

    @property
    def is_bot(self):
        return bool(self.data.get(HONEYPOT_FIELD))

    def identity_answers(self):
        return {f.key: self.cleaned_data.get(self.identity_field_name(f), "").strip()
                for f in self.identity_fields if self.cleaned_data.get(self.identity_field_name(f), "").strip()}

    def files_to_store(self):
        """(kind, upload, content_type) tuples as actions.submit_request takes them."""
        relationship = self.cleaned_data["relationship"]
        wanted = [("identity_document", Attachment.Kind.IDENTITY)]
        if relationship == Case.Relationship.PARENT:
            wanted.append(("guardianship", Attachment.Kind.GUARDIANSHIP))
        if relationship == Case.Relationship.AGENT:
            wanted.append(("authorisation", Attachment.Kind.AUTHORISATION))
        return [(kind, self.cleaned_data[name], self.cleaned_data[name].sniffed_type)
                for name, kind in wanted if self.cleaned_data.get(name)]

    def submit_kwargs(self):
        data = self.cleaned_data
        on_behalf = data["relationship"] != Case.Relationship.SELF
        return dict(
            rule_set=self.rule_set,
            request_type=data["request_type"],
            requester_name=data["requester_name"].strip(),
            requester_email=data["requester_email"],
            requester_phone=data.get("requester_phone", "").strip(),
            relationship=data["relationship"],
            subject_name=data["subject_name"].strip() if on_behalf else "",
            identity_answers=self.identity_answers(),
            description=data.get("description", "").strip(),
            language=data["language"],
            files=self.files_to_store(),
        )

    def grouped(self):
        """Fields grouped for the template, in reading order."""
        identity = [self[self.identity_field_name(f)] for f in self.identity_fields]
        return {
            "about": [self["subject_name"], self["guardianship"], self["authorisation"]],
            "contact": [self["requester_name"], self["requester_email"], self["requester_phone"]],
            "identity": identity + [self["identity_document"]],
            "details": [self["description"], self["language"]],
        }


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))
    document = DocumentField(label=_("Attach a document (optional)"), required=False,
                             help_text=_("PDF, JPEG or PNG."), widget=forms.ClearableFileInput(attrs=DOCUMENT_ACCEPT))

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("body", "").strip() and not cleaned.get("document"):
            self.add_error("body", _("Write a reply or attach a document."))
        return cleaned


class StatusLinkForm(forms.Form):
    reference = forms.CharField(label=_("Request reference"), max_length=32,
                                help_text=_("It looks like ABC-2026-00042 and is in our emails."),
                                error_messages={"required": _("Enter the reference of your request.")})
    email = forms.EmailField(label=_("The email address you used"), max_length=254,
                             error_messages={"required": _("Enter your email address."),
                                             "invalid": _("Enter an email address like name@example.com.")},
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class CodeForm(forms.Form):
    code = forms.RegexField(label=_("One-time code"), regex=r"^\s*\d{6}\s*$", max_length=12,
                            help_text=_("The 6 digits from the email we just sent you."),
                            error_messages={"required": _("Enter the 6-digit code."),
                                            "invalid": _("The code has 6 digits.")},
                            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))
