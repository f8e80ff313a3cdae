"""Scheduled jobs in sync mode: SLA reminders and escalations, digest, unconfirmed requests, identity
documents, download access, purge; email delivery with back-off; schedules installed by migrate."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import OrmQ, Schedule
from django_q.signing import SignedPackage

from dsar import actions, jobs, schedules, tasks, tokens
from dsar.models import AccessToken, Attachment, AuditEvent, Case, OutboundEmail, ScheduledNotice, Status
from tests.conftest import make_case, make_tenant, make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def set_due(case, days_from_today, **fields):
    """Put the deadline days_from_today in the tenant's local calendar (test setup only)."""
    today = timezone.localdate(timezone=jobs._zone(case.tenant.time_zone))
    Case.objects.filter(pk=case.pk).update(due_date=today + timedelta(days=days_from_today), **fields)
    case.refresh_from_db()
    return case


def sent_to(address, kind=None):
    return [m for m in mail.outbox if address in m.to and (kind is None or kind in m.subject)]


def staff_mail(kind):
    return list(OutboundEmail.objects.filter(kind=kind).order_by("to", "idempotency_key"))


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server down")


# --- SLA sweep ----------------------------------------------------------------------------------


@pytest.fixture
def acme_cases(acme, alice, olivia):
    """One assigned case per reminder threshold, acknowledged so that only deadline reminders apply."""
    cases = {}
    for days in (7, 3, 1, -2, 20):
        case = make_case(acme, "in_progress", email=f"s{days}@example.com")
        case = actions.assign(case, None, alice)
        cases[days] = set_due(case, days, acknowledged_at=timezone.now())
    return cases


def listed(case, messages):
    """How many times the case is listed in these emails' bodies (once per email that names it)."""
    return sum(m.body.count(case.reference) for m in messages)


def test_it_reminds_the_assignee_at_7_3_and_1_days_and_when_overdue_in_one_email(acme_cases, alice):
    mail.outbox = []
    counts = jobs.sla_sweep()
    assert counts["due_7"] == 1 and counts["due_3"] == 1 and counts["due_1"] == 1 and counts["overdue"] == 1
    (reminder,) = sent_to("alice@staff.example")  # one email listing her four cases, not four emails
    assert reminder.subject == "4 cases need attention: 1 overdue, 0 acknowledgements due, 3 due soon"
    lines = reminder.body.splitlines()
    assert any(acme_cases[7].reference in line and "due in 7 days" in line for line in lines)
    assert any(acme_cases[3].reference in line and "due in 3 days" in line for line in lines)
    assert any(acme_cases[1].reference in line and "due in 1 day " in line for line in lines)
    assert any(acme_cases[-2].reference in line and "overdue since" in line for line in lines)
    assert lines.index(next(line for line in lines if acme_cases[-2].reference in line)) < lines.index(
        next(line for line in lines if acme_cases[7].reference in line))  # most urgent first
    assert all(listed(acme_cases[d], [reminder]) == 1 for d in (7, 3, 1, -2))
    assert listed(acme_cases[20], [reminder]) == 0
    for days in (7, 3, 1, -2):
        assert f"/admin/dsar/case/{acme_cases[days].pk}/change/" in reminder.body
    assert all(e.state == OutboundEmail.State.SENT for e in OutboundEmail.objects.filter(kind="sla_reminder"))


def test_it_escalates_overdue_cases_to_the_tenants_owners_only(acme_cases, olivia, charlie):
    jobs.sla_sweep()
    escalations = sent_to("olivia@staff.example")
    assert [m.subject for m in escalations] == [f"[{acme_cases[-2].reference}] Escalation: overdue since "
                                                 f"{acme_cases[-2].due_date:%-d %b %Y}"]
    assert "/admin/dsar/case/" in escalations[0].body and str(acme_cases[-2].pk) in escalations[0].body
    # Another tenant's owner hears nothing of Acme.
    owner_of_globex = make_user("gina", charlie.memberships.get().tenant, "owner")
    jobs.sla_sweep()
    assert sent_to(owner_of_globex.email) == []
    assert sent_to("charlie@staff.example") == []


def test_it_sends_each_reminder_once_however_often_it_runs(acme_cases):
    jobs.sla_sweep()
    first = len(mail.outbox)
    assert first == 2  # one reminder to alice (four cases), one escalation to olivia
    again = jobs.sla_sweep()
    assert again["claimed"] == 0 and again["emails"] == 0
    assert len(mail.outbox) == first


