import hashlib
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import DataCategory, RequestType, RuleSet, Tenant, validate_same_tenant


class Status(models.TextChoices):
    UNCONFIRMED = "unconfirmed", _("Waiting for email confirmation")
    RECEIVED = "received", _("Received")
    VERIFYING = "verifying", _("Verifying identity")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_REQUESTER = "awaiting_requester", _("Waiting for your reply")
    COMPLETED = "completed", _("Completed")
    PARTIALLY_COMPLETED = "partially_completed", _("Partially completed")
    DENIED = "denied", _("Denied")
    FORWARDED = "forwarded", _("Forwarded to the controller")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    DUPLICATE = "duplicate", _("Closed as a duplicate")
    CLOSED_UNCONFIRMED = "closed_unconfirmed", _("Closed: email never confirmed")


OPEN_STATUSES = (Status.RECEIVED, Status.VERIFYING, Status.IN_PROGRESS, Status.AWAITING_REQUESTER)
CLOSED_STATUSES = (
    Status.COMPLETED,
    Status.PARTIALLY_COMPLETED,
    Status.DENIED,
    Status.FORWARDED,
    Status.WITHDRAWN,
    Status.DUPLICATE,
    Status.CLOSED_UNCONFIRMED,
)


class Case(models.Model):
    class Relationship(models.TextChoices):
        SELF = "self", _("I am asking about myself")
        PARENT = "parent", _("I am the parent or guardian of the person (a child)")
        AGENT = "agent", _("I am an authorised agent acting for the person")

    class Channel(models.TextChoices):
        WEB = "web", _("Web form")
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        LETTER = "letter", _("Letter")
        IN_PERSON = "in_person", _("In person")

    class DenialReason(models.TextChoices):
        IDENTITY_NOT_VERIFIED = "identity_not_verified", _("Identity could not be verified")
        UNFOUNDED_OR_EXCESSIVE = "unfounded_or_excessive", _("Manifestly unfounded or excessive")
        LEGAL_EXEMPTION = "legal_exemption", _("A legal exemption applies")
        OTHER = "other", _("Other reason")

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="cases")
    reference = models.CharField(max_length=32)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request_type = models.CharField(max_length=24, choices=RequestType.choices)
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.UNCONFIRMED)
    requester_name = models.CharField(max_length=200)
    requester_email = models.EmailField(max_length=254)
    requester_phone = models.CharField(max_length=40, blank=True)
    relationship = models.CharField(max_length=16, choices=Relationship.choices, default=Relationship.SELF)
    subject_name = models.CharField(
        max_length=200, blank=True, help_text=_("The person the data is about, when someone asks on their behalf.")
    )
    identity_answers = models.JSONField(default=dict, blank=True)
    description = models.TextField(blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.WEB)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    idempotency_key = models.CharField(max_length=64, blank=True)

    submitted_at = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(null=True, blank=True, help_text=_("When the request counts as received."))
    verified_at = models.DateTimeField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    acknowledge_by = models.DateField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    paused_since = models.DateTimeField(null=True, blank=True)
    extensions = models.PositiveSmallIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    download_expires_at = models.DateTimeField(null=True, blank=True)

    outcome_note = models.TextField(blank=True)
    verification_method = models.CharField(max_length=120, blank=True)
    verification_note = models.TextField(blank=True)
    denial_reason = models.CharField(max_length=32, choices=DenialReason.choices, blank=True)
    denial_details = models.TextField(blank=True)
    forwarded_to = models.CharField(max_length=200, blank=True)
    forwarded_at = models.DateTimeField(null=True, blank=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_cases"
    )
    legal_hold = models.BooleanField(default=False, help_text=_("Blocks purge after the retention period."))
    purged_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "reference"], name="case_unique_tenant_reference"),
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="case_unique_tenant_idempotency_key",
            ),
        ]
        indexes = [
            # Admin list: a tenant's cases newest first (default ordering, scoped).
            models.Index(fields=["tenant", "-submitted_at"], name="case_tenant_submitted_idx"),
            # Admin filters "overdue"/"due soon" and the SLA sweep: open cases by due date.
            models.Index(fields=["tenant", "status", "due_date"], name="case_tenant_status_due_idx"),
            models.Index(fields=["status", "due_date"], name="case_status_due_idx"),
            # Duplicate detection and search by email within a tenant.
            models.Index(fields=["tenant", "requester_email"], name="case_tenant_email_idx"),
            # Open duplicates by email, case-insensitively (requester_email__iexact: the admin list's
            # "possible duplicate" flag for every row shown, the case page's duplicate notice, duplicate
            # detection at confirmation). Not partial: PostgreSQL keeps statistics on the expression only
            # for full indexes, and without them it scans the whole tenant by date instead (1-2 s at 1M).
            models.Index("tenant", Upper("requester_email"), name="case_tenant_email_upper_idx"),
            # "Assigned to me" filter.
            models.Index(fields=["assignee", "status"], name="case_assignee_status_idx"),
        ]

    def __str__(self):
        return self.reference

    def clean(self):
        validate_same_tenant(self, "duplicate_of")
        if self.rule_set_id and self.tenant_id and not self.tenant.rule_sets.filter(pk=self.rule_set_id).exists():
            raise ValidationError({"rule_set": _("This organisation does not use that rule set.")})
        if self.assignee_id and self.tenant_id and not self.assignee.is_superuser:
            if not self.assignee.memberships.filter(tenant_id=self.tenant_id).exists():
                raise ValidationError({"assignee": _("The assignee is not a member of this organisation.")})

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def is_closed(self):
        return self.status in CLOSED_STATUSES

    @property
    def is_paused(self):
        return self.paused_since is not None

    @property
    def on_behalf(self):
        return self.relationship != self.Relationship.SELF


