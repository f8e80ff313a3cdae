"""Fault test: public submissions under load against real PostgreSQL, gunicorn and qcluster, while
a gunicorn worker is SIGKILLed and PostgreSQL restarts.

Afterwards every submission that got a success answer exists exactly once, no submission exists
twice, and every stored case's confirmation email went out exactly once (counted both as
OutboundEmail rows marked sent and as messages in the file mail backend's directory).

Runs only against PostgreSQL (DATABASE_URL=postgres://...), as CI does. It uses its own database
(<name>_fault), because gunicorn and qcluster must see committed data.
"""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("DATABASE_URL", "")
SUBMISSIONS = int(os.environ.get("FAULT_SUBMISSIONS", "150"))
THREADS = 6
SLUG = "faultco"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not DATABASE_URL.startswith("postgres"), reason="fault tests need DATABASE_URL=postgres://..."),
]
# django-environ drops one slash after "filemail://": an absolute directory needs three before it.


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def psql(url: str, sql: str) -> str:
    return subprocess.run(["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                          capture_output=True, text=True).stdout.strip()


def wait_for_postgres(timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]).returncode == 0:
            return
        time.sleep(0.5)
    raise AssertionError("PostgreSQL did not come back")


def restart_postgres():
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True,
                   capture_output=True)
    wait_for_postgres()