def test_it_reminds_again_for_a_new_deadline_after_an_extension(acme_cases):
    jobs.sla_sweep()
    mail.outbox = []
    set_due(acme_cases[3], 7)  # the deadline moved: the 7-day reminder for the new date is due
    counts = jobs.sla_sweep()
    assert counts["claimed"] == 1
    assert [m.subject.split("]")[0] for m in mail.outbox] == [f"[{acme_cases[3].reference}"]


def test_it_sends_the_most_urgent_reminder_when_a_sweep_was_missed(acme, alice):
    case = set_due(actions.assign(make_case(acme, "in_progress"), None, alice), 2, acknowledged_at=timezone.now())
    counts = jobs.sla_sweep()
    assert counts.get("due_3") == 1 and "due_7" not in counts
    assert "Due in 2 days" in sent_to("alice@staff.example")[0].subject
    assert ScheduledNotice.objects.filter(case=case, kind="due_3").count() == 1


def test_it_does_not_remind_about_a_paused_clock_or_closed_cases(acme, alice):
    paused = make_case(acme, "awaiting_requester")
    paused = set_due(actions.assign(paused, None, alice), 1, acknowledged_at=timezone.now(),
                     paused_since=timezone.now())
    closed = set_due(make_case(acme, "received"), -5, acknowledged_at=timezone.now())
    actions.withdraw(closed, None)
    mail.outbox = []
    assert jobs.sla_sweep()["claimed"] == 0
    assert mail.outbox == []


def test_it_tells_the_owners_when_nobody_is_assigned(acme, olivia):
    case = set_due(make_case(acme, "received"), 3, acknowledged_at=timezone.now())
    jobs.sla_sweep()
    assert [m.subject for m in sent_to("olivia@staff.example")] == [
        f"[{case.reference}] Due in 3 days ({case.due_date:%-d %b %Y})"
    ]


def test_it_reminds_that_an_acknowledgement_is_due(acme, alice):
    case = make_case(acme, "received")  # logged offline: not acknowledged yet
    case = actions.assign(case, None, alice)
    Case.objects.filter(pk=case.pk).update(acknowledge_by=timezone.localdate() + timedelta(days=1))
    counts = jobs.sla_sweep()
    assert counts.get("ack") == 1
    assert "Acknowledgement due" in sent_to("alice@staff.example", case.reference)[0].subject
    assert jobs.sla_sweep()["claimed"] == 0


def test_it_uses_the_tenants_own_staff_template(acme, alice):
    from dsar.models import EmailTemplate

    EmailTemplate.objects.create(tenant=acme, kind="sla_reminder", language="en", name="Reminder",
                                 subject="Heads up {{ case.reference }}", body="{{ days_left }} days left")
    case = set_due(actions.assign(make_case(acme, "in_progress"), None, alice), 3, acknowledged_at=timezone.now())
    jobs.sla_sweep()
    assert [(m.subject, m.body) for m in mail.outbox] == [(f"Heads up {case.reference}", "3 days left")]


def test_it_sweeps_with_a_constant_number_of_queries(acme, alice, olivia, globex, charlie, settings):
    # Sync off: the sweep only queues the sending, so its own queries are what is counted.
    settings.Q_CLUSTER = {k: v for k, v in settings.Q_CLUSTER.items() if k != "sync"}

    def queries_for(n):
        for i in range(n):
            tenant, officer = (acme, alice) if i % 3 else (globex, charlie)
            case = make_case(tenant, "in_progress", email=f"q{n}-{i}@example.com")
            if i % 5:
                case = actions.assign(case, None, officer)
            set_due(case, (7, 3, 1, -1)[i % 4], acknowledged_at=timezone.now())
        with CaptureQueriesContext(connection) as ctx:
            counts = jobs.sla_sweep()
        assert counts["claimed"] == n
        return len(ctx.captured_queries)

    assert queries_for(4) == queries_for(40)


