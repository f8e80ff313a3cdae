"""When the jobs of dsar/jobs.py run. A data migration installs these django-q Schedule rows, by name,
so that `migrate` alone sets them up; changing a row in the admin is kept (we never overwrite)."""

from datetime import UTC, datetime, time, timedelta

MINUTES = "I"  # django_q.models.Schedule.MINUTES, spelled out so migrations do not import models
DAILY = "D"

SCHEDULES = [
    # name, function, schedule type, minutes (for MINUTES), first run at (UTC time of day, for DAILY)
    ("dsar: SLA reminders and escalations", "dsar.jobs.sla_sweep", MINUTES, 15, None),
    ("dsar: retry failed emails", "dsar.jobs.retry_emails", MINUTES, 5, None),
    ("dsar: unconfirmed requests (remind, close)", "dsar.jobs.confirmation_reminders_and_expiry", MINUTES, 30, None),
    ("dsar: delete identity documents", "dsar.jobs.delete_identity_documents", MINUTES, 60, None),
    ("dsar: expire download access", "dsar.jobs.expire_download_access", MINUTES, 60, None),
    ("dsar: daily digest to staff", "dsar.jobs.daily_digest", DAILY, None, time(5, 0)),
    ("dsar: purge closed cases after retention", "dsar.jobs.purge_closed_cases", DAILY, None, time(2, 30)),
]


def _first_run(at, now):
    if at is None:
        return now
    first = datetime.combine(now.date(), at, tzinfo=UTC)
    return first if first > now else first + timedelta(days=1)


def install(schedule_model, now=None):
    """Create the missing schedules (get_or_create by name); returns how many were created."""
    now = now or datetime.now(UTC)
    created = 0
    for name, func, schedule_type, minutes, at in SCHEDULES:
        _row, was_created = schedule_model.objects.get_or_create(
            name=name,
            defaults={"func": func, "schedule_type": schedule_type, "minutes": minutes, "repeats": -1,
                      "next_run": _first_run(at, now)},
        )
        created += was_created
    return created