@pytest.fixture
def fault_env(tmp_path):
    parsed = urlparse(DATABASE_URL)
    db_name = (parsed.path.lstrip("/") or "test") + "_fault"
    admin_url = parsed._replace(path="/postgres").geturl()
    fault_url = parsed._replace(path=f"/{db_name}").geturl()
    psql(admin_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    psql(admin_url, f'CREATE DATABASE "{db_name}"')
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("TESTING", "Q_SYNC", "CACHE_URL")}
    env.update(
        DEBUG="0", TESTING="0", SECRET_KEY="fault-" + uuid.uuid4().hex * 2, ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL="http://127.0.0.1", DATABASE_URL=fault_url, EMAIL_URL=f"filemail:///{mail_dir}",
        SECURE_SSL_REDIRECT="0", SESSION_COOKIE_SECURE="0", CSRF_COOKIE_SECURE="0", SECURE_HSTS_SECONDS="0",
        INTAKE_RATE_PER_IP="100000/h", INTAKE_RATE_PER_EMAIL="100000/h", PRIVATE_ROOT=str(tmp_path / "private"),
        Q_WORKERS="2", Q_RETRY="10", Q_TIMEOUT="8", CONN_MAX_AGE="0", LOG_LEVEL="WARNING",
    )
    python = str(ROOT / ".venv/bin/python") if (ROOT / ".venv/bin/python").exists() else sys.executable
    manage = [python, "manage.py"]
    for command in (["migrate", "--noinput"], ["createcachetable"]):
        subprocess.run(manage + command, cwd=ROOT, env=env, check=True, capture_output=True)
    setup = (
        "from tenants.models import RuleSet, Tenant;"
        f"t = Tenant.objects.create(slug='{SLUG}', name='Fault Co', legal_name='Fault Co Ltd',"
        " contact_email='privacy@fault.example', time_zone='Europe/Dublin');"
        "t.rule_sets.set(RuleSet.objects.filter(code='gdpr'))"
    )
    subprocess.run(manage + ["shell", "-c", setup], cwd=ROOT, env=env, check=True, capture_output=True)
    yield {"env": env, "url": fault_url, "mail_dir": mail_dir, "python": python, "tmp": tmp_path}
    wait_for_postgres()
    psql(admin_url, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def start(args, env, log):
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Submitter:
    """A browser-like client: fetch the form (CSRF cookie + signed idempotency key), post it, and
    resubmit the same form after a failure, as a person pressing the button again would."""

    def __init__(self, port):
        self.port = port

    def _request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read().decode("utf-8", "replace")
        finally:
            connection.close()

    def fetch_form(self):
        status, headers, html = self._request("GET", f"/{SLUG}/request/")
        if status != 200:
            raise ConnectionError(f"form answered {status}")
        cookie = next(value.split(";")[0] for name, value in headers
                      if name.lower() == "set-cookie" and value.startswith("csrftoken="))
        fields = {}
        for name in ("csrfmiddlewaretoken", "idempotency_key"):
            match = re.search(rf'name="{name}" value="([^"]+)"', html) or re.search(
                rf'value="([^"]+)" name="{name}"', html)
            fields[name] = match.group(1)
        return cookie, fields

    def submit(self, index, marker) -> dict:
        attempts, form = 0, None
        while attempts < 6:
            attempts += 1
            try:
                if form is None:
                    form = self.fetch_form()
                cookie, hidden = form
                data = {**hidden, "request_type": "access", "relationship": "self", "language": "en",
                        "requester_name": f"Fault Subject {index}", "requester_email": f"fault-{index}@example.com",
                        "description": marker}
                status, headers, _html = self._request(
                    "POST", f"/{SLUG}/request/", urlencode(data),
                    {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
                )
                location = dict((k.lower(), v) for k, v in headers).get("location", "")
                if status == 302 and location.endswith("/request/sent/"):
                    return {"marker": marker, "acknowledged": True, "attempts": attempts}
            except (OSError, http.client.HTTPException, StopIteration, AttributeError):
                pass
            time.sleep(1.0)
        return {"marker": marker, "acknowledged": False, "attempts": attempts}


def test_it_loses_and_duplicates_nothing_when_a_worker_dies_and_postgres_restarts(fault_env, capsys):
    env, tmp = fault_env["env"], fault_env["tmp"]
    port = free_port()
    python = fault_env["python"]
    gunicorn_log = open(tmp / "gunicorn.log", "w")  # noqa: SIM115 - closed at the end
    cluster_log = open(tmp / "qcluster.log", "w")  # noqa: SIM115
    gunicorn = start([python, "-m", "gunicorn", "dsar.wsgi:application", "--workers", "2", "--bind",
                      f"127.0.0.1:{port}", "--timeout", "30", "--graceful-timeout", "5"], env, gunicorn_log)
    cluster = start([python, "manage.py", "qcluster"], env, cluster_log)
    try:
        submitter = Submitter(port)
        deadline = time.time() + 30
        while True:
            try:
                submitter.fetch_form()
                break
            except (OSError, ConnectionError, StopIteration):
                assert time.time() < deadline, (tmp / "gunicorn.log").read_text()
                time.sleep(0.3)

        run_id = uuid.uuid4().hex[:8]
        markers = [f"fault-{run_id}-{i:04d}" for i in range(SUBMISSIONS)]
        done = []
        lock = threading.Lock()
        faults = {}

        def one(index):
            result = submitter.submit(index, markers[index])
            with lock:
                done.append(result)
            return result

        def inject():
            while len(done) < SUBMISSIONS // 4:
                time.sleep(0.05)
            workers = children(gunicorn.pid)
            os.kill(workers[0], signal.SIGKILL)
            faults["worker_killed"] = (workers[0], len(done))
            while len(done) < SUBMISSIONS // 2:
                time.sleep(0.05)
            started = time.time()
            restart_postgres()
            faults["postgres_restarted"] = (round(time.time() - started, 1), len(done))

        began = time.time()
        injector = threading.Thread(target=inject, daemon=True)
        injector.start()
        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(one, range(SUBMISSIONS)))
        injector.join(timeout=60)
        elapsed = time.time() - began
        assert "worker_killed" in faults and "postgres_restarted" in faults, faults

        acknowledged = {r["marker"] for r in results if r["acknowledged"]}
        tenant_cases = f"FROM dsar_case c JOIN tenants_tenant t ON t.id = c.tenant_id WHERE t.slug = '{SLUG}'"

        # Let the cluster drain: every confirmation email row sent, or 60 s.
        drain_deadline = time.time() + 60
        while time.time() < drain_deadline:
            pending = int(psql(fault_env["url"], "SELECT count(*) FROM dsar_outboundemail e JOIN dsar_case c ON "
                                                 "c.id = e.case_id WHERE e.kind = 'confirmation' AND e.state <> 'sent'"))
            if pending == 0:
                break
            time.sleep(1)
        time.sleep(3)  # a duplicate send would show up here
        # A send that failed while PostgreSQL was down is acknowledged as failed by the cluster
        # (ack_failures); the email safety net (dsar.jobs.retry_emails, scheduled) sends it once the
        # row is STALE_PENDING_EMAIL old. Run it now as if that time had passed.
        sweep = subprocess.run(
            [python, "manage.py", "shell", "-c",
             "from django.utils import timezone; from dsar import jobs; "
             "print(jobs.retry_emails(now=timezone.now() + jobs.STALE_PENDING_EMAIL))"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        ).stdout.strip().splitlines()[-1]

        stored = psql(fault_env["url"], f"SELECT c.description, count(*) {tenant_cases} GROUP BY c.description")
        stored_counts = dict(line.rsplit("|", 1) for line in stored.splitlines() if line)
        stored_counts = {marker: int(count) for marker, count in stored_counts.items()}
        emails = psql(fault_env["url"], "SELECT c.requester_email, e.state, count(*) FROM dsar_outboundemail e "
                                        "JOIN dsar_case c ON c.id = e.case_id WHERE e.kind = 'confirmation' "
                                        "GROUP BY c.requester_email, e.state")
        email_rows = [line.split("|") for line in emails.splitlines() if line]
        mail_text = "\n".join(path.read_text(errors="replace") for path in fault_env["mail_dir"].iterdir())
        delivered = {}
        for address in re.findall(r"^To: (fault-\d+@example\.com)$", mail_text, flags=re.MULTILINE):
            delivered[address] = delivered.get(address, 0) + 1
        stored_emails = psql(fault_env["url"], f"SELECT c.requester_email {tenant_cases}").splitlines()

        figures = {
            "sent": SUBMISSIONS,
            "acknowledged": len(acknowledged),
            "stored": sum(stored_counts.values()),
            "stored_unacknowledged": len(set(stored_counts) - acknowledged),
            "resubmissions": sum(r["attempts"] - 1 for r in results),
            "confirmation_rows_sent": sum(int(n) for _a, state, n in email_rows if state == "sent"),
            "emails_delivered": sum(delivered.values()),
            "seconds": round(elapsed, 1),
            "retry_sweep": sweep,
            **{k: v for k, v in faults.items()},
        }
        with capsys.disabled():
            print(f"\nFAULT TEST FIGURES: {figures}")
        (ROOT / "var").mkdir(exist_ok=True)
        (ROOT / "var" / "fault-figures.txt").write_text(f"{figures}\n")

        assert len(acknowledged) >= SUBMISSIONS * 0.8, figures  # the faults are brief; most must succeed
        missing = acknowledged - set(stored_counts)
        assert not missing, f"acknowledged but not stored: {sorted(missing)[:5]}"
        duplicated = {m: n for m, n in stored_counts.items() if n != 1}
        assert not duplicated, f"stored more than once: {duplicated}"
        assert len(stored_emails) == len(set(stored_emails)) == figures["stored"]
        not_sent = [row for row in email_rows if row[1] != "sent" or row[2] != "1"]
        assert not not_sent, f"confirmation rows not sent exactly once: {not_sent[:5]}"
        assert {row[0] for row in email_rows} == set(stored_emails)
        wrong_delivery = {a: delivered.get(a, 0) for a in stored_emails if delivered.get(a, 0) != 1}
        assert not wrong_delivery, f"confirmation emails not delivered exactly once: {wrong_delivery}"
        assert set(delivered) == set(stored_emails)
    finally:
        stop(gunicorn)
        stop(cluster)
        gunicorn_log.close()
        cluster_log.close()