def test_it_lists_every_claimed_case_once_per_recipient_and_never_again(acme, alice, olivia):
    mine = [set_due(actions.assign(make_case(acme, "in_progress", email=f"a{i}@example.com"), None, alice),
                    (7, 3, 1, 0, -1, -5)[i % 6], acknowledged_at=timezone.now()) for i in range(12)]
    nobodys = [set_due(make_case(acme, "received", email=f"n{i}@example.com"), (2, -3)[i % 2],
                       acknowledged_at=timezone.now()) for i in range(4)]
    mail.outbox = []
    counts = jobs.sla_sweep()
    assert counts["claimed"] == 16 and counts["emails"] == 3
    (to_alice,) = sent_to("alice@staff.example")
    olivias = sent_to("olivia@staff.example")
    (reminder,) = [m for m in olivias if "need attention" in m.subject]
    (escalation,) = [m for m in olivias if "Escalation" in m.subject]
    assert all(listed(case, [to_alice]) == 1 for case in mine)
    assert all(listed(case, [reminder]) == 1 for case in nobodys)  # nobody assigned: the owner is reminded
    assert all(listed(case, [to_alice]) == 0 for case in nobodys)
    assert all(listed(case, [reminder]) == 0 for case in mine)
    overdue = [c for c in mine + nobodys if c.due_date < timezone.localdate()]
    assert escalation.subject == f"Escalation: {len(overdue)} cases overdue"
    assert all(listed(case, [escalation]) == 1 for case in overdue)
    assert sum(listed(case, [escalation]) for case in mine + nobodys) == len(overdue)
    # The next run finds nothing new: no email at all.
    assert jobs.sla_sweep()["emails"] == 0 and len(mail.outbox) == 3


def test_it_counts_the_cases_beyond_the_list_limit(acme, alice, settings, monkeypatch):
    monkeypatch.setattr(jobs, "SWEEP_LIST_LIMIT", 3)
    cases = [set_due(actions.assign(make_case(acme, "in_progress", email=f"l{i}@example.com"), None, alice), -1,
                     acknowledged_at=timezone.now()) for i in range(5)]
    mail.outbox = []
    jobs.sla_sweep()
    (reminder,) = sent_to("alice@staff.example")
    assert reminder.subject.startswith("5 cases need attention: 5 overdue")
    assert sum(listed(case, [reminder]) for case in cases) == 3 and "… and 2 more" in reminder.body


# --- Daily digest -------------------------------------------------------------------------------


def test_it_sends_each_staff_member_a_digest_of_their_work_once_a_day(acme, alice, bob, dave, olivia, globex, charlie):
    overdue = set_due(actions.assign(make_case(acme, "in_progress", email="o@example.com"), None, alice), -3)
    soon = set_due(actions.assign(make_case(acme, "in_progress", email="s@example.com"), None, alice), 2)
    unassigned = set_due(make_case(acme, "received", email="u@example.com"), 5)
    secret = set_due(make_case(globex, "received", email="g@example.com"), -1)
    mail.outbox = []
    assert jobs.daily_digest()["digests"] >= 2
    (alice_digest,) = sent_to("alice@staff.example")
    assert "2 open, 2 due soon, 1 overdue" in alice_digest.subject  # her two + the unassigned one
    assert overdue.reference in alice_digest.body and soon.reference in alice_digest.body
    assert unassigned.reference in alice_digest.body
    assert secret.reference not in alice_digest.body
    (charlie_digest,) = sent_to("charlie@staff.example")
    assert secret.reference in charlie_digest.body
    assert overdue.reference not in charlie_digest.body and unassigned.reference not in charlie_digest.body
    # Bob (analyst) has nothing assigned and does not manage unassigned work; dave is a read-only auditor.
    assert sent_to("bob@staff.example") == [] and sent_to("dave@staff.example") == []
    before = len(mail.outbox)
    jobs.daily_digest()
    assert len(mail.outbox) == before


# --- Unconfirmed requests -----------------------------------------------------------------------


def _age_tokens(case, hours):
    AccessToken.objects.filter(case=case).update(created_at=timezone.now() - timedelta(hours=hours))