class AuditEvent(models.Model):
    """Append-only ledger: written by actions in the same transaction as the change."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="audit_events")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=120, help_text=_("Who acted: a staff username, requester or system."))
    event_type = models.CharField(max_length=48)
    old_value = models.JSONField(default=dict, blank=True)
    new_value = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # Case page timeline: a case's events in order.
            models.Index(fields=["case", "created_at"], name="audit_case_created_idx"),
            models.Index(fields=["tenant", "created_at"], name="audit_tenant_created_idx"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.event_type}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise ValidationError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Audit events are append-only.")


class ClockPause(models.Model):
    class Reason(models.TextChoices):
        IDENTITY = "identity", _("Waiting for identity evidence")
        CLARIFICATION = "clarification", _("Waiting for clarification")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="pauses")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    counts = models.BooleanField(default=True, help_text=_("False when the rule set does not let this pause stop the clock."))

    class Meta:
        ordering = ["started_at"]


class Extension(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extension_records")
    reason = models.TextField()
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    previous_due = models.DateField(null=True)
    new_due = models.DateField(null=True)

    class Meta:
        ordering = ["granted_at"]


class DeadlineRecord(models.Model):
    """Each recomputation of the due date with the steps that explain it (the SLA ledger)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadline_records")
    computed_at = models.DateTimeField(default=timezone.now)
    trigger = models.CharField(max_length=48)
    due_date = models.DateField(null=True)
    acknowledge_by = models.DateField(null=True)
    steps = models.JSONField(default=list)

    class Meta:
        ordering = ["computed_at", "id"]


class Task(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        NOT_APPLICABLE = "not_applicable", _("Not applicable")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    data_category = models.ForeignKey(DataCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    system = models.CharField(max_length=120)
    title = models.CharField(max_length=200)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notes = models.TextField(blank=True)
    records = models.JSONField(default=list, blank=True, help_text=_("Data found: a list of records (objects)."))
    fields_erased = models.TextField(blank=True, help_text=_("For manual erasure: which fields were removed."))
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.title

    def clean(self):
        if self.data_category_id and self.case_id and self.data_category.tenant_id != self.case.tenant_id:
            raise ValidationError({"data_category": _("This belongs to another organisation.")})


class Decision(models.Model):
    """What was done with one data category of the inventory for this case."""

    class Outcome(models.TextChoices):
        DISCLOSED = "disclosed", _("Disclosed")
        RECTIFIED = "rectified", _("Rectified")
        ERASED = "erased", _("Erased")
        RESTRICTED = "restricted", _("Restricted")
        STOPPED = "stopped", _("Processing stopped")
        KEPT = "kept", _("Kept (legal basis and retention period given)")
        NOT_HELD = "not_held", _("Not held")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="decisions")
    data_category = models.ForeignKey(DataCategory, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    legal_basis = models.CharField(max_length=200, blank=True)
    retention_period = models.CharField(max_length=120, blank=True)
    note = models.TextField(blank=True)
    decided_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["data_category__order", "data_category__name"]
        constraints = [models.UniqueConstraint(fields=["case", "data_category"], name="decision_unique_case_category")]

    def clean(self):
        if self.data_category_id and self.case_id and self.data_category.tenant_id != self.case.tenant_id:
            raise ValidationError({"data_category": _("This belongs to another organisation.")})
        if self.outcome == self.Outcome.KEPT and not (self.legal_basis and self.retention_period):
            raise ValidationError(_("Data kept needs its legal basis and retention period."))


class Message(models.Model):
    class Direction(models.TextChoices):
        TO_REQUESTER = "out", _("To the requester")
        FROM_REQUESTER = "in", _("From the requester")
        INTERNAL = "note", _("Internal note")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=8, choices=Direction.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="message_case_created_idx")]


