"""Build (or grow) a PostgreSQL database of N cases with their audit events across the five demo tenants.

    .venv/bin/python bench/build_db.py --db dsar_bench --cases 1000000          # fresh database
    .venv/bin/python bench/build_db.py --db dsar_bench --cases 1000000 --grow   # add cases up to N

Rows are generated in Python and streamed with COPY (psycopg 3) while PostgreSQL writes them; secondary
indexes are dropped during the load and rebuilt after it, foreign-key triggers are off for the load
session (the generator only makes consistent rows), then VACUUM ANALYZE.
"""

import argparse
import json
import random
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

# Status mix of a team with a few years of history and a live backlog: 20% open (the SLA sweep's work).
STATUS_WEIGHTS = {
    "unconfirmed": 2,
    "received": 5,
    "verifying": 4,
    "in_progress": 8,
    "awaiting_requester": 3,
    "completed": 62,
    "partially_completed": 5,
    "denied": 4,
    "forwarded": 1,
    "withdrawn": 3,
    "duplicate": 1,
    "closed_unconfirmed": 2,
}
OPEN = {"received", "verifying", "in_progress", "awaiting_requester"}
TYPE_WEIGHTS = {"access": 45, "erasure": 25, "rectification": 10, "objection": 8, "portability": 6,
                "consent_withdrawal": 4, "restriction": 2}
CHANNEL_WEIGHTS = {"web": 85, "email": 10, "phone": 3, "letter": 1, "in_person": 1}
TENANT_WEIGHTS = (30, 25, 20, 15, 10)  # thamra … aqari: busy to quiet
HISTORY_DAYS = 3 * 365
# Open cases: most received within the 30-day answer period (due dates spread over the coming month),
# OVERDUE_SHARE of them received 30-60 days ago (overdue or extended): a busy team, not a failing one.
ANSWER_DAYS = 30
OVERDUE_SHARE = 0.08
FIRST_NAMES = ("Aisha", "Omar", "Fatima", "Yusuf", "Mariam", "Khalid", "Noura", "Sam", "Lena", "Ravi", "Chen", "Ana")
LAST_NAMES = ("Al-Harbi", "Haddad", "Rahman", "Mansour", "Smith", "Garcia", "Kumar", "Nakamura", "Okafor", "Silva")


def prepare(db: str) -> None:
    """A fresh database: schema, cache table, demo tenants (seed_demo when it exists) and the bench officer."""
    common.create_database(db)
    common.manage(db, "migrate", "--noinput", "-v", "0")
    common.manage(db, "createcachetable")
    commands = subprocess.run(
        [common.PYTHON, str(common.ROOT / "manage.py"), "help", "--commands"],
        env=common.bench_env(db), cwd=common.ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()
    if "seed_demo" in commands:
        try:
            common.manage(db, "seed_demo")
        except subprocess.CalledProcessError as exc:
            print(f"seed_demo failed ({exc}); creating the demo tenants myself", file=sys.stderr)


def ensure_tenants_and_officer():
    """The five demo tenants (if seed_demo did not make them) and an officer of the first one."""
    from django.contrib.auth.models import User

    from tenants.models import Membership, RuleSet, Tenant

    rule_codes = {"thamra": "qa-pdppl", "daftra": "sa-pdpl", "qomoor": "gdpr", "jambo": "ae-pdpl", "aqari": "ae-pdpl"}
    tenants = []
    for slug in common.DEMO_SLUGS:
        tenant, created = Tenant.objects.get_or_create(
            slug=slug, defaults=dict(name=slug.title(), legal_name=f"{slug.title()} LLC",
                                     contact_email=f"privacy@{slug}.example", time_zone="Asia/Dubai"))
        if not tenant.rule_sets.exists():
            tenant.rule_sets.set(RuleSet.objects.filter(code=rule_codes[slug]) or RuleSet.objects.all()[:1])
        tenants.append(tenant)
    officer, _ = User.objects.get_or_create(username=common.OFFICER, defaults=dict(is_staff=True))
    officer.is_staff = True
    officer.save()
    Membership.objects.get_or_create(user=officer, tenant=tenants[0], defaults=dict(role=Membership.Role.OFFICER))
    staff = []
    for tenant in tenants:
        user, _ = User.objects.get_or_create(username=f"bench-{tenant.slug}-staff", defaults=dict(is_staff=True))
        Membership.objects.get_or_create(user=user, tenant=tenant, defaults=dict(role=Membership.Role.OFFICER))
        staff.append(user)
    return tenants, staff


def _copy_template(model, connection):
    """Column names and a row of database defaults for every concrete field of the model.

    Fields added later by others get their default, so the loader keeps working as the schema grows.
    """
    fields = [f for f in model._meta.concrete_fields]
    columns, defaults = [], {}
    for field in fields:
        columns.append(field.column)
        if field.primary_key or not field.has_default() and field.null:
            defaults[field.column] = None
        elif field.has_default():
            defaults[field.column] = field.get_db_prep_save(field.get_default(), connection)
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            defaults[field.column] = None  # filled per row
        else:
            defaults[field.column] = "" if field.get_internal_type() in ("CharField", "TextField", "EmailField",
                                                                          "SlugField") else None
    return columns, defaults


def _secondary_indexes(cursor, tables):
    """Index definitions that do not back a constraint (those are cheap to drop and rebuild)."""
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.tablename = ANY(%s) AND i.schemaname = 'public'
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        [list(tables)],
    )
    return cursor.fetchall()