def test_it_reminds_an_unconfirmed_requester_once_with_a_fresh_link_that_works(acme, settings):
    case = make_case(acme, "unconfirmed")
    original = case.tokens.get()
    assert jobs.confirmation_reminders_and_expiry()["reminded"] == 0  # too early
    _age_tokens(case, settings.CONFIRMATION_REMINDER_HOURS + 1)
    mail.outbox = []
    assert jobs.confirmation_reminders_and_expiry() == {"reminded": 1, "closed": 0}
    (reminder,) = mail.outbox
    original.refresh_from_db()
    assert original.reminded_at is not None
    fresh = case.tokens.exclude(pk=original.pk).get()
    assert fresh.expires_at == original.expires_at  # the request still closes when it would have
    link = next(line for line in reminder.body.splitlines() if "/confirm/" in line or "confirm" in line.lower()
                and line.startswith("http"))
    signed = link.rstrip("/").split("/")[-1]
    token = tokens.lookup(signed, AccessToken.Purpose.CONFIRM, timedelta(hours=settings.CONFIRMATION_LINK_HOURS))
    assert token is not None and token.pk == fresh.pk
    assert jobs.confirmation_reminders_and_expiry()["reminded"] == 0
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(case=case, event_type="confirmation_reminder_sent").count() == 1


def test_it_closes_requests_never_confirmed_and_tells_the_requester(acme, settings):
    case = make_case(acme, "unconfirmed")
    confirmed_later = make_case(acme, "unconfirmed", email="other@example.com")
    hours = settings.CONFIRMATION_LINK_HOURS + 1
    for c in (case, confirmed_later):
        Case.objects.filter(pk=c.pk).update(submitted_at=timezone.now() - timedelta(hours=hours))
    AccessToken.objects.filter(case=case).update(expires_at=timezone.now() - timedelta(minutes=1))
    mail.outbox = []
    assert jobs.confirmation_reminders_and_expiry()["closed"] == 1
    case.refresh_from_db()
    assert case.status == Status.CLOSED_UNCONFIRMED and case.closed_at is not None
    assert AuditEvent.objects.filter(case=case, event_type="closed_unconfirmed").count() == 1
    assert [m.to for m in mail.outbox] == [[case.requester_email]]
    assert "closed" in mail.outbox[0].body
    assert Case.objects.get(pk=confirmed_later.pk).status == Status.UNCONFIRMED  # its link still lives
    assert jobs.confirmation_reminders_and_expiry()["closed"] == 0


# --- Identity documents, download access --------------------------------------------------------


def test_it_deletes_identity_documents_once_their_time_has_come(acme, alice, settings):
    case = make_case(acme, "verifying")
    upload = SimpleUploadedFile("passport.png", PNG, content_type="image/png")
    attachment = actions.store_attachment(case, alice, kind=Attachment.Kind.IDENTITY, upload=upload,
                                          content_type="image/png")
    other = actions.store_attachment(case, alice, kind=Attachment.Kind.DOCUMENT,
                                     upload=SimpleUploadedFile("letter.png", PNG), content_type="image/png")
    path = attachment.file.path
    assert jobs.delete_identity_documents()["documents"] == 0  # not verified yet: nothing scheduled
    actions.verify_identity(case, alice, method="Passport checked")
    assert jobs.delete_identity_documents(now=timezone.now() + timedelta(seconds=1))["documents"] == 1
    attachment.refresh_from_db()
    assert attachment.deleted_at is not None and not attachment.file
    import os

    assert not os.path.exists(path)
    assert Attachment.objects.get(pk=other.pk).file  # not an identity document: kept
    assert AuditEvent.objects.filter(case=case, event_type="identity_documents_deleted").count() == 1
    assert jobs.delete_identity_documents(now=timezone.now() + timedelta(seconds=1))["documents"] == 0


def test_it_waits_for_the_tenants_identity_retention_period(acme, alice):
    acme.identity_document_retention_days = 7
    acme.save()
    case = make_case(acme, "verifying")
    actions.store_attachment(case, alice, kind=Attachment.Kind.IDENTITY, upload=SimpleUploadedFile("id.png", PNG),
                             content_type="image/png")
    actions.verify_identity(case, alice, method="Passport checked")
    assert jobs.delete_identity_documents(now=timezone.now() + timedelta(days=6))["documents"] == 0
    assert jobs.delete_identity_documents(now=timezone.now() + timedelta(days=7, minutes=1))["documents"] == 1


def _completed(tenant, actor, email="done@example.com"):
    case = make_case(tenant, "in_progress", email=email)
    for category in tenant.data_categories.all():
        actions.record_decision(case, actor, data_category=category, outcome="disclosed")
    return actions.complete(case, actor)


