"""Two workers at once on PostgreSQL: each reminder and each email goes out once."""

import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, connections
from django.utils import timezone

from dsar import actions, jobs, tasks
from dsar.models import Case, OutboundEmail, ScheduledNotice
from tests.conftest import make_case, make_tenant, make_user
from tests.test_jobs import set_due

pytestmark = [
    pytest.mark.postgres,
    # Real commits (threads see each other's rows); tests/conftest.py restores the rule-set presets.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("postgres" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL"),
]


class SlowBackend(EmailBackend):
    """Sending takes a while, so that a second worker arrives while the first is still sending."""

    def send_messages(self, messages):
        time.sleep(0.5)
        return super().send_messages(messages)


def set_due_today(tenant):
    return timezone.localdate(timezone=jobs._zone(tenant.time_zone))


def run_together(func, times=2):
    barrier = threading.Barrier(times)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(func())
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def test_it_sends_an_email_once_when_two_workers_run_its_task(settings):
    tenant = make_tenant("acme")
    settings.Q_CLUSTER = {k: v for k, v in settings.Q_CLUSTER.items() if k != "sync"}
    case = make_case(tenant, "unconfirmed")
    email = OutboundEmail.objects.get(case=case)
    settings.EMAIL_BACKEND = "tests.test_jobs_pg.SlowBackend"
    mail.outbox = []
    outcomes = run_together(lambda: tasks.send_email(email.pk))
    assert sorted(outcomes) == ["sent", "skipped"]
    assert len(mail.outbox) == 1
    assert OutboundEmail.objects.get(pk=email.pk).attempts == 1


def test_it_sends_each_reminder_once_when_two_sweeps_run_at_once():
    tenant = make_tenant("acme")
    alice = make_user("alice", tenant, "officer")
    make_user("olivia", tenant, "owner")
    expected = 0
    for i, days in enumerate((7, 6, 3, 2, 1, 0, -1, -4, 30) * 3):
        case = actions.assign(make_case(tenant, "in_progress", email=f"c{i}@example.com"), None, alice)
        set_due(case, days)
        expected += 1 if days <= 7 else 0
    mail.outbox = []
    results = run_together(jobs.sla_sweep)
    assert sum(r["claimed"] for r in results) == expected
    assert ScheduledNotice.objects.filter(kind__in=["due_7", "due_3", "due_1", "overdue"]).count() == expected
    keys = [e.idempotency_key for e in OutboundEmail.objects.filter(kind__in=["sla_reminder", "escalation"])]
    assert len(keys) == len(set(keys))
    # Each claimed case is listed once to alice (its reminder) and each overdue one once to olivia
    # (escalation), whichever sweep claimed it; each sweep sends each of them at most one email of each kind.
    cases = list(Case.objects.filter(tenant=tenant, due_date__lte=set_due_today(tenant) + timedelta(days=7)))
    overdue = [c for c in cases if c.due_date < set_due_today(tenant)]
    assert len(cases) == expected and ScheduledNotice.objects.filter(kind="overdue").count() == len(overdue)
    to_alice = [m for m in mail.outbox if m.to == ["alice@staff.example"]]
    to_olivia = [m for m in mail.outbox if m.to == ["olivia@staff.example"]]
    assert all(sum(m.body.count(c.reference) for m in to_alice) == 1 for c in cases)
    assert all(sum(m.body.count(c.reference) for m in to_olivia) == 1 for c in overdue)
    assert sum(sum(m.body.count(c.reference) for m in to_olivia) for c in cases) == len(overdue)
    claiming_runs = sum(1 for r in results if r["claimed"])
    assert 1 <= len(to_alice) <= claiming_runs and len(to_olivia) <= claiming_runs
    assert connection.vendor == "postgresql"
