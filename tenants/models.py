from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class RequestType(models.TextChoices):
    ACCESS = "access", _("Access to my data")
    RECTIFICATION = "rectification", _("Correct my data")
    ERASURE = "erasure", _("Delete my data")
    PORTABILITY = "portability", _("Get my data in a portable format")
    RESTRICTION = "restriction", _("Restrict how my data is used")
    OBJECTION = "objection", _("Object to how my data is used")
    CONSENT_WITHDRAWAL = "consent_withdrawal", _("Withdraw my consent")
    OPT_OUT = "opt_out", _("Do not sell or share my personal information")
    LIMIT_USE = "limit_use", _("Limit the use of my sensitive personal information")


REQUEST_TYPE_EXPLANATIONS = {
    RequestType.ACCESS: _("Find out what personal data we hold about you and get a copy."),
    RequestType.RECTIFICATION: _("Ask us to correct or complete data about you that is wrong."),
    RequestType.ERASURE: _("Ask us to delete your personal data, unless the law requires us to keep it."),
    RequestType.PORTABILITY: _("Receive the data you gave us in a machine-readable file you can reuse."),
    RequestType.RESTRICTION: _("Ask us to pause using your data while a concern is resolved."),
    RequestType.OBJECTION: _("Object to uses of your data, including direct marketing."),
    RequestType.CONSENT_WITHDRAWAL: _("Withdraw a consent you gave us earlier."),
    RequestType.OPT_OUT: _("Stop us selling or sharing your personal information."),
    RequestType.LIMIT_USE: _("Limit the use of sensitive personal information to what is necessary."),
}


class PeriodUnit(models.TextChoices):
    DAYS = "days", _("calendar days")
    WORKING_DAYS = "working_days", _("working days")
    MONTHS = "months", _("months")


class RuleSet(models.Model):
    """A jurisdiction's rules for answering requests (stored as data, editable in admin)."""

    class ClockStart(models.TextChoices):
        RECEIPT = "receipt", _("at receipt")
        VERIFICATION = "verification", _("once identity is verified")

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=120)
    name_ar = models.CharField(max_length=120, blank=True)
    country = models.CharField(max_length=8, help_text=_("Country whose holidays apply (ISO code, or EU)."))
    subdivision = models.CharField(max_length=8, blank=True)
    weekend_days = models.JSONField(
        default=list, blank=True, help_text=_("Weekday numbers, Monday=0; empty = the country's default.")
    )
    no_statutory_deadline = models.BooleanField(
        default=False, help_text=_("The law sets no deadline; the tenant's own promise applies.")
    )
    period = models.PositiveIntegerField(null=True, blank=True)
    unit = models.CharField(max_length=16, choices=PeriodUnit.choices, default=PeriodUnit.DAYS)
    roll_forward = models.BooleanField(default=True, help_text=_("A deadline on a non-working day moves to the next working day."))
    clock_starts = models.CharField(max_length=16, choices=ClockStart.choices, default=ClockStart.RECEIPT)
    pause_for_identity = models.BooleanField(default=False)
    pause_for_clarification = models.BooleanField(default=False)
    extension_period = models.PositiveIntegerField(null=True, blank=True)
    extension_unit = models.CharField(max_length=16, choices=PeriodUnit.choices, default=PeriodUnit.MONTHS)
    max_extensions = models.PositiveSmallIntegerField(default=0)
    extension_notice_required = models.BooleanField(default=True)
    acknowledge_period = models.PositiveIntegerField(null=True, blank=True)
    acknowledge_unit = models.CharField(max_length=16, choices=PeriodUnit.choices, default=PeriodUnit.WORKING_DAYS)
    right_periods = models.JSONField(default=dict, blank=True, help_text=_('e.g. {"opt_out": [15, "working_days"]}'))
    rights = models.JSONField(default=list, blank=True, help_text=_("Request types this law grants."))
    verification_required = models.JSONField(default=list, blank=True)
    citation = models.TextField(blank=True)
    regulator_name = models.CharField(max_length=200, blank=True)
    regulator_name_ar = models.CharField(max_length=200, blank=True)
    regulator_url = models.URLField(blank=True)
    notes = models.TextField(blank=True, help_text=_("What was confirmed against the law text, and what was not."))

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def localized_name(self):
        return self.name_ar if get_language() == "ar" and self.name_ar else self.name

    def localized_regulator(self):
        return self.regulator_name_ar if get_language() == "ar" and self.regulator_name_ar else self.regulator_name