def test_it_records_the_expiry_of_download_access_once_per_expiry(acme, alice):
    case = _completed(acme, alice)
    later = case.download_expires_at + timedelta(minutes=1)
    assert jobs.expire_download_access(now=case.download_expires_at - timedelta(minutes=1))["expired"] == 0
    assert jobs.expire_download_access(now=later)["expired"] == 1
    assert jobs.expire_download_access(now=later + timedelta(hours=1))["expired"] == 0
    assert AuditEvent.objects.filter(case=case, event_type="download_access_expired").count() == 1
    # Access given again, and expiring again, is recorded again.
    Case.objects.filter(pk=case.pk).update(download_expires_at=later + timedelta(days=2))
    assert jobs.expire_download_access(now=later + timedelta(days=2, minutes=1))["expired"] == 1
    assert AuditEvent.objects.filter(case=case, event_type="download_access_expired").count() == 2


# --- Purge --------------------------------------------------------------------------------------


def _close_long_ago(case, months):
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=31 * months))


def test_it_purges_after_retention_keeping_metrics_and_cases_on_legal_hold(acme, alice, globex):
    old = _completed(acme, alice, "old@example.com")
    held = _completed(acme, alice, "held@example.com")
    actions.set_legal_hold(held, alice, on=True, reason="Litigation 2024/17")
    recent = _completed(acme, alice, "recent@example.com")
    withdrawn = make_case(acme, "received", email="gone@example.com")
    actions.withdraw(withdrawn, None)
    still_open = make_case(acme, "in_progress", email="open@example.com")
    for case in (old, held, withdrawn):
        _close_long_ago(case, 25)
    _close_long_ago(recent, 23)
    Case.objects.filter(pk=still_open.pk).update(submitted_at=timezone.now() - timedelta(days=31 * 30))
    before = jobs.metrics_snapshot()

    counts = jobs.purge_closed_cases()

    assert counts == {"purged": 2, "held": 1}
    assert jobs.metrics_snapshot() == before
    old.refresh_from_db()
    assert old.purged_at is not None and old.requester_name == "(purged)" and "old@" not in old.requester_email
    assert old.status == Status.COMPLETED and old.request_type == "access"  # what metrics count stays
    assert not old.responses.exists() and not old.messages.exists()
    held.refresh_from_db()
    assert held.purged_at is None and held.requester_email == "held@example.com" and held.responses.exists()
    for case in (recent, still_open):
        case.refresh_from_db()
        assert case.purged_at is None
    assert Case.objects.get(pk=withdrawn.pk).purged_at is not None
    assert AuditEvent.objects.filter(event_type="purged").count() == 2
    assert jobs.purge_closed_cases() == {"purged": 0, "held": 1}


def test_it_follows_each_tenants_retention_period(acme, alice):
    acme.request_retention_months = 6
    acme.save()
    case = _completed(acme, alice)
    _close_long_ago(case, 5)
    assert jobs.purge_closed_cases()["purged"] == 0
    _close_long_ago(case, 7)
    assert jobs.purge_closed_cases()["purged"] == 1


def test_it_keeps_the_california_metrics_report_the_same_after_a_purge(db):
    from dsar import metrics

    tenant = make_tenant("calco", rule_codes=("ccpa",))
    user = make_user("cal-officer", tenant)
    answered = _completed(tenant, user, "answered@example.com")
    denied = actions.deny(make_case(tenant, "in_progress", email="denied@example.com"), user,
                          reason=Case.DenialReason.OTHER, details="Not our customer.")
    year = timezone.now().year - 3
    for case, days in ((answered, 12), (denied, 30)):
        received = timezone.now().replace(year=year, month=3, day=2)
        Case.objects.filter(pk=case.pk).update(submitted_at=received, received_at=received,
                                               closed_at=received + timedelta(days=days))
    before = metrics.california_report(tenant, year)
    assert sum(row.received for row in before) == 2 and sum(row.denied for row in before) == 1

    assert jobs.purge_closed_cases()["purged"] == 2

    assert metrics.california_report(tenant, year) == before


# --- Email delivery -----------------------------------------------------------------------------


