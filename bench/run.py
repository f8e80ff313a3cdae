"""The whole benchmark in one run, on PostgreSQL: admin at two sizes, intake under gunicorn, SLA sweep, letters.

    .venv/bin/python bench/run.py --full    # 10,000 then 1,000,000 cases; writes bench/results/
    .venv/bin/python bench/run.py --smoke   # tiny sizes, own database, dropped afterwards; exit 1 on any error

The smoke run checks that the scripts still work (CI); it fails on errors, never on missed targets.
See bench/README.md for what each figure means and the targets.
"""

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import traceback
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import build_db, common, intake  # noqa: E402

RESULTS = common.ROOT / "bench" / "results"
SIZES = {
    "full": dict(small=10_000, large=1_000_000, page_requests=40, intake=600, intake_threads=8, letter_repeat=5,
                 annex_pages=20, db="dsar_bench"),
    "smoke": dict(small=200, large=2_500, page_requests=5, intake=20, intake_threads=4, letter_repeat=1,
                  annex_pages=2, db="dsar_bench_smoke"),
}
TARGETS = {
    "admin_median_ratio": 1.5,
    "admin_p95_ms": 300,
    "intake_ratio": 0.5,
    "sweep_seconds": 5,
    "letter_ratio": 1.5,
    "letter_peak_mb": 200,
}


