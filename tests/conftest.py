"""The standing cast: alice (officer) and bob (analyst) and dave (auditor) work for Acme;
charlie (officer) works for Globex and must see nothing of Acme."""

import os
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

os.environ.setdefault("TESTING", "1")

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path / "private"}},
    }
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    mail.outbox = []
    from django.core.cache import cache

    cache.clear()


def restore_rule_set_presets():
    from importlib import import_module

    from django.apps import apps

    import_module("tenants.migrations.0002_rule_set_presets").create_presets(apps, None)


DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences", "django_db_serialized_rollback"}


@pytest.fixture(autouse=True)
def _rule_set_presets(request):
    """Live-server and transactional tests end with a flush that also empties the rule-set presets a
    data migration created; put them back so that every test sees the database as migrated."""
    if not (DB_FIXTURES & set(request.fixturenames) or request.node.get_closest_marker("django_db")):
        return
    request.getfixturevalue("_django_db_helper")
    from tenants.models import RuleSet

    if not RuleSet.objects.exists():
        restore_rule_set_presets()


@pytest.fixture
def rule_set(db):
    from tenants.models import RuleSet

    return RuleSet.objects.get(code="gdpr")


def make_tenant(slug, rule_codes=("gdpr",), **fields):
    from tenants.models import DataCategory, RuleSet, Tenant

    tenant = Tenant.objects.create(
        slug=slug, name=slug.title(), name_ar=f"{slug} (ar)", legal_name=f"{slug.title()} Ltd",
        contact_email=f"privacy@{slug}.example", time_zone="Europe/Dublin", **fields,
    )
    tenant.rule_sets.set(RuleSet.objects.filter(code__in=rule_codes))
    DataCategory.objects.create(tenant=tenant, name="Account data", systems="CRM", legal_basis="Contract",
                                retention_period="30 days after closure", order=1)
    DataCategory.objects.create(tenant=tenant, name="Billing records", systems="Billing", legal_basis="Legal obligation",
                                retention_period="5 years", retention_reason="Commercial law", order=2)
    return tenant


def make_user(username, tenant=None, role="officer", **fields):
    from django.contrib.auth.models import User

    from tenants.models import Membership

    user = User.objects.create_user(username, f"{username}@staff.example", PASSWORD, is_staff=True, **fields)
    if tenant is not None:
        Membership.objects.create(user=user, tenant=tenant, role=role)
    return user


@pytest.fixture
def acme(db):
    return make_tenant("acme")


@pytest.fixture
def globex(db):
    return make_tenant("globex")


@pytest.fixture
def alice(acme):
    return make_user("alice", acme, "officer")


@pytest.fixture
def bob(acme):
    return make_user("bob", acme, "analyst")


@pytest.fixture
def dave(acme):
    return make_user("dave", acme, "auditor")


@pytest.fixture
def olivia(acme):
    return make_user("olivia", acme, "owner")


@pytest.fixture
def charlie(globex):
    return make_user("charlie", globex, "officer")


@pytest.fixture
def superuser(db):
    from django.contrib.auth.models import User

    return User.objects.create_superuser("root", "root@staff.example", PASSWORD)


def make_case(tenant, status="received", *, email="subject@example.com", request_type="access", rule_code=None,
              received_days_ago=1, **fields):
    """A case created through the real actions, then moved to the wanted state."""
    from dsar import actions
    from dsar.models import Case

    rule_set = tenant.rule_sets.get(code=rule_code) if rule_code else tenant.rule_sets.first()
    if status == "unconfirmed":
        case, _ = actions.submit_request(
            tenant, rule_set=rule_set, request_type=request_type, requester_name="Sam Subject",
            requester_email=email, **fields,
        )
        return case
    case = actions.log_offline_request(
        tenant, None, rule_set=rule_set, request_type=request_type, channel=Case.Channel.EMAIL,
        received_at=timezone.now() - timedelta(days=received_days_ago), requester_name="Sam Subject",
        requester_email=email, **fields,
    )
    if status == "received":
        return case
    if status == "verifying":
        return actions.start_verification(case, None)
    case = actions.verify_identity(case, None, method="Account email matched")
    if status == "in_progress":
        return case
    if status == "awaiting_requester":
        return actions.request_information(case, None, reason="clarification", body="Which account?")
    raise ValueError(status)


@pytest.fixture
def case_factory():
    return make_case