def test_it_enqueues_email_only_when_the_change_commits(acme, settings):
    settings.Q_CLUSTER = {k: v for k, v in settings.Q_CLUSTER.items() if k != "sync"}
    with pytest.raises(RuntimeError), transaction.atomic():
        make_case(acme, "unconfirmed", email="rolled-back@example.com")
        assert OrmQ.objects.count() == 1 and OutboundEmail.objects.count() == 1
        raise RuntimeError("the request failed after the email was queued")
    assert OrmQ.objects.count() == 0 and OutboundEmail.objects.count() == 0
    assert not Case.objects.filter(requester_email="rolled-back@example.com").exists()
    assert mail.outbox == []

    case = make_case(acme, "unconfirmed", email="kept@example.com")
    (queued,) = OrmQ.objects.all()
    task = SignedPackage.loads(queued.payload)
    email = OutboundEmail.objects.get(case=case)
    assert task["func"] == "dsar.tasks.send_email" and task["args"] == (email.pk,)
    assert mail.outbox == []  # nothing sent until a worker runs the task
    assert tasks.send_email(*task["args"]) == "sent"
    assert tasks.send_email(*task["args"]) == "skipped"  # redelivered: not sent twice
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["kept@example.com"]


def test_it_retries_a_failed_email_with_growing_delays_and_sends_it_once(acme, settings):
    settings.EMAIL_BACKEND = "tests.test_jobs.FailingBackend"
    case = make_case(acme, "unconfirmed")  # sync mode: the task runs and fails, the case is kept
    email = OutboundEmail.objects.get(case=case)
    assert email.state == OutboundEmail.State.FAILED and email.attempts == 1
    assert "SMTP server down" in email.last_error
    first_delay = email.next_attempt_at - timezone.now()
    assert timedelta(minutes=1) < first_delay <= timedelta(minutes=2)
    assert Case.objects.filter(pk=case.pk).exists()

    assert jobs.retry_emails(now=timezone.now() + timedelta(minutes=1)) == {}  # not yet
    jobs.retry_emails(now=email.next_attempt_at + timedelta(seconds=1))
    email.refresh_from_db()
    assert email.attempts == 2
    assert email.next_attempt_at - timezone.now() > timedelta(minutes=3)  # 4 minutes now

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert jobs.retry_emails(now=email.next_attempt_at + timedelta(seconds=1)) == {"sent": 1}
    email.refresh_from_db()
    assert email.state == OutboundEmail.State.SENT and email.last_error == "" and email.next_attempt_at is None
    assert jobs.retry_emails(now=timezone.now() + timedelta(days=1)) == {}
    assert len(mail.outbox) == 1


def test_it_gives_up_after_the_last_attempt_and_keeps_the_email_visible(acme, settings):
    settings.EMAIL_BACKEND = "tests.test_jobs.FailingBackend"
    case = make_case(acme, "unconfirmed")
    email = OutboundEmail.objects.get(case=case)
    OutboundEmail.objects.filter(pk=email.pk).update(attempts=tasks.EMAIL_MAX_ATTEMPTS - 1)
    settings.Q_CLUSTER = {k: v for k, v in settings.Q_CLUSTER.items() if k != "sync"}
    with pytest.raises(tasks.EmailNotSent):  # in a worker the django-q task fails too (job health)
        tasks.send_email(email.pk)
    email.refresh_from_db()
    assert email.state == OutboundEmail.State.FAILED and email.next_attempt_at is None
    assert tasks.deliver(email.pk) == "gave_up"
    assert case.emails.filter(state=OutboundEmail.State.FAILED).count() == 1


def test_it_sends_lost_pending_emails(acme, settings):
    settings.Q_CLUSTER = {k: v for k, v in settings.Q_CLUSTER.items() if k != "sync"}
    case = make_case(acme, "unconfirmed")
    OrmQ.objects.all().delete()  # the broker lost the task (e.g. Redis flushed)
    assert jobs.retry_emails() == {}  # too recent to call lost
    assert jobs.retry_emails(now=timezone.now() + timedelta(minutes=11)) == {"sent": 1}
    assert OutboundEmail.objects.get(case=case).state == OutboundEmail.State.SENT


# --- Schedules ----------------------------------------------------------------------------------


def test_it_installs_every_schedule_with_migrate_and_their_functions_exist(db):
    from django.utils.module_loading import import_string

    rows = {s.name: s for s in Schedule.objects.filter(func__startswith="dsar.")}
    assert set(rows) == {name for name, *_ in schedules.SCHEDULES}
    assert rows["dsar: SLA reminders and escalations"].minutes == 15
    assert rows["dsar: SLA reminders and escalations"].schedule_type == Schedule.MINUTES
    assert rows["dsar: daily digest to staff"].schedule_type == Schedule.DAILY
    for row in rows.values():
        assert callable(import_string(row.func)) and row.repeats == -1
    assert schedules.install(Schedule) == 0  # idempotent: nothing new the second time
