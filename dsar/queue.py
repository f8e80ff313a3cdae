"""Enqueue django-q2 tasks so that they run exactly when the surrounding transaction commits."""

from django.conf import settings
from django.db import transaction
from django_q.tasks import async_task


def enqueue(func_path: str, *args, **kwargs):
    if settings.Q_CLUSTER.get("sync"):
        # Tests: run at once, inside the caller's transaction.
        return async_task(func_path, *args, sync=True, **kwargs)
    if "orm" in settings.Q_CLUSTER:
        # The ORM broker writes its queue row in the caller's transaction: a rollback drops the
        # task, a commit keeps it.
        return async_task(func_path, *args, **kwargs)
    transaction.on_commit(lambda: async_task(func_path, *args, **kwargs))
    return None
