"""The benchmark scripts keep working: the smoke mode runs end to end on its own database.

Needs PostgreSQL (the bench measures PostgreSQL); skipped on SQLite.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
SHAPE = {
    "admin_list": {"cases_small", "cases_large", "median_ms_small", "median_ms_large", "p95_ms_large",
                   "queries_small", "queries_large"},
    "case_page": {"cases_small", "cases_large", "median_ms_small", "median_ms_large", "p95_ms_large",
                  "queries_small", "queries_large"},
    "intake": {"rps", "baseline_rps", "errors", "submitted", "stored"},
    "sla_sweep": {"open_cases", "seconds", "queries"},
    "letter": {"median_s", "baseline_median_s", "peak_mb", "annex_pages", "annex_median_s"},
}
on_postgres = "postgres" in os.environ.get("DATABASE_URL", "") and "postgresql" in settings.DATABASES["default"]["ENGINE"]


def server_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return f"{parts.scheme}://{parts.netloc}"


def databases() -> set[str]:
    with psycopg.connect(f"{server_url()}/postgres") as conn:
        return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.skipif(not on_postgres, reason="needs PostgreSQL (DATABASE_URL=postgres://...)")
def test_it_runs_the_smoke_benchmark_and_writes_results_of_the_agreed_shape(tmp_path):
    bench_db = f"dsar_bench_pytest_{os.getpid()}"
    env = {**os.environ, "BENCH_PG": server_url(), "BENCH_DB": bench_db}
    env.pop("TESTING", None)
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--out", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]

    results = json.loads((tmp_path / "latest.json").read_text())
    assert {key: set(value) for key, value in results.items()} == SHAPE
    for part, figures in results.items():
        for name, value in figures.items():
            assert isinstance(value, int | float), f"{part}.{name} is {value!r}"
    assert results["admin_list"]["cases_small"] < results["admin_list"]["cases_large"]
    assert results["intake"]["errors"] == 0
    assert results["intake"]["stored"] == results["intake"]["submitted"] > 0
    assert results["sla_sweep"]["open_cases"] > 0
    assert results["letter"]["annex_pages"] >= 2
    assert (tmp_path / "latest.md").read_text().startswith("# Benchmark results")
    assert (tmp_path / "chart.png").read_bytes().startswith(b"\x89PNG")
    # It cleans up after itself, and never touches the test database.
    assert bench_db not in databases()


@pytest.mark.postgres
@pytest.mark.skipif(not on_postgres, reason="needs PostgreSQL (DATABASE_URL=postgres://...)")
def test_it_refuses_to_recreate_the_test_or_system_databases():
    sys.path.insert(0, str(ROOT))
    from bench import common

    for name in ("test", "postgres", "template1"):
        with pytest.raises(SystemExit):
            common.create_database(name)
    assert "test" in databases()
