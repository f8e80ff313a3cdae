"""A real `manage.py qcluster` on PostgreSQL: a worker killed in the middle of a task does not lose it;
the task runs again once `retry` seconds have passed."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_q.models import OrmQ
from django_q.models import Task as QTask
from django_q.tasks import async_task

BASE_DIR = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif("postgres" not in settings.DATABASES["default"]["ENGINE"], reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def wait_for(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def cluster(tmp_path):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "TESTING": "1",
        "Q_WORKERS": "1",
        "Q_TIMEOUT": "3",
        "Q_RETRY": "5",
        "Q_SYNC": "0",
    }
    env.pop("Q_REDIS_URL", None)
    log = (tmp_path / "qcluster.log").open("w")
    process = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=BASE_DIR, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    yield process
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    log.close()


def test_it_finishes_a_task_whose_worker_was_killed_after_retry(cluster, tmp_path):
    marker, done = tmp_path / "first-attempt", tmp_path / "done"
    task_id = async_task("tests.qcluster_tasks.hang_on_first_attempt", str(marker), str(done))
    assert OrmQ.objects.count() == 1  # committed to the ORM broker, waiting for the cluster

    assert wait_for(marker.exists, 30), (tmp_path / "qcluster.log").read_text()
    first_worker = int(marker.read_text())
    os.kill(first_worker, signal.SIGKILL)
    killed_at = time.monotonic()

    assert wait_for(done.exists, 30), (tmp_path / "qcluster.log").read_text()
    assert time.monotonic() - killed_at >= 2  # not before the claim ran out (retry = 5 s after pick-up)
    assert int(done.read_text()) != first_worker
    assert wait_for(lambda: QTask.objects.filter(id=task_id, success=True).exists(), 10)
    assert QTask.objects.get(id=task_id).result == "second attempt"
    assert wait_for(lambda: not OrmQ.objects.exists(), 10)  # acknowledged: not run a third time
