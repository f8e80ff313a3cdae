"""Foundation: settings that fail loudly, the demo data, references, the append-only ledger."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from dsar import actions
from dsar.models import AuditEvent, Case
from tenants.models import DataCategory, IdentityField, Membership, Tenant

ROOT = Path(__file__).resolve().parent.parent


def run_django(code, **env):
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("DEBUG", "TESTING", "SECRET_KEY", "DATABASE_URL", "EMAIL_URL")}
    full_env.update(env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full_env, capture_output=True, text=True,
                          timeout=60)


def test_it_refuses_to_start_without_a_secret_key_in_production():
    result = run_django("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dsar.settings'; django.setup()",
                        DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_it_reads_database_and_email_from_the_environment(tmp_path):
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dsar.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], s.EMAIL_BACKEND, s.DEBUG)"
    )
    result = run_django(code, DEBUG="1", DATABASE_URL="postgres://u:p@db.example:5432/dsarprod",
                        EMAIL_URL="smtp://mail.example:25")
    assert result.returncode == 0, result.stderr
    engine, name, backend, debug = result.stdout.split()
    assert engine == "django.db.backends.postgresql" and name == "dsarprod"
    assert backend.endswith("smtp.EmailBackend") and debug == "True"
    default = run_django(code, DEBUG="1")
    assert "sqlite3" in default.stdout and "var/db.sqlite3" in default.stdout and "filebased" in default.stdout
    mail_dir = run_django("import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dsar.settings'; django.setup();"
                          "from django.conf import settings as s; print(s.EMAIL_FILE_PATH)", DEBUG="1")
    assert mail_dir.stdout.strip().splitlines()[-1] == str(ROOT / "var" / "mail")


@pytest.mark.django_db
def test_it_seeds_the_five_demo_tenants_idempotently(monkeypatch, settings):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    # Letters are queued for the worker, not rendered here.
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    counts = (Tenant.objects.count(), Case.objects.count(), AuditEvent.objects.count())
    call_command("seed_demo", stdout=open(os.devnull, "w"))
    assert (Tenant.objects.count(), Case.objects.count(), AuditEvent.objects.count()) == counts
    assert set(Tenant.objects.values_list("slug", flat=True)) == {"thamra", "daftra", "qomoor", "jambo", "aqari"}
    for tenant in Tenant.objects.all():
        assert tenant.cases.count() == 12
        assert len(set(tenant.cases.values_list("status", flat=True))) >= 6
        officer = Membership.objects.get(tenant=tenant, user__username=f"{tenant.slug}-officer")
        assert officer.role == "officer" and officer.user.check_password("demo-password-for-tests")
    thamra = Tenant.objects.get(slug="thamra")
    billing = DataCategory.objects.get(tenant=thamra, name__startswith="Billing")
    assert "5 years" in billing.retention_period
    assert thamra.rule_sets.get().code == "qa-pdppl" and thamra.promised_period == 30
    assert "portability" in [t.value for t in thamra.offered_request_types()]
    daftra_fields = list(IdentityField.objects.filter(tenant__slug="daftra").values_list("label", "required"))
    assert daftra_fields == [("Account ID", True), ("Support PIN", True)]
    assert set(Tenant.objects.get(slug="qomoor").rule_sets.values_list("code", flat=True)) == {"gdpr", "uk-gdpr", "ccpa"}
    assert Tenant.objects.get(slug="aqari").is_processor
    assert Case.objects.filter(tenant__slug="aqari", status="forwarded").exists()
    from django_q.models import OrmQ

    assert OrmQ.objects.count() > 0  # confirmation emails and letters wait for the worker


@pytest.mark.django_db
def test_it_numbers_cases_per_tenant_and_year(acme, globex, case_factory):
    first = case_factory(acme, "received")
    second = case_factory(acme, "received")
    other = case_factory(globex, "received")
    year = first.submitted_at.year
    assert first.reference == f"ACM-{year}-00001" or first.reference.startswith("ACM-")
    assert int(second.reference.rsplit("-", 1)[1]) == int(first.reference.rsplit("-", 1)[1]) + 1
    assert other.reference.startswith("GLO-") and other.reference.endswith("00001")


@pytest.mark.django_db
def test_it_never_lets_an_audit_event_change_or_disappear(acme, case_factory):
    case = case_factory(acme, "received")
    event = AuditEvent.objects.filter(case=case).first()
    event.message = "rewritten history"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).message != "rewritten history"


@pytest.mark.django_db
def test_it_creates_one_case_for_a_repeated_submission(acme):
    rule_set = acme.rule_sets.get()
    kwargs = dict(rule_set=rule_set, request_type="access", requester_name="Sam", requester_email="sam@example.com",
                  idempotency_key="form-render-123")
    first, created = actions.submit_request(acme, **kwargs)
    again, created_again = actions.submit_request(acme, **kwargs)
    assert created and not created_again and first.pk == again.pk
    assert Case.objects.filter(tenant=acme).count() == 1


@pytest.mark.django_db
def test_it_refuses_a_right_the_law_and_tenant_do_not_offer(acme):
    with pytest.raises(actions.ActionRefused):
        actions.submit_request(acme, rule_set=acme.rule_sets.get(), request_type="opt_out",
                               requester_name="Sam", requester_email="sam@example.com")
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_it_rejects_links_across_tenants_in_model_validation(acme, globex, charlie, case_factory):
    mine = case_factory(acme, "received")
    theirs = case_factory(globex, "received")
    mine.duplicate_of = theirs
    with pytest.raises(ValidationError):
        mine.full_clean()
    mine.duplicate_of = None
    mine.assignee = charlie
    with pytest.raises(ValidationError):
        mine.full_clean()
    mine.assignee = None
    mine.rule_set = globex.rule_sets.get()
    # Same preset (gdpr) is shared, so a rule set of another law is the cross-link to refuse here.
    from tenants.models import RuleSet

    mine.rule_set = RuleSet.objects.get(code="sa-pdpl")
    with pytest.raises(ValidationError):
        mine.full_clean()
