"""What the bench scripts share: where the databases live and how Django is pointed at them."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DEMO_SLUGS = ("thamra", "daftra", "qomoor", "jambo", "aqari")
OFFICER = "bench-officer"
OFFICER_TENANT = "thamra"


def database_url(name: str) -> str:
    return f"{SERVER}/{name}"


def bench_env(name: str, **extra) -> dict:
    """Environment for a Django process on the bench database: production-like (DEBUG off)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(name),
        "DEBUG": "0",
        "TESTING": "0",
        "SECRET_KEY": "bench-only-not-a-secret-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEMO_PASSWORD": "bench-demo-password-not-secret",
        "LOG_LEVEL": "WARNING",
        # The bench drives the form from one address far faster than any person could.
        "INTAKE_RATE_PER_IP": "1000000/h",
        "INTAKE_RATE_PER_EMAIL": "1000000/h",
        "INTAKE_RATE_PER_TENANT": "1000000/h",
        # Plain HTTP over loopback: in production a TLS terminator sits in front of gunicorn.
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
    }
    env.update(extra)
    return env


def use_database(name: str) -> None:
    """Point this process's Django at the bench database and set it up."""
    os.environ.update(bench_env(name))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dsar.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def create_database(name: str) -> None:
    if name in ("test", "postgres", "template0", "template1"):
        raise SystemExit(f"Refusing to use the database {name!r}: the bench makes and drops its own.")
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    if name in ("test", "postgres", "template0", "template1"):
        return
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(name: str, *args: str) -> None:
    subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], env=bench_env(name), cwd=ROOT, check=True)