class Bench:
    def __init__(self, mode: str, label: str):
        self.mode = mode
        self.label = label
        self.size = SIZES[mode]
        self.db = os.environ.get("BENCH_DB", self.size["db"])
        self.problems: list[str] = []
        self.load_at_start = os.getloadavg()[0]
        self.notes: dict = {}
        self.results = {
            "admin_list": dict.fromkeys(("cases_small", "cases_large", "median_ms_small", "median_ms_large",
                                         "p95_ms_large", "queries_small", "queries_large")),
            "case_page": dict.fromkeys(("cases_small", "cases_large", "median_ms_small", "median_ms_large",
                                        "p95_ms_large", "queries_small", "queries_large")),
            "intake": dict.fromkeys(("rps", "baseline_rps", "errors", "submitted", "stored")),
            "sla_sweep": dict.fromkeys(("open_cases", "seconds", "queries")),
            "letter": dict.fromkeys(("median_s", "baseline_median_s", "peak_mb", "annex_pages", "annex_median_s")),
        }

    def step(self, name, func, *args):
        print(f"[bench] {name} …", flush=True)
        from django.db import OperationalError, connections

        started = time.perf_counter()
        for attempt in (1, 2):
            try:
                func(*args)
                break
            except OperationalError as exc:
                # Other suites on this server terminate every backend now and then: one more try.
                connections.close_all()
                if attempt == 2:
                    self.problems.append(f"{name}: {type(exc).__name__}: {exc}")
                    traceback.print_exc()
            except Exception as exc:  # noqa: BLE001 - one broken part must not hide the others' figures
                self.problems.append(f"{name}: {type(exc).__name__}: {exc}")
                traceback.print_exc()
                break
        print(f"[bench] {name} done in {time.perf_counter() - started:.1f} s", flush=True)

    # --- admin ------------------------------------------------------------------------------

    def officer_client(self):
        from django.contrib.auth.models import User
        from django.test import Client

        officer = User.objects.get(username=common.OFFICER)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(officer)
        from django.conf import settings

        if "django_otp" in settings.INSTALLED_APPS:
            # The officer has passed the second factor, as after a real login (the admin requires it).
            from django_otp import DEVICE_ID_SESSION_KEY
            from django_otp.plugins.otp_static.models import StaticDevice

            device, _ = StaticDevice.objects.get_or_create(user=officer, name="bench", defaults={"confirmed": True})
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client

    def timed_gets(self, client, urls):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        for url in urls[:3]:  # warm up: templates compiled, connection open
            client.get(url)
        seconds, queries = [], set()
        for url in urls:
            started = time.perf_counter()
            response = client.get(url)
            seconds.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} answered {response.status_code} "
                                   f"{response.get('Location', '')}".strip())
        for url in urls[:5]:
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            queries.add(len(captured))
        ms = sorted(s * 1000 for s in seconds)
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        return {"median_ms": round(statistics.median(ms), 1), "p95_ms": round(p95, 1), "queries": max(queries),
                "query_counts_seen": sorted(queries), "requests": len(ms)}

    def measure_admin(self, which: str):
        from dsar.models import Case
        from tenants.models import Tenant

        client = self.officer_client()
        tenant = Tenant.objects.get(slug=common.OFFICER_TENANT)
        total = Case.objects.count()
        n = self.size["page_requests"]
        list_figures = self.timed_gets(client, ["/admin/dsar/case/"] * n)
        # The same cases at both sizes (the large database is the small one grown), so that the page
        # figures compare like with like: a case's page depends on its state, not on the table's size.
        ids = getattr(self, "case_page_ids", None)
        if not ids:
            rng = random.Random(which)
            in_tenant = Case.objects.filter(tenant=tenant).order_by("pk").values_list("pk", flat=True)
            low, high = in_tenant[:1][0], in_tenant.reverse()[:1][0]
            candidates = rng.sample(range(low, high + 1), min(high - low + 1, n * 8))
            ids = list(Case.objects.filter(tenant=tenant, pk__in=candidates).values_list("pk", flat=True)[:n])
            self.case_page_ids = ids
        page_figures = self.timed_gets(client, [f"/admin/dsar/case/{pk}/change/" for pk in ids])
        for key, figures in (("admin_list", list_figures), ("case_page", page_figures)):
            self.results[key][f"cases_{which}"] = total
            self.results[key][f"median_ms_{which}"] = figures["median_ms"]
            self.results[key][f"queries_{which}"] = figures["queries"]
            if which == "large":
                self.results[key]["p95_ms_large"] = figures["p95_ms"]
            self.notes.setdefault(key, {})[which] = figures
        # Where officers go next: informative, not in the JSON.
        extra = {
            "list_page_50": "/admin/dsar/case/?p=50",
            "list_search_email": f"/admin/dsar/case/?q={Case.objects.filter(tenant=tenant).last().requester_email}",
            "list_filter_open": "/admin/dsar/case/?status__exact=in_progress",
        }
        for name, url in extra.items():
            try:
                self.notes.setdefault("admin_more", {}).setdefault(name, {})[which] = self.timed_gets(
                    client, [url] * max(3, n // 4))
            except Exception as exc:  # noqa: BLE001 - a filter the admin does not offer is a note, not a failure
                self.notes.setdefault("admin_more", {}).setdefault(name, {})[which] = {"error": str(exc)[:200]}

    # --- SLA sweep --------------------------------------------------------------------------

    def measure_sweep(self, which: str):
        from django.db import connection, transaction
        from django.test.utils import CaptureQueriesContext

        from dsar import jobs
        from dsar.models import OPEN_STATUSES, Case

        open_cases = Case.objects.filter(status__in=OPEN_STATUSES).count()

        class Rollback(Exception):
            pass

        # In a transaction rolled back afterwards: the sweep does all its work (reminders, emails queued)
        # and the database is left as it was, so the figure is the same on every run.
        outcome = None
        try:
            with transaction.atomic(), CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                outcome = jobs.sla_sweep()
                seconds = time.perf_counter() - started
                raise Rollback
        except Rollback:
            pass
        figures = {"open_cases": open_cases, "seconds": round(seconds, 2), "queries": len(captured),
                   "outcome": str(outcome)[:300]}
        self.notes.setdefault("sla_sweep", {})[which] = figures
        if which == "large":
            self.results["sla_sweep"].update(open_cases=open_cases, seconds=figures["seconds"],
                                             queries=figures["queries"])

    # --- intake -----------------------------------------------------------------------------

    def measure_intake(self):
        from django.db import connection

        from bench.baseline.views import TABLE_SQL
        from dsar.models import Case

        with connection.cursor() as cursor:
            cursor.execute(TABLE_SQL)
            cursor.execute("TRUNCATE bench_bare_row")
        connection.close()
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = _gunicorn(self.db, port)
        try:
            _wait_for(base + "/bench/bare/", server)
            run_id = f"{int(time.time())}"
            n, threads = self.size["intake"], self.size["intake_threads"]
            form_path = f"/{common.OFFICER_TENANT}/request/"
            # Warm both up (workers import lazily, connections open): not counted.
            intake.drive(base, "/bench/bare/", threads, threads, f"warm-{run_id}")
            intake.drive(base, form_path, threads, threads, f"warm-{run_id}")
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE bench_bare_row")
            bare = intake.drive(base, "/bench/bare/", n, threads, f"bare-{run_id}")
            form = intake.drive(base, form_path, n, threads, f"intake-{run_id}")
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM bench_bare_row")
                bare_stored = cursor.fetchone()[0]
            stored = Case.objects.filter(requester_email__startswith=f"intake-{run_id}-").count()
        finally:
            server.terminate()
            server.wait(timeout=30)
        self.results["intake"].update(rps=form["rps"], baseline_rps=bare["rps"], errors=form["errors"],
                                      submitted=n, stored=stored)
        self.notes["intake"] = {"form": form, "bare": {**bare, "stored": bare_stored}, "threads": threads,
                                "path": form_path}
        if form["errors"] or stored != n:
            self.problems.append(f"intake: {form['errors']} errors, {stored} of {n} stored; "
                                 f"first failures: {form['error_samples'][:1]}")
        if bare["errors"]:
            self.problems.append(f"intake baseline: {bare['errors']} errors: {bare['error_samples'][:1]}")
        if _redis_listening():
            # The same form with the rate-limit counters in Redis instead of the database (settings
            # RATELIMIT_BACKEND=cache, CACHE_URL): informative, the JSON keeps the default's figure.
            server = _gunicorn(self.db, port, CACHE_URL="redis://127.0.0.1:6379/15", RATELIMIT_BACKEND="cache")
            try:
                _wait_for(base + "/bench/bare/", server)
                intake.drive(base, form_path, threads, threads, f"warm-redis-{run_id}")
                self.notes["intake"]["form_with_redis_cache"] = intake.drive(base, form_path, n, threads,
                                                                             f"intake-redis-{run_id}")
            finally:
                server.terminate()
                server.wait(timeout=30)

    # --- letters ----------------------------------------------------------------------------

    def letter_case(self, request_type: str, records_total: int):
        """A completed case made through the real actions; its answer letter (Response) id."""
        from django.contrib.auth.models import User
        from django.utils import timezone

        from dsar import actions
        from dsar.models import Decision, Response
        from tenants.models import Tenant

        tenant = Tenant.objects.get(slug=common.OFFICER_TENANT)
        officer = User.objects.get(username=common.OFFICER)
        rule_set = tenant.rule_sets.order_by("pk").first()
        case = actions.log_offline_request(
            tenant, officer, rule_set=rule_set, request_type=request_type, channel="email",
            received_at=timezone.now() - timedelta(days=3), requester_name="Mariam Haddad",
            requester_email=f"letter-{time.time_ns()}@bench.example",
        )
        case = actions.verify_identity(case, officer, method="Account email matched")
        tasks = actions.create_tasks_from_inventory(case, officer)
        per_task = max(1, records_total // max(1, len(tasks))) if records_total else 0
        for task_number, task in enumerate(tasks):
            records = [
                {"date": f"2025-{(i % 12) + 1:02d}-{(i % 28) + 1:02d}", "event": f"Login from app (session {i})",
                 "ip_address": f"10.{task_number}.{i // 250 % 250}.{i % 250}", "device": "Android 14, CARE app 5.2",
                 "detail": f"Viewed the billing page and downloaded invoice INV-{i:05d}"}
                for i in range(per_task)
            ]
            actions.update_task(task, officer, state="done", records=records or None)
        outcome = Decision.Outcome.DISCLOSED if request_type == "access" else Decision.Outcome.ERASED
        for category in tenant.data_categories.all():
            actions.record_decision(case, officer, data_category=category, outcome=outcome)
        actions.complete(case, officer, language="en")
        return Response.objects.get(case=case, kind=Response.Kind.ANSWER).pk

    def render_child(self, response_id: int, mode: str, repeat: int) -> dict:
        completed = subprocess.run(
            [common.PYTHON, str(common.ROOT / "bench" / "letters.py"), "--db", self.db, "--response",
             str(response_id), "--mode", mode, "--repeat", str(repeat)],
            env=common.bench_env(self.db), cwd=common.ROOT, capture_output=True, text=True, timeout=900,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"letters.py {mode} failed: {completed.stderr.strip()[-800:]}")
        return json.loads(completed.stdout.strip().splitlines()[-1])

    def measure_letters(self):
        repeat = self.size["letter_repeat"]
        one_page = self.letter_case("erasure", 0)
        portal = self.render_child(one_page, "portal", repeat)
        bare = self.render_child(one_page, "bare", repeat)

        # Size the annex: render a probe, then scale the records to the wanted page count.
        wanted = self.size["annex_pages"]
        probe_records = 150
        probe = self.render_child(self.letter_case("access", probe_records), "bare", 1)
        letter_pages = portal["pages"]
        per_page = probe_records / max(1, probe["pages"] - letter_pages + 0.5)
        records = max(10, round(per_page * (wanted - letter_pages)))
        annex = self.letter_case("access", records)
        # A short probe underestimates a long table's records per page: correct once from the real size.
        pages = self.render_child(annex, "bare", 1)["pages"]
        if abs(pages - wanted) > max(1, wanted // 10):
            records = max(10, round(records * (wanted - letter_pages) / max(1, pages - letter_pages)))
            annex = self.letter_case("access", records)
        annex_portal = self.render_child(annex, "portal", repeat)
        annex_bare = self.render_child(annex, "bare", repeat)

        self.results["letter"].update(
            median_s=round(statistics.median(portal["seconds"]), 3),
            baseline_median_s=round(statistics.median(bare["seconds"]), 3),
            peak_mb=max(portal["children_peak_mb"], annex_portal["children_peak_mb"]),
            annex_pages=annex_portal["pages"],
            annex_median_s=round(statistics.median(annex_portal["seconds"]), 3),
        )
        self.notes["letter"] = {"one_page": {"portal": portal, "bare": bare},
                                "annex": {"portal": annex_portal, "bare": annex_bare, "records": records}}

    def keep_previous(self, out: Path, parts: set[str]):
        """Re-measuring some parts on the kept database: the others keep their last figures."""
        latest, details = out / "latest.json", out / "details.json"
        if not latest.exists():
            return
        previous = json.loads(latest.read_text())
        previous_notes = json.loads(details.read_text())["notes"] if details.exists() else {}
        owned = {"admin": ("admin_list", "case_page", "admin_more"), "sweep": ("sla_sweep",),
                 "intake": ("intake",), "letters": ("letter",)}
        for part, keys in owned.items():
            for key in keys:
                if part not in parts:
                    if key in self.results:
                        self.results[key] = previous[key]
                    if key in previous_notes:
                        self.notes[key] = previous_notes[key]
        for key in ("admin_list", "case_page"):  # the small size is only measured on a fresh build
            for field in ("cases_small", "median_ms_small", "queries_small"):
                self.results[key][field] = previous[key][field]
        for key in ("build", "load", "at") if not parts else ("build",):
            if key in previous_notes:
                self.notes[key] = previous_notes[key]
        for key in ("admin_list", "case_page", "admin_more", "sla_sweep"):
            for which, figures in previous_notes.get(key, {}).items():
                if which == "small":
                    self.notes.setdefault(key, {}).setdefault("small", figures)
                elif isinstance(figures, dict) and "small" in figures:
                    self.notes.setdefault(key, {}).setdefault(which, {}).setdefault("small", figures["small"])

    # --- report -----------------------------------------------------------------------------

    def verdicts(self):
        r, t = self.results, TARGETS
        rows = []

        def check(name, figure, target, ok):
            rows.append((name, figure, target, None if ok is None else bool(ok)))

        for key, title in (("admin_list", "Admin case list"), ("case_page", "Admin case page")):
            a = r[key]
            ratio = _ratio(a["median_ms_large"], a["median_ms_small"])
            check(f"{title}: queries at both sizes", f"{a['queries_small']} / {a['queries_large']}", "equal",
                  None if a["queries_small"] is None else a["queries_small"] == a["queries_large"])
            check(f"{title}: median large / small", _fmt(ratio, "×"), f"≤ {t['admin_median_ratio']}×",
                  None if ratio is None else ratio <= t["admin_median_ratio"])
            check(f"{title}: p95 at {a['cases_large'] or '?'} cases", _fmt(a["p95_ms_large"], " ms"),
                  f"≤ {t['admin_p95_ms']} ms", None if a["p95_ms_large"] is None else a["p95_ms_large"] <= t["admin_p95_ms"])
        i = r["intake"]
        ratio = _ratio(i["rps"], i["baseline_rps"])
        check("Intake: form rate / bare view rate", _fmt(ratio, "×"), f"≥ {t['intake_ratio']}×",
              None if ratio is None else ratio >= t["intake_ratio"])
        check("Intake: errors, stored / submitted", f"{i['errors']}, {i['stored']} / {i['submitted']}",
              "0, all", None if i["errors"] is None else i["errors"] == 0 and i["stored"] == i["submitted"])
        s = r["sla_sweep"]
        check(f"SLA sweep over {s['open_cases'] or '?'} open cases", _fmt(s["seconds"], " s"),
              f"≤ {t['sweep_seconds']} s", None if s["seconds"] is None else s["seconds"] <= t["sweep_seconds"])
        sweep_notes = self.notes.get("sla_sweep", {})
        if "small" in sweep_notes and "large" in sweep_notes:
            check("SLA sweep: queries small / large", f"{sweep_notes['small']['queries']} / "
                  f"{sweep_notes['large']['queries']}", "equal",
                  sweep_notes["small"]["queries"] == sweep_notes["large"]["queries"])
        letter = r["letter"]
        ratio = _ratio(letter["median_s"], letter["baseline_median_s"])
        check("Letter: portal / bare weasyprint (one page)", _fmt(ratio, "×"), f"≤ {t['letter_ratio']}×",
              None if ratio is None else ratio <= t["letter_ratio"])
        annex_notes = self.notes.get("letter", {}).get("annex")
        if annex_notes:
            annex_ratio = _ratio(statistics.median(annex_notes["portal"]["seconds"]),
                                 statistics.median(annex_notes["bare"]["seconds"]))
            check(f"Letter: portal / bare ({letter['annex_pages']}-page annex)", _fmt(annex_ratio, "×"),
                  f"≤ {t['letter_ratio']}×", annex_ratio <= t["letter_ratio"])
        letter_notes = self.notes.get("letter", {})
        for which in ("one_page", "annex"):
            modes = letter_notes.get(which, {})
            if "forkserver" in modes:
                ratio = _ratio(statistics.median(modes["forkserver"]["seconds"]),
                               statistics.median(modes["bare"]["seconds"]))
                check(f"Letter with the proposed fork server ({which.replace('_', ' ')}) / bare", _fmt(ratio, "×"),
                      f"≤ {t['letter_ratio']}×", ratio <= t["letter_ratio"])
        check("Letter: peak memory of a render", _fmt(letter["peak_mb"], " MB"), f"≤ {t['letter_peak_mb']} MB",
              None if letter["peak_mb"] is None else letter["peak_mb"] <= t["letter_peak_mb"])
        return rows

    def write(self, out: Path, record_history=True):
        out.mkdir(parents=True, exist_ok=True)
        self.notes.setdefault("load", [self.load_at_start, os.getloadavg()[0]])
        self.notes.setdefault("at", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
        (out / "latest.json").write_text(json.dumps(self.results, indent=2) + "\n")
        verdicts = self.verdicts()
        history_file = out / "history.jsonl"
        history = [json.loads(line) for line in history_file.read_text().splitlines() if line.strip()] \
            if history_file.exists() else []
        if record_history:
            entry = {"label": self.label, "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                     "results": self.results, "build": self.notes.get("build")}
            history.append(entry)
            history_file.write_text("".join(json.dumps(h) + "\n" for h in history))
        chart_ok = _chart(self.results, out / "chart.png")
        (out / "latest.md").write_text(_markdown(self, verdicts, history, chart_ok))
        (out / "details.json").write_text(json.dumps({"notes": self.notes, "problems": self.problems},
                                                     indent=2, default=str) + "\n")


def _ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def _fmt(value, unit):
    return "n/a" if value is None else f"{value}{unit}"


def _gunicorn(db: str, port: int, **env):
    return subprocess.Popen(
        [str(common.ROOT / ".venv" / "bin" / "gunicorn"), "bench.baseline.wsgi:application", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--chdir", str(common.ROOT), "--log-level", "warning"],
        env=common.bench_env(db, DJANGO_SETTINGS_MODULE="bench.baseline.settings", **env), cwd=common.ROOT,
    )


def _redis_listening() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, server, timeout=60):
    import urllib.request

    deadline = time.time() + timeout
    while time.time() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout} s")


def _chart(results, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.8))
    blue, grey, red = "#1f4e79", "#9aa5b1", "#b03a2e"

    def bars(ax, labels, values, colours, title, unit, limit=None):
        values = [v if v is not None else 0 for v in values]
        drawn = ax.bar(labels, values, color=colours)
        ax.bar_label(drawn, labels=[f"{v:g}" for v in values], fontsize=8)
        if limit is not None:
            ax.axhline(limit, color=red, linestyle="--", linewidth=1)
            ax.text(len(labels) - 0.5, limit, f"target {limit:g}", color=red, fontsize=7, ha="right", va="bottom")
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(unit, fontsize=8)
        ax.tick_params(labelsize=7)

    a, c = results["admin_list"], results["case_page"]
    bars(axes[0], ["list small", "list large", "page small", "page large"],
         [a["median_ms_small"], a["median_ms_large"], c["median_ms_small"], c["median_ms_large"]],
         [grey, blue, grey, blue], f"Admin median ({a['cases_small']} vs {a['cases_large']} cases)", "ms")
    i = results["intake"]
    bars(axes[1], ["bare view", "request form"], [i["baseline_rps"], i["rps"]], [grey, blue],
         "Intake under gunicorn (2 workers)", "submissions / s",
         limit=(i["baseline_rps"] or 0) * TARGETS["intake_ratio"] or None)
    s = results["sla_sweep"]
    bars(axes[2], ["sla_sweep"], [s["seconds"]], [blue], f"SLA sweep, {s['open_cases']} open cases", "s",
         limit=TARGETS["sweep_seconds"])
    letter = results["letter"]
    bars(axes[3], ["bare 1 p", "portal 1 p", f"portal {letter['annex_pages']} p"],
         [letter["baseline_median_s"], letter["median_s"], letter["annex_median_s"]], [grey, blue, blue],
         f"Letters (peak {letter['peak_mb']} MB)", "s")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _markdown(bench, verdicts, history, chart_ok) -> str:
    r = bench.results
    mark = {True: "meets", False: "**MISSES**", None: "not measured"}
    lines = [
        "# Benchmark results",
        "",
        f"Run `{bench.label}` ({bench.mode}) on {bench.notes['at']}, "
        f"{os.cpu_count()} CPUs, PostgreSQL database `{bench.db}`. Regenerated by `bench/run.py`; "
        "see `bench/README.md` for the method.",
        "",
        f"Load average (1 min) at the start and the end of the run: {bench.notes['load'][0]:.1f} and "
        f"{bench.notes['load'][1]:.1f}. Anything far above the CPU count means other work shared the machine "
        "and the latencies are inflated.",
        "",
    ]
    if chart_ok:
        lines += ["![chart](chart.png)", ""]
    lines += ["## Targets", "", "| what | figure | target | verdict |", "|---|---|---|---|"]
    lines += [f"| {name} | {figure} | {target} | {mark[ok]} |" for name, figure, target, ok in verdicts]
    lines += ["", "## Figures (latest.json)", "", "```json", json.dumps(r, indent=2), "```", ""]
    build = bench.notes.get("build")
    if build:
        lines += ["## Database build", ""]
        for which, stats in build.items():
            lines.append(f"- {which}: {json.dumps(stats)}")
        lines.append("")
    more = bench.notes.get("admin_more")
    if more:
        lines += ["## More admin pages (median / p95 ms, queries; small → large)", ""]
        for name, by_size in more.items():
            cells = []
            for which in ("small", "large"):
                f = by_size.get(which, {})
                cells.append(f"{which}: " + (f"{f['median_ms']} / {f['p95_ms']} ms, {f['queries']} q"
                                             if "median_ms" in f else f.get("error", "n/a")))
            lines.append(f"- `{name}`: " + "; ".join(cells))
        lines.append("")
    intake_notes = bench.notes.get("intake")
    if intake_notes:
        lines += ["## Intake in detail", ""]
        for name in ("bare", "form", "form_with_redis_cache"):
            if name in intake_notes:
                f = intake_notes[name]
                lines.append(f"- {name}: {f['ok']} of {f['submitted']} in {f['seconds']} s = {f['rps']}/s, "
                             f"{f['errors']} errors")
        lines.append("")
    sweep = bench.notes.get("sla_sweep")
    if sweep:
        lines += ["## SLA sweep at both sizes", ""]
        lines += [f"- {which}: {json.dumps(f)}" for which, f in sweep.items()]
        lines.append("")
    letter = bench.notes.get("letter")
    if letter:
        lines += ["## Letters in detail", ""]
        for which, modes in letter.items():
            for mode in ("portal", "bare", "forkserver"):
                if mode not in modes:
                    continue
                f = modes[mode]
                lines.append(f"- {which}, {mode}: median {statistics.median(f['seconds']):.3f} s over "
                             f"{len(f['seconds'])}, {f['pages']} pages, peak RSS self {f['self_peak_mb']} MB, "
                             f"render child {f['children_peak_mb']} MB")
        lines.append("")
    if bench.problems:
        lines += ["## Errors in this run", ""] + [f"- {p}" for p in bench.problems] + [""]
    lines += ["## History (before and after fixes)", "",
              "| run | at | list med small→large ms | page med small→large ms | list p95 ms | intake rps / bare |"
              " sweep s (queries) | letter s / bare | annex s (pages) | peak MB |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for h in history:
        hr = h["results"]
        a, c, i, s, le = hr["admin_list"], hr["case_page"], hr["intake"], hr["sla_sweep"], hr["letter"]
        lines.append(
            f"| {h['label']} | {h['at']} | {a['median_ms_small']} → {a['median_ms_large']} | "
            f"{c['median_ms_small']} → {c['median_ms_large']} | {a['p95_ms_large']} | "
            f"{i['rps']} / {i['baseline_rps']} | {s['seconds']} ({s['queries']}) | "
            f"{le['median_s']} / {le['baseline_median_s']} | {le['annex_median_s']} ({le['annex_pages']}) | "
            f"{le['peak_mb']} |")
    notes_file = RESULTS / "NOTES.md"
    if notes_file.exists() and bench.mode == "full":
        lines += ["", notes_file.read_text().strip()]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--full", action="store_const", dest="mode", const="full")
    mode.add_argument("--smoke", action="store_const", dest="mode", const="smoke")
    parser.add_argument("--label", default="", help="name of this run in the history table")
    parser.add_argument("--out", default="", help="where to write results (smoke: a directory under var/)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards (smoke drops it)")
    parser.add_argument("--reuse", action="store_true",
                        help="full only: reuse a database already grown to the large size (skips both builds "
                             "and the small-size figures, which are taken from the last results)")
    parser.add_argument("--report", action="store_true",
                        help="only rewrite latest.md and the chart from the last results (after editing NOTES.md)")
    parser.add_argument("--only", default="", help="comma-separated parts: admin,sweep,intake,letters")
    args = parser.parse_args()
    bench = Bench(args.mode, args.label or args.mode)
    out = Path(args.out) if args.out else (RESULTS if args.mode == "full" else common.ROOT / "var" / "bench-smoke")
    parts = set(filter(None, args.only.split(","))) or {"admin", "sweep", "intake", "letters"}

    if args.report:
        bench.keep_previous(out, set())
        bench.label = json.loads((out / "history.jsonl").read_text().splitlines()[-1])["label"]
        bench.write(out, record_history=False)
        print(f"[bench] rewrote {out / 'latest.md'}")
        return

    try:
        if args.reuse:
            common.use_database(bench.db)
            bench.keep_previous(out, parts)
        else:
            started = time.perf_counter()
            build_db.prepare(bench.db)
            common.use_database(bench.db)
            bench.notes["build"] = {"small": {**build_db.load(bench.size["small"]),
                                              "build_s": round(time.perf_counter() - started, 1)}}
            if "admin" in parts:
                bench.step("admin at the small size", bench.measure_admin, "small")
            if "sweep" in parts:
                bench.step("SLA sweep at the small size", bench.measure_sweep, "small")
            started = time.perf_counter()
            bench.notes["build"]["grow_to_large"] = {**build_db.load(bench.size["large"]),
                                                     "build_s": round(time.perf_counter() - started, 1)}
        if "admin" in parts:
            bench.step("admin at the large size", bench.measure_admin, "large")
        if "sweep" in parts:
            bench.step("SLA sweep at the large size", bench.measure_sweep, "large")
        if "intake" in parts:
            bench.step("intake under gunicorn", bench.measure_intake)
        if "letters" in parts:
            bench.step("letters", bench.measure_letters)
        bench.write(out)
    finally:
        if args.mode == "smoke" and not args.keep:
            from django.db import connections

            connections.close_all()
            common.drop_database(bench.db)
    print(json.dumps(bench.results, indent=2))
    if bench.problems:
        print("\n[bench] errors:\n" + "\n".join(f"- {p}" for p in bench.problems), file=sys.stderr)
        sys.exit(1)
    print(f"[bench] results in {out}")


if __name__ == "__main__":
    main()
