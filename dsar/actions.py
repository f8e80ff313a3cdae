"""Every state change of a case: one function each, in one transaction, writing its audit event.

Views, admin actions and tasks call these and nothing else to change a case. An action refused
from the wrong state raises ActionRefused with a translated message meant for the user.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.models import RequestType

from . import clock, emails, tokens, workflow
from .models import (
    OPEN_STATUSES,
    AccessToken,
    Attachment,
    AuditEvent,
    Case,
    ClockPause,
    DeadlineRecord,
    Decision,
    Extension,
    Message,
    ReferenceSequence,
    Response,
    Status,
    Task,
)
from .queue import enqueue


class ActionRefused(Exception):
    """The action is not allowed now; str(exc) is a translated message for the user."""


REQUESTER = "requester"
SYSTEM = "system"


def actor_label(actor) -> str:
    if actor is None:
        return SYSTEM
    if isinstance(actor, str):
        return actor
    return actor.get_username()


def audit(case, actor, event_type, old=None, new=None, message="", tenant=None) -> AuditEvent:
    return AuditEvent.objects.create(
        tenant=tenant or case.tenant,
        case=case,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label(actor),
        event_type=event_type,
        old_value=old or {},
        new_value=new or {},
        message=message,
        created_at=timezone.now(),
    )


def _locked(case) -> Case:
    """Re-read the case under a row lock so that concurrent actions serialise."""
    return Case.objects.select_for_update().select_related("tenant", "rule_set").get(pk=case.pk)


def _require(action, case):
    if not workflow.is_allowed(action, case.status):
        raise ActionRefused(
            _("You cannot %(action)s while the case is “%(status)s”.")
            % {"action": workflow.ACTION_LABELS[action], "status": case.get_status_display()}
        )


def _set_status(case, actor, new_status, event_type, message="", **extra_new):
    old = {"status": case.status}
    case.status = new_status
    if new_status in (Status.COMPLETED, Status.PARTIALLY_COMPLETED, Status.DENIED, Status.FORWARDED,
                      Status.WITHDRAWN, Status.DUPLICATE, Status.CLOSED_UNCONFIRMED):
        case.closed_at = timezone.now()
    case.save()
    return audit(case, actor, event_type, old, {"status": new_status, **extra_new}, message)


def recompute_deadline(case, actor, trigger: str):
    """Recompute due date and acknowledgement date; record the explanation in the ledger and audit."""
    deadline = clock.deadline_for(case)
    old = {"due_date": _iso(case.due_date), "acknowledge_by": _iso(case.acknowledge_by)}
    case.due_date = deadline.due
    case.acknowledge_by = deadline.acknowledge_by
    case.save(update_fields=["due_date", "acknowledge_by", "updated_at"])
    DeadlineRecord.objects.create(
        case=case, computed_at=timezone.now(), trigger=trigger, due_date=deadline.due, acknowledge_by=deadline.acknowledge_by, steps=deadline.steps
    )
    audit(
        case, actor, "deadline_computed", old,
        {"due_date": _iso(deadline.due), "acknowledge_by": _iso(deadline.acknowledge_by), "trigger": trigger},
        "\n".join(deadline.steps),
    )
    return deadline


def _iso(value):
    return value.isoformat() if value else None


def _next_reference(tenant) -> str:
    year = clock.today_for(tenant).year
    last = _bump_reference_sequence(tenant, year)
    if last is None:  # the first reference of this tenant's year
        ReferenceSequence.objects.get_or_create(tenant=tenant, year=year)
        last = _bump_reference_sequence(tenant, year)
    return f"{tenant.reference_prefix}-{year}-{last:05d}"


def _bump_reference_sequence(tenant, year) -> int | None:
    """One statement, UPDATE … SET last = last + 1 … RETURNING last; its row lock serialises concurrent intakes."""
    qn = connection.ops.quote_name
    table, last = qn(ReferenceSequence._meta.db_table), qn("last")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {last} = {last} + 1 WHERE {qn('tenant_id')} = %s AND {qn('year')} = %s RETURNING {last}",
            [tenant.pk, year],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def find_open_duplicate(case):
    return (
        Case.objects.filter(tenant_id=case.tenant_id, requester_email__iexact=case.requester_email, status__in=OPEN_STATUSES)
        .exclude(pk=case.pk)
        .order_by("submitted_at")
        .first()
    )


# --- Intake -----------------------------------------------------------------------------------


@transaction.atomic
def submit_request(tenant, *, rule_set, request_type, requester_name, requester_email, language="en",
                   requester_phone="", relationship=Case.Relationship.SELF, subject_name="", identity_answers=None,
                   description="", idempotency_key="", files=()):
    """A request from the public form: stored unconfirmed, with a confirmation email queued.

    Returns (case, created). The same idempotency key returns the case already stored.
    files: iterable of (kind, UploadedFile, content_type) already validated by the form.
    """
    # A key already stored (a double click, a resubmitted page, a concurrent submission) is caught by the
    # unique constraint on (tenant, idempotency_key) below: no query before the insert.
    if request_type not in tenant.offered_request_types(rule_set):
        raise ActionRefused(_("This right is not offered under the chosen law."))
    try:
        with transaction.atomic():
            case = Case.objects.create(
                tenant=tenant,
                reference=_next_reference(tenant),
                rule_set=rule_set,
                request_type=request_type,
                requester_name=requester_name,
                requester_email=requester_email,
                requester_phone=requester_phone,
                relationship=relationship,
                subject_name=subject_name,
                identity_answers=identity_answers or {},
                description=description,
                channel=Case.Channel.WEB,
                language=language,
                idempotency_key=idempotency_key,
            )
    except IntegrityError:
        # A concurrent submission with the same key won the race.
        existing = Case.objects.filter(tenant=tenant, idempotency_key=idempotency_key).first()
        if existing and idempotency_key:
            return existing, False
        raise
    audit(case, REQUESTER, "submitted", new={"status": case.status, "request_type": request_type,
                                             "rule_set": rule_set.code, "channel": case.channel})
    for kind, upload, content_type in files:
        store_attachment(case, REQUESTER, kind=kind, upload=upload, content_type=content_type)
    signed = tokens.issue(case, AccessToken.Purpose.CONFIRM, timedelta(hours=settings.CONFIRMATION_LINK_HOURS))
    emails.confirmation(case, signed)
    return case, True


@transaction.atomic
def confirm_email(token: AccessToken):
    """The requester opened the confirmation link: the request is received and the clock starts."""
    case = _locked(token.case)
    token = AccessToken.objects.select_for_update().get(pk=token.pk)
    if token.used_at is not None:
        raise ActionRefused(_("This link has already been used."))
    token.used_at = timezone.now()
    token.save(update_fields=["used_at"])
    _require("confirm_email", case)
    case.received_at = timezone.now()
    _set_status(case, REQUESTER, Status.RECEIVED, "email_confirmed", received_at=case.received_at.isoformat())
    recompute_deadline(case, SYSTEM, "email_confirmed")
    _flag_duplicate(case)
    emails.acknowledgement(case)
    case.acknowledged_at = timezone.now()
    case.save(update_fields=["acknowledged_at"])
    return case


def _flag_duplicate(case):
    other = find_open_duplicate(case)
    if other:
        audit(case, SYSTEM, "possible_duplicate", new={"case": other.reference},
              message=f"An open case for the same email exists: {other.reference}.")


@transaction.atomic
def log_offline_request(tenant, actor, *, rule_set, request_type, channel, received_at, requester_name,
                        requester_email, language="en", requester_phone="", relationship=Case.Relationship.SELF,
                        subject_name="", description="", identity_answers=None):
    """Staff record a request that arrived by email, phone, letter or in person; the clock starts at receipt."""
    if channel == Case.Channel.WEB:
        raise ActionRefused(_("Web requests come through the public form."))
    if received_at > timezone.now():
        raise ActionRefused(_("The receipt date cannot be in the future."))
    case = Case.objects.create(
        tenant=tenant, reference=_next_reference(tenant), rule_set=rule_set, request_type=request_type,
        requester_name=requester_name, requester_email=requester_email, requester_phone=requester_phone,
        relationship=relationship, subject_name=subject_name, description=description, channel=channel,
        language=language, identity_answers=identity_answers or {}, submitted_at=received_at,
        received_at=received_at, status=Status.RECEIVED, assignee=actor if getattr(actor, "pk", None) else None,
    )
    audit(case, actor, "logged", new={"status": case.status, "channel": channel, "received_at": received_at.isoformat(),
                                      "request_type": request_type, "rule_set": rule_set.code})
    recompute_deadline(case, actor, "logged")
    _flag_duplicate(case)
    return case


@transaction.atomic
def close_unconfirmed(case):
    case = _locked(case)
    _require("close_unconfirmed", case)
    _set_status(case, SYSTEM, Status.CLOSED_UNCONFIRMED, "closed_unconfirmed",
                message="The email address was not confirmed before the link expired.")
    AccessToken.objects.filter(case=case, used_at__isnull=True).update(used_at=timezone.now())
    emails.closed_unconfirmed(case)
    return case


@transaction.atomic
def send_confirmation_reminder(case, token):
    """Remind the requester to confirm, with a fresh link expiring when the original does; once per case."""
    case = _locked(case)
    _require("close_unconfirmed", case)
    now = timezone.now()
    # Claim the original token with a conditional update so that two workers remind once.
    if not AccessToken.objects.filter(pk=token.pk, reminded_at__isnull=True, used_at__isnull=True).update(reminded_at=now):
        raise ActionRefused(_("A reminder was already sent."))
    token.refresh_from_db()
    if token.expires_at <= now:
        raise ActionRefused(_("The confirmation link has expired."))
    signed = tokens.issue(case, AccessToken.Purpose.CONFIRM, token.expires_at - now)
    # The fresh link ends when the original would have (the request closes then), and is not reminded again.
    AccessToken.objects.filter(case=case, purpose=AccessToken.Purpose.CONFIRM, reminded_at__isnull=True).update(
        reminded_at=now, expires_at=token.expires_at
    )
    emails.confirmation_reminder(case, signed)
    audit(case, SYSTEM, "confirmation_reminder_sent", new={"expires_at": token.expires_at.isoformat()})
    return case


# --- Staff workflow ---------------------------------------------------------------------------


@transaction.atomic
def assign(case, actor, assignee):
    case = _locked(case)
    _require("assign", case)
    if assignee is not None and not assignee.is_superuser and not assignee.memberships.filter(tenant=case.tenant).exists():
        raise ActionRefused(_("The assignee is not a member of this organisation."))
    old = {"assignee": actor_label(case.assignee) if case.assignee else None}
    case.assignee = assignee
    case.save(update_fields=["assignee", "updated_at"])
    audit(case, actor, "assigned", old, {"assignee": assignee.get_username() if assignee else None})
    return case


@transaction.atomic
def start_verification(case, actor):
    case = _locked(case)
    _require("start_verification", case)
    _set_status(case, actor, Status.VERIFYING, "verification_started")
    return case


@transaction.atomic
def verify_identity(case, actor, *, method, note=""):
    case = _locked(case)
    _require("verify_identity", case)
    if not method:
        raise ActionRefused(_("Say how the identity was verified."))
    _end_pause(case)
    case.verified_at = timezone.now()
    case.verification_method = method
    case.verification_note = note
    _set_status(case, actor, Status.IN_PROGRESS, "identity_verified", message=note, method=method)
    _schedule_identity_deletion(case, actor)
    recompute_deadline(case, actor, "identity_verified")
    return case


def _schedule_identity_deletion(case, actor):
    delay = timedelta(days=case.tenant.identity_document_retention_days)
    docs = case.attachments.filter(kind=Attachment.Kind.IDENTITY, deleted_at__isnull=True, delete_after__isnull=True)
    when = timezone.now() + delay
    count = docs.update(delete_after=when)
    if count:
        audit(case, actor, "identity_documents_deletion_scheduled", new={"documents": count, "delete_after": when.isoformat()})


@transaction.atomic
def request_information(case, actor, *, reason, body, subject=""):
    """Ask the requester for identity evidence or clarification; pauses the clock where the law allows."""
    case = _locked(case)
    _require("request_information", case)
    if not body.strip():
        raise ActionRefused(_("Write what you need from the requester."))
    rule_set = case.rule_set
    counts = rule_set.pause_for_identity if reason == ClockPause.Reason.IDENTITY else rule_set.pause_for_clarification
    message = Message.objects.create(case=case, direction=Message.Direction.TO_REQUESTER, author=actor,
                                     subject=subject, body=body)
    ClockPause.objects.create(case=case, reason=reason, counts=counts, started_at=timezone.now())
    case.paused_since = timezone.now() if counts else None
    old = {"status": case.status}
    case.status = Status.AWAITING_REQUESTER
    case.save()
    audit(case, actor, "information_requested", old,
          {"status": case.status, "reason": reason, "clock_paused": counts},
          message="" if counts else "The rule set does not let this request stop the clock.")
    emails.message_to_requester(case, message)
    recompute_deadline(case, actor, "paused" if counts else "information_requested")
    return case


def _end_pause(case):
    open_pause = case.pauses.filter(ended_at__isnull=True).first()
    if open_pause is None:
        return False
    open_pause.ended_at = timezone.now()
    open_pause.save(update_fields=["ended_at"])
    case.paused_since = None
    return True


@transaction.atomic
def requester_reply(case, *, body, files=()):
    """The requester answers on the status page: a paused clock resumes and the assignee is told."""
    case = _locked(case)
    _require("requester_reply", case)
    if not body.strip() and not files:
        raise ActionRefused(_("Write a reply or attach a document."))
    message = Message.objects.create(case=case, direction=Message.Direction.FROM_REQUESTER, body=body)
    for kind, upload, content_type in files:
        store_attachment(case, REQUESTER, kind=kind, upload=upload, content_type=content_type, message=message)
    audit(case, REQUESTER, "requester_replied", new={"message": message.pk, "attachments": len(files)})
    if case.status == Status.AWAITING_REQUESTER:
        _resume(case, REQUESTER)
    if case.assignee:
        emails.staff_notice(case.assignee, case, "staff_reply", f"case:{case.pk}:reply:{message.pk}", message=message)
    return case


def _resume(case, actor):
    _end_pause(case)
    new_status = Status.IN_PROGRESS if case.verified_at else Status.VERIFYING
    _set_status(case, actor, new_status, "clock_resumed")
    recompute_deadline(case, actor, "resumed")


@transaction.atomic
def resume(case, actor):
    case = _locked(case)
    _require("resume", case)
    _resume(case, actor)
    return case


@transaction.atomic
def extend(case, actor, *, reason):
    case = _locked(case)
    _require("extend", case)
    if not reason.strip():
        raise ActionRefused(_("An extension needs a reason; it is sent to the requester."))
    deadline = clock.deadline_for(case)
    today = clock.today_for(case.tenant)
    from . import sla

    allowed, why = sla.can_extend(clock.rules_for(case.rule_set, case.tenant), deadline, today)
    if not allowed:
        raise ActionRefused(why)
    previous = case.due_date
    case.extensions += 1
    case.save(update_fields=["extensions", "updated_at"])
    new = recompute_deadline(case, actor, "extended")
    extension = Extension.objects.create(case=case, reason=reason, granted_by=actor if getattr(actor, "pk", None) else None,
                                         granted_at=timezone.now(), previous_due=previous, new_due=new.due)
    audit(case, actor, "extended", {"due_date": _iso(previous), "extensions": case.extensions - 1},
          {"due_date": _iso(new.due), "extensions": case.extensions}, reason)
    emails.extension_notice(case, extension)
    return case


@transaction.atomic
def change_rule_set(case, actor, rule_set):
    case = _locked(case)
    _require("change_rule_set", case)
    if not case.tenant.rule_sets.filter(pk=rule_set.pk).exists():
        raise ActionRefused(_("This organisation does not use that rule set."))
    old = {"rule_set": case.rule_set.code}
    case.rule_set = rule_set
    case.save(update_fields=["rule_set", "updated_at"])
    audit(case, actor, "rule_set_changed", old, {"rule_set": rule_set.code})
    recompute_deadline(case, actor, "rule_set_changed")
    return case


@transaction.atomic
def create_tasks_from_inventory(case, actor):
    """One task per system of each data category in the inventory (skipping ones already there)."""
    case = _locked(case)
    _require("create_tasks", case)
    existing = set(case.tasks.values_list("data_category_id", "system"))
    created = []
    for category in case.tenant.data_categories.all():
        for system in category.system_list() or [category.name]:
            if (category.pk, system) in existing:
                continue
            created.append(Task(case=case, data_category=category, system=system,
                                title=f"{case.get_request_type_display()}: {category.name} in {system}"))
    Task.objects.bulk_create(created)
    audit(case, actor, "tasks_created", new={"tasks": [t.title for t in created]})
    return created


@transaction.atomic
def update_task(task, actor, *, state=None, notes=None, records=None, fields_erased=None, assignee=None):
    case = _locked(task.case)
    if case.is_closed:
        raise ActionRefused(_("The case is closed; reopen it to change its tasks."))
    task = Task.objects.select_for_update().get(pk=task.pk)
    old, new = {}, {}
    for name, value in (("state", state), ("notes", notes), ("records", records), ("fields_erased", fields_erased)):
        if value is not None and getattr(task, name) != value:
            old[name], new[name] = getattr(task, name), value
            setattr(task, name, value)
    if assignee is not None and task.assignee_id != assignee.pk:
        old["assignee"], new["assignee"] = actor_label(task.assignee) if task.assignee else None, assignee.get_username()
        task.assignee = assignee
    if not new:
        return task
    if task.state != Task.State.OPEN and task.completed_at is None:
        task.completed_at = timezone.now()
    elif task.state == Task.State.OPEN:
        task.completed_at = None
    task.save()
    if "records" in new:
        new["records"] = f"{len(records)} records"
        old["records"] = f"{len(old['records'] or [])} records"
    audit(case, actor, "task_updated", old, {"task": task.title, **new})
    return task


@transaction.atomic
def record_decision(case, actor, *, data_category, outcome, legal_basis="", retention_period="", note=""):
    case = _locked(case)
    _require("record_decision", case)
    if data_category.tenant_id != case.tenant_id:
        raise ActionRefused(_("This belongs to another organisation."))
    if outcome == Decision.Outcome.KEPT:
        legal_basis = legal_basis or data_category.legal_basis
        retention_period = retention_period or data_category.retention_period
        if not (legal_basis and retention_period):
            raise ActionRefused(_("Data kept needs its legal basis and retention period."))
    decision = Decision.objects.filter(case=case, data_category=data_category).first()
    old = {"outcome": decision.outcome} if decision else {}
    decision, _created = Decision.objects.update_or_create(
        case=case, data_category=data_category,
        defaults=dict(outcome=outcome, legal_basis=legal_basis, retention_period=retention_period, note=note,
                      decided_by=actor, decided_at=timezone.now()),
    )
    audit(case, actor, "decision_recorded", old, {"category": data_category.name, "outcome": outcome,
                                                  "legal_basis": legal_basis, "retention_period": retention_period}, note)
    return decision


@transaction.atomic
def complete(case, actor, *, partial=False, note="", language=None):
    """Complete (or partially complete) the request: every category needs a decision; the answer is rendered."""
    case = _locked(case)
    _require("complete", case)
    missing = case.tenant.data_categories.exclude(pk__in=case.decisions.values("data_category_id"))
    if missing.exists():
        names = ", ".join(missing.values_list("name", flat=True))
        raise ActionRefused(_("Record a decision for every data category first (missing: %(names)s).") % {"names": names})
    if not partial and case.decisions.filter(outcome=Decision.Outcome.KEPT).exists() and case.request_type == RequestType.ERASURE:
        partial = True  # erasure with data kept is a partial erasure, and the letter says why
    case.outcome_note = note
    new_status = Status.PARTIALLY_COMPLETED if partial else Status.COMPLETED
    _set_status(case, actor, new_status, "completed", message=note)
    _end_open_pause(case)
    _start_download_access(case)
    render_response(case, actor, kind=Response.Kind.ANSWER, language=language or case.language, _locked_case=case)
    return case


def _end_open_pause(case):
    case.pauses.filter(ended_at__isnull=True).update(ended_at=timezone.now())
    if case.paused_since:
        case.paused_since = None
        case.save(update_fields=["paused_since"])


def _start_download_access(case):
    case.download_expires_at = timezone.now() + timedelta(days=case.tenant.download_access_days)
    case.save(update_fields=["download_expires_at"])


@transaction.atomic
def deny(case, actor, *, reason, details, language=None):
    case = _locked(case)
    _require("deny", case)
    if reason not in Case.DenialReason.values:
        raise ActionRefused(_("Choose a reason for the denial."))
    if not details.strip():
        raise ActionRefused(_("Explain the denial; the requester will read it."))
    case.denial_reason = reason
    case.denial_details = details
    _set_status(case, actor, Status.DENIED, "denied", message=details, reason=reason)
    _end_open_pause(case)
    _start_download_access(case)
    render_response(case, actor, kind=Response.Kind.DENIAL, language=language or case.language, _locked_case=case)
    return case


@transaction.atomic
def forward_to_controller(case, actor, *, controller, note=""):
    case = _locked(case)
    _require("forward", case)
    if not case.tenant.is_processor:
        raise ActionRefused(_("Only a processor forwards requests to the controller."))
    if not controller.strip():
        raise ActionRefused(_("Name the controller the request goes to."))
    case.forwarded_to = controller
    case.forwarded_at = timezone.now()
    _set_status(case, actor, Status.FORWARDED, "forwarded", message=note, forwarded_to=controller,
                forwarded_at=case.forwarded_at.isoformat())
    _end_open_pause(case)
    _start_download_access(case)
    render_response(case, actor, kind=Response.Kind.FORWARDED, language=case.language, _locked_case=case)
    return case


@transaction.atomic
def mark_duplicate(case, actor, *, original):
    case = _locked(case)
    _require("mark_duplicate", case)
    if original.tenant_id != case.tenant_id or original.pk == case.pk:
        raise ActionRefused(_("Choose another case of this organisation."))
    case.duplicate_of = original
    _set_status(case, actor, Status.DUPLICATE, "marked_duplicate", duplicate_of=original.reference)
    _end_open_pause(case)
    return case


@transaction.atomic
def withdraw(case, actor, *, note=""):
    case = _locked(case)
    _require("withdraw", case)
    _set_status(case, actor, Status.WITHDRAWN, "withdrawn", message=note)
    _end_open_pause(case)
    return case


@transaction.atomic
def reopen(case, actor, *, reason):
    """Reopen a closed case on appeal; the clock restarts from the original receipt as recorded."""
    case = _locked(case)
    _require("reopen", case)
    if not reason.strip():
        raise ActionRefused(_("Give the reason for reopening (for example the appeal received)."))
    _set_status(case, actor, Status.IN_PROGRESS if case.verified_at else Status.VERIFYING, "reopened", message=reason)
    case.closed_at = None
    case.save(update_fields=["closed_at"])
    recompute_deadline(case, actor, "reopened")
    return case


@transaction.atomic
def send_message(case, actor, *, body, subject="", internal=False, files=()):
    case = _locked(case)
    _require("send_message", case)
    if not body.strip():
        raise ActionRefused(_("The message is empty."))
    direction = Message.Direction.INTERNAL if internal else Message.Direction.TO_REQUESTER
    message = Message.objects.create(case=case, direction=direction, author=actor, subject=subject, body=body)
    for kind, upload, content_type in files:
        store_attachment(case, actor, kind=kind, upload=upload, content_type=content_type, message=message)
    audit(case, actor, "note_added" if internal else "message_sent", new={"message": message.pk, "subject": subject})
    if not internal:
        emails.message_to_requester(case, message)
    return message


@transaction.atomic
def set_legal_hold(case, actor, *, on, reason):
    case = _locked(case)
    if not reason.strip():
        raise ActionRefused(_("Give the reason for the legal hold."))
    old = {"legal_hold": case.legal_hold}
    case.legal_hold = on
    case.save(update_fields=["legal_hold", "updated_at"])
    audit(case, actor, "legal_hold_set" if on else "legal_hold_released", old, {"legal_hold": on}, reason)
    return case


# --- Files and answers -----------------------------------------------------------------------


def store_attachment(case, actor, *, kind, upload, content_type, message=None, task=None):
    """Store an uploaded file privately (caller validated type and size); audited."""
    from . import uploads

    attachment = uploads.save_private(case, upload, kind=kind, content_type=content_type, message=message, task=task,
                                      from_requester=actor == REQUESTER,
                                      uploaded_by=actor if getattr(actor, "pk", None) else None)
    audit(case, actor, "attachment_added", new={"attachment": attachment.pk, "kind": kind,
                                                "name": attachment.original_name, "sha256": attachment.sha256})
    return attachment


@transaction.atomic
def record_file_viewed(attachment, actor):
    """Staff opened a private file (identity evidence above all): who saw what belongs in the case record."""
    return audit(attachment.case, actor, "attachment_viewed", new={"attachment": attachment.pk, "kind": attachment.kind,
                                                                    "sha256": attachment.sha256})


@transaction.atomic
def delete_identity_documents(case, *, now=None):
    """Delete identity documents whose deletion time has come; the rows stay as a record."""
    now = now or timezone.now()
    due = list(case.attachments.select_for_update().filter(
        kind=Attachment.Kind.IDENTITY, deleted_at__isnull=True, delete_after__lte=now))
    for attachment in due:
        if attachment.file:
            attachment.file.delete(save=False)
        attachment.deleted_at = now
        attachment.save(update_fields=["file", "deleted_at"])
    if due:
        audit(case, SYSTEM, "identity_documents_deleted", new={"documents": [a.sha256 for a in due]})
    return len(due)


@transaction.atomic
def render_response(case, actor, *, kind, language, _locked_case=None):
    """Queue the rendering of a letter (and package); the case shows its progress."""
    case = _locked_case or _locked(case)
    _require("render_response", case)
    if case.responses.filter(kind=kind, language=language, state=Response.State.SENT).exists():
        raise ActionRefused(_("This letter was sent and is frozen; it cannot be rendered again."))
    response = _reset_or_create_response(case, kind, language)
    audit(case, actor, "response_queued", new={"response": response.pk, "kind": kind, "language": language})
    enqueue("dsar.tasks.render_response", response.pk, task_name=f"render-{response.pk}-{timezone.now():%s%f}")
    return response


def _reset_or_create_response(case, kind, language):
    response = case.responses.filter(kind=kind, language=language).exclude(state=Response.State.SENT).first()
    if response is None:
        return Response.objects.create(case=case, kind=kind, language=language)
    response.state = Response.State.QUEUED
    response.error = ""
    response.save(update_fields=["state", "error"])
    return response


@transaction.atomic
def send_response(response, actor):
    """Send a ready letter: it is frozen (its SHA-256 recorded) and the requester is told."""
    response = Response.objects.select_for_update().select_related("case", "case__tenant").get(pk=response.pk)
    case = _locked(response.case)
    if response.state != Response.State.READY:
        raise ActionRefused(_("Only a ready letter can be sent."))
    response.state = Response.State.SENT
    response.sent_at = timezone.now()
    response.save(update_fields=["state", "sent_at"])
    if not case.download_expires_at or case.download_expires_at < timezone.now():
        _start_download_access(case)
    audit(case, actor, "response_sent", new={"response": response.pk, "kind": response.kind,
                                             "letter_sha256": response.letter_sha256,
                                             "package_sha256": response.package_sha256})
    emails.answer_ready(case, response)
    return response


@transaction.atomic
def reissue_download_access(case, actor):
    case = _locked(case)
    if not case.responses.filter(state=Response.State.SENT).exists():
        raise ActionRefused(_("There is no sent answer to give access to."))
    old = {"download_expires_at": case.download_expires_at.isoformat() if case.download_expires_at else None}
    _start_download_access(case)
    audit(case, actor, "download_access_reissued", old, {"download_expires_at": case.download_expires_at.isoformat()})
    return case


@transaction.atomic
def expire_download_access(case, *, now=None):
    """Record, once per expiry, that the answer can no longer be downloaded."""
    from .models import ScheduledNotice

    now = now or timezone.now()
    case = _locked(case)
    expires = case.download_expires_at
    if expires is None or expires > now:
        raise ActionRefused(_("Download access has not expired."))
    _notice, created = ScheduledNotice.objects.get_or_create(
        key=f"download_expired:{case.pk}:{expires.isoformat()}",
        defaults={"case": case, "kind": "download_expired", "due_date": expires.date(), "created_at": now},
    )
    if not created:
        raise ActionRefused(_("The expiry of download access was already recorded."))
    audit(case, SYSTEM, "download_access_expired", new={"download_expires_at": expires.isoformat()})
    return case


@transaction.atomic
def send_download_code(case):
    case = _locked(case)
    code = tokens.issue_code(case, timedelta(minutes=settings.DOWNLOAD_CODE_MINUTES))
    nonce = str(case.tokens.filter(purpose=AccessToken.Purpose.DOWNLOAD_CODE).count())
    emails.download_code(case, code, nonce)
    audit(case, REQUESTER, "download_code_sent")
    return case


@transaction.atomic
def record_download(case, response, what):
    audit(case, REQUESTER, "downloaded", new={"response": response.pk, "file": what,
                                              "sha256": response.letter_sha256 if what == "letter" else response.package_sha256})


@transaction.atomic
def send_status_link(case):
    """Email a fresh status-page link to the case email (the requester lost theirs)."""
    case = _locked(case)
    signed = tokens.issue(case, AccessToken.Purpose.STATUS, timedelta(days=settings.STATUS_LINK_DAYS))
    nonce = str(case.tokens.filter(purpose=AccessToken.Purpose.STATUS).count())
    emails.status_link(case, signed, nonce)
    audit(case, REQUESTER, "status_link_sent")
    return case


@transaction.atomic
def purge_case(case, *, now=None):
    """Anonymise a closed case after the retention period; the row stays so metrics stay right."""
    case = _locked(case)
    if case.legal_hold:
        raise ActionRefused(_("The case is on legal hold."))
    if not case.is_closed:
        raise ActionRefused(_("Only closed cases are purged."))
    for attachment in case.attachments.all():
        if attachment.file:
            attachment.file.delete(save=False)
    case.attachments.all().delete()
    for response in case.responses.all():
        for field in (response.letter, response.package):
            if field:
                field.delete(save=False)
    case.responses.all().delete()
    case.messages.all().delete()
    case.tokens.all().delete()
    case.tasks.update(notes="", records=[], fields_erased="")
    case.requester_name = "(purged)"
    case.requester_email = f"purged-{case.pk}@invalid"
    case.requester_phone = ""
    case.subject_name = ""
    case.identity_answers = {}
    case.description = ""
    case.verification_note = ""
    case.denial_details = ""
    case.outcome_note = ""
    case.purged_at = now or timezone.now()
    case.save()
    audit(case, SYSTEM, "purged", new={"purged_at": case.purged_at.isoformat()})
    return case