class Tenant(models.Model):
    class Role(models.TextChoices):
        CONTROLLER = "controller", _("Controller")
        PROCESSOR = "processor", _("Processor")
        BOTH = "both", _("Controller and processor")

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    name_ar = models.CharField(max_length=120, blank=True)
    legal_name = models.CharField(max_length=200)
    contact_email = models.EmailField()
    dpo_name = models.CharField(max_length=120, blank=True)
    dpo_email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    brand_colour = models.CharField(
        max_length=7, default="#1f4e79", validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1f4e79."))]
    )
    time_zone = models.CharField(max_length=64, default="UTC")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CONTROLLER)
    rule_sets = models.ManyToManyField(RuleSet, related_name="tenants", blank=True)
    rights = models.JSONField(
        default=list, blank=True, help_text=_("Rights the organisation promises beyond those its laws grant.")
    )
    description = models.TextField(blank=True, help_text=_("Shown on the public landing page."))
    description_ar = models.TextField(blank=True)
    promised_period = models.PositiveIntegerField(
        default=30, help_text=_("The tenant's own answer period, used where the law sets no deadline.")
    )
    promised_unit = models.CharField(max_length=16, choices=PeriodUnit.choices, default=PeriodUnit.DAYS)
    calendar_country = models.CharField(max_length=8, blank=True, help_text=_("Overrides the rule set's holiday country."))
    request_retention_months = models.PositiveIntegerField(default=24)
    download_access_days = models.PositiveIntegerField(default=30)
    identity_document_retention_days = models.PositiveIntegerField(
        default=0, help_text=_("Days after the verification decision before identity documents are deleted.")
    )
    minimum_age = models.PositiveSmallIntegerField(default=18)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def localized_name(self):
        return self.name_ar if get_language() == "ar" and self.name_ar else self.name

    def localized_description(self):
        return self.description_ar if get_language() == "ar" and self.description_ar else self.description

    @property
    def reference_prefix(self):
        return self.slug[:3].upper()

    @property
    def is_processor(self):
        return self.role in (self.Role.PROCESSOR, self.Role.BOTH)

    def offered_request_types(self, rule_set=None):
        """Request types the tenant offers under one rule set (or any of its rule sets)."""
        rule_sets = [rule_set] if rule_set else list(self.rule_sets.all())
        offered = {code for rs in rule_sets for code in rs.rights}
        # The law's rights are the floor; the organisation may promise more (Thamra: portability).
        offered |= set(self.rights)
        return [choice for choice in RequestType if choice.value in offered]


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        OFFICER = "officer", _("Privacy officer")
        ANALYST = "analyst", _("Analyst")
        AUDITOR = "auditor", _("Auditor (read-only)")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.OFFICER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "tenant"], name="membership_unique_user_tenant")]

    def __str__(self):
        return f"{self.user} @ {self.tenant} ({self.get_role_display()})"


class HolidayOverride(models.Model):
    """A tenant's correction to the public-holiday calendar (moon sighting moves Islamic holidays)."""

    class Kind(models.TextChoices):
        ADD = "add", _("Add a non-working day")
        REMOVE = "remove", _("Remove a holiday (a working day)")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="holiday_overrides")
    date = models.DateField()
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.ADD)
    name = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["tenant", "date"], name="holidayoverride_unique_tenant_date")]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}"


class DataCategory(models.Model):
    """One entry of the tenant's data inventory."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="data_categories")
    name = models.CharField(max_length=120)
    name_ar = models.CharField(max_length=120, blank=True)
    description = models.TextField(blank=True)
    systems = models.CharField(max_length=300, blank=True, help_text=_("Systems holding this data, comma-separated."))
    legal_basis = models.CharField(max_length=200, blank=True)
    retention_period = models.CharField(max_length=120, blank=True, help_text=_('e.g. "5 years after the invoice"'))
    retention_reason = models.CharField(max_length=300, blank=True)
    held_as_processor = models.BooleanField(default=False, help_text=_("Held on behalf of a customer (controller)."))
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["tenant", "order", "name"]
        verbose_name_plural = "data categories"
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="datacategory_unique_tenant_name")]

    def __str__(self):
        return self.name

    def localized_name(self):
        return self.name_ar if get_language() == "ar" and self.name_ar else self.name

    def system_list(self):
        return [s.strip() for s in self.systems.split(",") if s.strip()]


class IdentityField(models.Model):
    """A question the tenant asks to identify the requester (e.g. Account ID, Support PIN)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="identity_fields")
    key = models.SlugField(max_length=40)
    label = models.CharField(max_length=120)
    label_ar = models.CharField(max_length=120, blank=True)
    help_text = models.CharField(max_length=300, blank=True)
    help_text_ar = models.CharField(max_length=300, blank=True)
    required = models.BooleanField(default=False)
    secret = models.BooleanField(default=False, help_text=_("Masked in lists and never put in emails."))
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["tenant", "order", "key"]
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="identityfield_unique_tenant_key")]

    def __str__(self):
        return self.label

    def localized_label(self):
        return self.label_ar if get_language() == "ar" and self.label_ar else self.label

    def localized_help(self):
        return self.help_text_ar if get_language() == "ar" and self.help_text_ar else self.help_text


def validate_same_tenant(obj, *related):
    """Model clean() helper: every related object must belong to obj's tenant."""
    for name in related:
        other = getattr(obj, name, None)
        if other is not None and getattr(other, "tenant_id", obj.tenant_id) != obj.tenant_id:
            raise ValidationError({name: _("This belongs to another organisation.")})