def private_upload_path(instance, filename):
    # Never reuse the uploaded name on disk: it is attacker-controlled.
    return f"cases/{instance.case.tenant_id}/{instance.case_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    class Kind(models.TextChoices):
        IDENTITY = "identity", _("Identity document")
        AUTHORISATION = "authorisation", _("Signed authorisation (agent)")
        GUARDIANSHIP = "guardianship", _("Proof of guardianship (parent)")
        DOCUMENT = "document", _("Document")
        DATA = "data", _("Data found (CSV or JSON)")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.DOCUMENT)
    file = models.FileField(upload_to=private_upload_path, max_length=300, blank=True)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    encrypted = models.BooleanField(default=False)
    from_requester = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    delete_after = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # Identity-document deletion job: due deletions not yet done.
            models.Index(fields=["delete_after"], name="attachment_delete_after_idx", condition=models.Q(deleted_at__isnull=True)),
        ]

    def __str__(self):
        return self.original_name


class Response(models.Model):
    """A rendered answer: a PDF letter, optionally with a data package."""

    class Kind(models.TextChoices):
        ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
        EXTENSION = "extension", _("Extension notice")
        INFO_REQUEST = "info_request", _("Request for information")
        ANSWER = "answer", _("Answer")
        DENIAL = "denial", _("Denial")
        FORWARDED = "forwarded", _("Forwarded to the controller")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RENDERING = "rendering", _("Rendering")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        SENT = "sent", _("Sent")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="responses")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    letter = models.FileField(upload_to="responses/", max_length=300, blank=True)
    letter_sha256 = models.CharField(max_length=64, blank=True)
    package = models.FileField(upload_to="responses/", max_length=300, blank=True)
    package_sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    rendered_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.language})"


class OutboundEmail(models.Model):
    """Every email the portal sends; the idempotency key makes a send happen once per event."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    idempotency_key = models.CharField(max_length=200, unique=True)
    tenant = models.ForeignKey(Tenant, null=True, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=48)
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When a failed send is tried again (growing delay after each failure).")
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "created_at"], name="email_state_created_idx")]


class EmailTemplate(models.Model):
    """Per-tenant, per-language text for emails and staff messages (editable in admin)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="email_templates")
    kind = models.CharField(max_length=48)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    name = models.CharField(max_length=120)
    subject = models.CharField(max_length=200)
    body = models.TextField(help_text=_("Django template syntax; {{ case.reference }}, {{ tenant.name }}, {{ status_url }}…"))

    class Meta:
        ordering = ["tenant", "kind", "language"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind", "language"], name="emailtemplate_unique_tenant_kind_lang")
        ]

    def __str__(self):
        return f"{self.name} ({self.language})"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class AccessToken(models.Model):
    """A secret sent to the requester; only its hash is stored."""

    class Purpose(models.TextChoices):
        CONFIRM = "confirm", _("Confirm email")
        STATUS = "status", _("Open status page")
        DOWNLOAD_CODE = "download_code", _("One-time download code")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tokens")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    salt = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["purpose", "expires_at"], name="token_purpose_expires_idx")]


class ScheduledNotice(models.Model):
    """Claims a reminder so that it is sent once even with several workers (unique key)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notices")
    key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=32, blank=True)
    due_date = models.DateField(null=True, blank=True, help_text=_("The deadline the notice was about."))
    run = models.CharField(max_length=32, blank=True, help_text=_("The sweep run that claimed this notice."))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # SLA sweep: skip cases already noticed for this kind and deadline, and read back a run's claims.
            models.Index(fields=["case", "kind", "due_date"], name="notice_case_kind_due_idx"),
            models.Index(fields=["run"], name="notice_run_idx"),
        ]


class ReferenceSequence(models.Model):
    """Per-tenant, per-year counter behind public references like QOM-2026-00042."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "year"], name="refseq_unique_tenant_year")]


class RateCounter(models.Model):
    """One fixed window of one rate limit (dsar/ratelimit.py): bumped by a single upsert per attempt.

    key is a hash of the scope and identifier (no email address or IP is stored); windows that have
    ended are deleted now and then by the counter itself.
    """

    key = models.CharField(max_length=64)
    window = models.BigIntegerField()  # window number: seconds since the epoch // window length
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="ratecounter_unique_key_window")]
        # The occasional clean-up: DELETE … WHERE expires_at < now.
        indexes = [models.Index(fields=["expires_at"], name="ratecounter_expires_idx")]
