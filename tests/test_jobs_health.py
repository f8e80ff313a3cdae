"""Job health in the admin: queue depth, oldest waiting task, failures in 24 hours, failed emails."""

from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone
from django_q.models import Failure, OrmQ

from dsar.job_health import job_health
from dsar.models import OutboundEmail
from tests.conftest import PASSWORD, make_case


def _failed_email(case, error):
    return OutboundEmail.objects.create(
        idempotency_key=f"test:{case.pk}:{error}", tenant=case.tenant, case=case, kind="confirmation",
        to=case.requester_email, subject="s", body="b", state=OutboundEmail.State.FAILED, attempts=3,
        last_error=error,
    )


def test_it_measures_queue_depth_oldest_task_and_recent_failures(db):
    now = timezone.now()
    OrmQ.objects.create(key="dsar", payload="x", lock=now - timedelta(minutes=7))
    OrmQ.objects.create(key="dsar", payload="y", lock=now - timedelta(minutes=1))
    OrmQ.objects.create(key="dsar", payload="z", lock=now + timedelta(minutes=2))  # a worker has it
    for hours_ago in (1, 23, 25):
        stopped = now - timedelta(hours=hours_ago)
        Failure.objects.create(id=f"f{hours_ago}", name=f"f{hours_ago}", func="dsar.tasks.send_email",
                               started=stopped, stopped=stopped, success=False, result="boom")
    health = job_health(now=now)
    assert health["queue_depth"] == 2
    assert timedelta(minutes=6) < health["oldest_queued_age"] <= timedelta(minutes=7, seconds=5)
    assert health["failures_24h"] == 2


def test_it_shows_failed_emails_on_the_page_only_to_staff_of_that_tenant(client, acme, alice, globex, charlie):
    acme_case = make_case(acme, "received", email="a@example.com")
    globex_case = make_case(globex, "received", email="g@example.com")
    _failed_email(acme_case, "acme-smtp-down")
    _failed_email(globex_case, "globex-smtp-down")

    client.login(username="alice", password=PASSWORD)
    page = client.get("/admin/jobs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert acme_case.reference in html and "acme-smtp-down" in html
    assert globex_case.reference not in html and "globex-smtp-down" not in html
    assert 'id="failed-emails">1<' in html

    client.login(username="charlie", password=PASSWORD)
    html = client.get("/admin/jobs/").content.decode()
    assert "globex-smtp-down" in html and "acme-smtp-down" not in html


def test_it_shows_every_failure_and_the_schedules_to_a_superuser(client, acme, superuser):
    _failed_email(make_case(acme, "received"), "smtp-down")
    client.login(username="root", password=PASSWORD)
    html = client.get("/admin/jobs/").content.decode()
    assert "smtp-down" in html and "dsar: SLA reminders and escalations" in html


def test_it_keeps_the_page_from_anonymous_and_non_staff_users(client, acme):
    assert client.get("/admin/jobs/").status_code == 302
    User.objects.create_user("visitor", "v@example.com", PASSWORD)
    client.login(username="visitor", password=PASSWORD)
    response = client.get("/admin/jobs/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
