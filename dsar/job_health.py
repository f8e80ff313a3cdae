"""Is the background work healthy? Queue depth, age of the oldest waiting task, failures in the last
24 hours (django-q) and emails that could not be sent. Shown in the admin at /admin/jobs/."""

from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Min
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_q.models import Failure, OrmQ, Schedule
from django_q.models import Task as QTask

from tenants import scoping

from .models import OutboundEmail

FAILED_EMAILS_SHOWN = 50


def _broker_queue():
    """(depth, oldest waiting since) of the broker; the age is known only for the ORM broker."""
    if "orm" in settings.Q_CLUSTER:
        # Rows whose lock is in the future are being worked on; the others wait (lock = enqueued or
        # the moment a dead worker's claim ran out).
        waiting = OrmQ.objects.filter(lock__lte=timezone.now())
        return waiting.count(), waiting.aggregate(oldest=Min("lock"))["oldest"]
    from django_q.brokers import get_broker

    return get_broker().queue_size(), None


def job_health(now=None, user=None) -> dict:
    """The figures; failed emails are limited to the user's tenants when a user is given."""
    now = now or timezone.now()
    since = now - timedelta(hours=24)
    depth, oldest = _broker_queue()
    failed_emails = OutboundEmail.objects.filter(state=OutboundEmail.State.FAILED)
    if user is not None:
        failed_emails = scoping.scope(failed_emails, user)
    return {
        "queue_depth": depth,
        "oldest_queued_at": oldest,
        "oldest_queued_age": (now - oldest) if oldest else None,
        "failures_24h": Failure.objects.filter(stopped__gte=since).count(),
        "successes_24h": QTask.objects.filter(success=True, stopped__gte=since).count(),
        "recent_failures": list(
            Failure.objects.filter(stopped__gte=since).order_by("-stopped").values("name", "func", "stopped", "result")[:20]
        ),
        "failed_emails_count": failed_emails.count(),
        "failed_emails": list(failed_emails.select_related("case").order_by("-created_at")[:FAILED_EMAILS_SHOWN]),
        "schedules": list(Schedule.objects.filter(func__startswith="dsar.").order_by("name")),
    }


def job_health_view(request):
    if not request.user.is_staff:
        raise PermissionDenied
    # Task results may name other tenants' tasks: the django-q details are for superusers only.
    context = {
        **admin.site.each_context(request),
        "title": _("Background jobs"),
        "health": job_health(user=request.user),
        "show_task_details": request.user.is_superuser,
    }
    return TemplateResponse(request, "admin/dsar/job_health.html", context)


job_health_admin_view = admin.site.admin_view(job_health_view)
