"""The optional Redis broker: a task enqueued through `dsar.queue.enqueue` with Q_REDIS_URL set waits in
Redis (only after the commit) and a real qcluster runs it."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_up():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


pytestmark = [pytest.mark.slow, pytest.mark.skipif(not redis_up(), reason="Redis is not running on 127.0.0.1:6379")]


def manage(env, *args, **kwargs):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, **kwargs)


def test_it_runs_tasks_through_the_redis_broker_after_the_commit(tmp_path):
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    env = {k: v for k, v in os.environ.items() if k not in ("TESTING",)}
    env.update(DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", Q_REDIS_URL=REDIS_URL,
               Q_LOG_LEVEL="WARNING", PRIVATE_ROOT=str(tmp_path / "private"))
    assert manage(env, "migrate", "-v", "0").returncode == 0
    enqueue = manage(env, "shell", "-c", (
        "from django.db import transaction\n"
        "from dsar.queue import enqueue\n"
        "import redis\n"
        f"r = redis.Redis.from_url('{REDIS_URL}')\n"
        "with transaction.atomic():\n"
        "    enqueue('math.floor', 2.5, task_name='redis-proof')\n"
        "    before = sum(r.llen(k) for k in r.keys('*'))\n"
        "with transaction.atomic():\n"
        "    enqueue('math.floor', 1.5, task_name='rolled-back')\n"
        "    transaction.set_rollback(True)\n"
        "after = sum(r.llen(k) for k in r.keys('*') if r.type(k) == b'list')\n"
        "print(before, after)\n"
    ))
    assert enqueue.returncode == 0, enqueue.stderr
    before, after = map(int, enqueue.stdout.split()[-2:])
    assert before == 0, "the task reached Redis before the transaction committed"
    assert after == 1, "exactly the committed task waits in Redis"
    cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 150
        result = ""
        while time.monotonic() < deadline:
            check = manage(env, "shell", "-c", (
                "from django_q.models import Task\n"
                "t = Task.objects.filter(name='redis-proof').first()\n"
                "print('done' if t and t.success and t.result == 2 else 'waiting')\n"
            ))
            result = check.stdout.strip().splitlines()[-1] if check.stdout.strip() else check.stderr
            if result == "done":
                break
            time.sleep(1)
        assert result == "done"
        gone = manage(env, "shell", "-c", "from django_q.models import Task; print(Task.objects.filter(name='rolled-back').count())")
        assert gone.stdout.strip().splitlines()[-1] == "0"
    finally:
        os.killpg(cluster.pid, signal.SIGTERM)
        try:
            cluster.wait(timeout=20)
        except subprocess.TimeoutExpired:
            # A graceful stop may wait for the broker; the test is over either way.
            os.killpg(cluster.pid, signal.SIGKILL)
            cluster.wait(timeout=10)
        client.flushdb()