def load(target_cases: int, seed: int = 9) -> dict:
    """Add generated cases (and their audit events) until the database holds target_cases."""
    from django.db import connection
    from django.utils import timezone

    from dsar.models import AuditEvent, Case

    tenants, staff = ensure_tenants_and_officer()
    existing = Case.objects.count()
    to_add = max(0, target_cases - existing)
    stats = {"cases_before": existing, "cases_added": to_add, "events_added": 0}
    if not to_add:
        return stats
    rng = random.Random(seed + existing)
    case_columns, case_defaults = _copy_template(Case, connection)
    event_columns, event_defaults = _copy_template(AuditEvent, connection)
    Jsonb = type(case_defaults["identity_answers"])  # the adapter Django uses for JSON on this connection
    rule_set_of = {t.pk: t.rule_sets.order_by("pk").first().pk for t in tenants}
    prefix_of = {t.pk: t.reference_prefix for t in tenants}
    staff_of = {t.pk: s.pk for t, s in zip(tenants, staff, strict=True)}
    now = timezone.now()
    statuses, status_w = zip(*STATUS_WEIGHTS.items(), strict=True)
    types, type_w = zip(*TYPE_WEIGHTS.items(), strict=True)
    channels, channel_w = zip(*CHANNEL_WEIGHTS.items(), strict=True)
    tenant_ids = [t.pk for t in tenants]

    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # the psycopg 3 cursor underneath
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM dsar_case")
        next_case_id = cursor.fetchone()[0] + 1
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM dsar_auditevent")
        next_event_id = cursor.fetchone()[0] + 1
        # Foreign-key checks are triggers; the generator only writes consistent rows.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET maintenance_work_mem = '512MB'")
        dropped = _secondary_indexes(cursor, ["dsar_case", "dsar_auditevent"])
        for name, _definition in dropped:
            cursor.execute(f'DROP INDEX "{name}"')

        started = time.perf_counter()
        empty = Jsonb({})
        events = []  # (case_id, tenant_id, actor_id, label, type, old, new, message, created_at)
        batch_status = rng.choices(statuses, status_w, k=to_add)
        batch_type = rng.choices(types, type_w, k=to_add)
        batch_channel = rng.choices(channels, channel_w, k=to_add)
        batch_tenant = rng.choices(tenant_ids, TENANT_WEIGHTS, k=to_add)
        with cursor.copy(f"COPY dsar_case ({', '.join(case_columns)}) FROM STDIN") as copy:
            for i in range(to_add):
                case_id = next_case_id + i
                status, tenant_id = batch_status[i], batch_tenant[i]
                is_open = status in OPEN
                if is_open:
                    late = rng.random() < OVERDUE_SHARE
                    age = rng.uniform(ANSWER_DAYS, 2 * ANSWER_DAYS) if late else rng.uniform(0.5, ANSWER_DAYS)
                else:
                    age = rng.uniform(ANSWER_DAYS / 2, HISTORY_DAYS)
                if status == "unconfirmed":
                    age = rng.uniform(0, 3)
                submitted = now - timedelta(days=age, seconds=rng.randrange(86400))
                received = None if status in ("unconfirmed", "closed_unconfirmed") else submitted + timedelta(
                    minutes=rng.randrange(5, 600))
                first = rng.choice(FIRST_NAMES)
                last = rng.choice(LAST_NAMES)
                row = dict(case_defaults)
                row.update(
                    id=case_id,
                    tenant_id=tenant_id,
                    reference=f"{prefix_of[tenant_id]}-{submitted.year}-B{case_id:07d}",
                    public_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    request_type=batch_type[i],
                    rule_set_id=rule_set_of[tenant_id],
                    status=status,
                    requester_name=f"{first} {last}",
                    requester_email=f"{first.lower()}.{last.lower()}.{case_id}@example.net",
                    identity_answers=empty,
                    channel=batch_channel[i],
                    language="ar" if rng.random() < 0.4 else "en",
                    submitted_at=submitted,
                    received_at=received,
                    updated_at=submitted,
                )
                if received:
                    due = received.date() + timedelta(days=30)
                    row["due_date"] = due
                    row["acknowledge_by"] = received.date() + timedelta(days=5)
                    row["acknowledged_at"] = received
                    if status != "received":
                        row["verified_at"] = received + timedelta(days=rng.uniform(0.1, 5))
                    if is_open and rng.random() < 0.4:
                        row["assignee_id"] = staff_of[tenant_id]
                    if status == "awaiting_requester":
                        row["paused_since"] = now - timedelta(days=rng.uniform(0, 10))
                if not is_open and status != "unconfirmed":
                    closed = (received or submitted) + timedelta(days=rng.uniform(1, 40))
                    row["closed_at"] = min(closed, now)
                    row["updated_at"] = row["closed_at"]
                    if status == "denied":
                        row["denial_reason"] = "identity_not_verified"
                copy.write_row([row[c] for c in case_columns])

                events.append((case_id, tenant_id, None, "requester", "submitted", empty,
                               Jsonb({"status": "unconfirmed", "request_type": batch_type[i]}), "", submitted))
                if received:
                    events.append((case_id, tenant_id, None, "requester", "email_confirmed",
                                   Jsonb({"status": "unconfirmed"}), Jsonb({"status": "received"}), "", received))
                    events.append((case_id, tenant_id, None, "system", "deadline_computed", empty,
                                   Jsonb({"due_date": row["due_date"].isoformat()}),
                                   f"received {received.date()}; +30 days = {row['due_date']}", received))
                if row["closed_at"] is not None and received:
                    events.append((case_id, tenant_id, staff_of[tenant_id], "officer", "status_changed",
                                   Jsonb({"status": "in_progress"}), Jsonb({"status": status}), "", row["closed_at"]))
        cases_seconds = time.perf_counter() - started

        event_fields = ("case_id", "tenant_id", "actor_id", "actor_label", "event_type", "old_value", "new_value",
                        "message", "created_at")
        with cursor.copy(f"COPY dsar_auditevent ({', '.join(event_columns)}) FROM STDIN") as copy:
            for offset, values in enumerate(events):
                row = dict(event_defaults)
                row.update(zip(event_fields, values, strict=True))
                row["id"] = next_event_id + offset
                copy.write_row([row[c] for c in event_columns])
        stats["events_added"] = len(events)
        load_seconds = time.perf_counter() - started

        for _name, definition in dropped:
            cursor.execute(definition)
        cursor.execute("SET session_replication_role = DEFAULT")
        for table, column in (("dsar_case", "id"), ("dsar_auditevent", "id")):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), (SELECT MAX(id) FROM {table}))")
        index_seconds = time.perf_counter() - started - load_seconds
    connection.close()
    # VACUUM cannot run in a transaction; a fresh autocommit connection. It also sets the visibility map,
    # which index-only scans need, as autovacuum would after a real load.
    import psycopg

    with psycopg.connect(_url(), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE dsar_case")
        conn.execute("VACUUM ANALYZE dsar_auditevent")
    stats.update(
        copy_cases_s=round(cases_seconds, 1),
        copy_total_s=round(load_seconds, 1),
        indexes_s=round(index_seconds, 1),
        total_s=round(time.perf_counter() - started, 1),
    )
    return stats


def _url():
    import os

    return os.environ["DATABASE_URL"]


def build(db: str, cases: int, grow: bool) -> dict:
    started = time.perf_counter()
    if not grow:
        prepare(db)
    common.use_database(db)
    stats = load(cases)
    stats["build_s"] = round(time.perf_counter() - started, 1)
    return stats


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="dsar_bench")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--grow", action="store_true", help="keep the database and add cases up to --cases")
    args = parser.parse_args()
    print(json.dumps(build(args.db, args.cases, args.grow)))


if __name__ == "__main__":
    main()
