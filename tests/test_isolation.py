"""Tenant isolation on every admin URL, through one helper.

charlie (Globex) must get a 404 for every object of Acme (change, history, delete and each custom view),
and never see an Acme row in any list or search. dave (Acme auditor) opens everything of Acme and
changes nothing: every POST is refused and leaves the database as it was.
"""

from datetime import date

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dsar import actions, admin_views
from dsar.models import (
    AuditEvent,
    Case,
    EmailTemplate,
    Response,
    ScheduledNotice,
)
from tenants.models import HolidayOverride, IdentityField, Membership, RuleSet, Tenant
from tests.conftest import make_case

PROJECT_APPS = {"dsar", "tenants"}
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def acme_world(acme, alice):
    """At least one Acme row of every model registered in the admin, made through the real actions."""
    case = make_case(acme, "in_progress", email="victim@acme-customer.example")
    actions.create_tasks_from_inventory(case, alice)
    actions.record_decision(case, alice, data_category=acme.data_categories.first(), outcome="disclosed")
    upload = SimpleUploadedFile("passport.pdf", PDF_BYTES, content_type="application/pdf")
    actions.send_message(case, alice, body="Here is a copy.", files=[("identity", upload, "application/pdf")])
    actions.request_information(case, alice, reason="clarification", body="Which account?")
    actions.resume(case, alice)
    actions.extend(case, alice, reason="Many systems to search.")
    actions.render_response(case, alice, kind=Response.Kind.ANSWER, language="en")
    make_case(acme, "unconfirmed", email="other@acme-customer.example")  # an access token
    ScheduledNotice.objects.create(case=case, key=f"isolation-{case.pk}", kind="due_soon")
    EmailTemplate.objects.create(tenant=acme, kind="message:missing_id", language="en", name="Ask for ID",
                                 subject="About {{ case.reference }}", body="Please send an ID.")
    IdentityField.objects.create(tenant=acme, key="account", label="Account ID")
    HolidayOverride.objects.create(tenant=acme, date=date(2026, 3, 20), name="Eid (sighted)")
    return case


def acme_objects(acme, case):
    """One Acme object per registered project model (RuleSet is shared, so it has none)."""
    objects = {}
    for model in admin.site._registry:
        if model._meta.app_label not in PROJECT_APPS or model is RuleSet:
            continue
        if model is Tenant:
            objects[model] = acme
        elif model is Membership:
            objects[model] = Membership.objects.filter(tenant=acme).first()
        elif any(f.name == "tenant" for f in model._meta.get_fields()) and model is not Case:
            objects[model] = model.objects.filter(tenant=acme).first()
        elif model is Case:
            objects[model] = case
        else:
            objects[model] = model.objects.filter(case__tenant=acme).first()
        assert objects[model] is not None, f"the fixture has no Acme {model.__name__}"
    return objects


def object_urls(obj):
    info = obj._meta.app_label, obj._meta.model_name
    return [reverse(f"admin:{info[0]}_{info[1]}_{view}", args=[obj.pk]) for view in ("change", "history", "delete")]


def custom_urls(case):
    """Every custom admin view that takes an Acme object."""
    urls = [reverse("admin:dsar_case_action", args=[case.pk, name]) for name in admin_views.CASE_ACTIONS]
    urls.append(reverse("admin:dsar_case_audit_pdf", args=[case.pk]))
    urls.append(reverse("admin:dsar_attachment_download", args=[case.attachments.first().pk]))
    urls.append(reverse("admin:dsar_response_letter", args=[case.responses.first().pk]))
    template = EmailTemplate.objects.get(tenant=case.tenant)
    urls.append(reverse("admin:dsar_emailtemplate_preview", args=[template.pk]))
    return urls


def _tenant_of(row):
    if isinstance(row, Tenant):
        return row.pk
    if hasattr(row, "tenant_id"):
        return row.tenant_id
    return row.case.tenant_id


def snapshot():
    # Opening a private file is itself recorded (attachment_viewed); nothing else may change.
    return (AuditEvent.objects.exclude(event_type="attachment_viewed").count(), list(Case.objects.order_by("pk").values_list("status", "assignee_id", "legal_hold")),
            EmailTemplate.objects.count(), Membership.objects.count(), Tenant.objects.count())


def assert_admin_isolated(client, *, outsider, insider_auditor, objects, case):
    """The reusable helper: every admin URL, as an outsider and as a read-only insider."""
    client.force_login(outsider)
    for model, obj in objects.items():
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        own_links = object_urls(obj)[:1]
        for query in ("", f"?q={case.reference}", f"?q={case.requester_email}", "?q=victim"):
            response = client.get(changelist + query)
            assert response.status_code in (200, 403), (changelist, response.status_code)
            body = response.content.decode()
            assert not any(link in body for link in own_links), f"{outsider} sees an Acme {model.__name__} at {changelist}{query}"
            if response.status_code == 200:
                rows = list(response.context["cl"].result_list)
                assert not any(_tenant_of(row) == case.tenant_id for row in rows), (changelist, query)
        for url in object_urls(obj):
            assert client.get(url).status_code == 404, url
            assert client.post(url, {"post": "yes"}).status_code == 404, url
    before = snapshot()
    for url in custom_urls(case):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "x", "body": "x", "method": "x", "note": "x"}).status_code == 404, url
    export = client.get(reverse("admin:dsar_case_export"))
    assert case.reference not in b"".join(export.streaming_content).decode()
    metrics_page = client.get(reverse("admin:dsar_case_california_metrics"), {"tenant": case.tenant_id, "year": 2026,
                                                                              "format": "csv"})
    assert metrics_page["Content-Type"].startswith("text/html"), "another tenant's report must not be produced"
    assert snapshot() == before

    client.force_login(insider_auditor)
    for model, obj in objects.items():
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(changelist).status_code == 200, changelist
        change, history, delete = object_urls(obj)
        assert client.get(change).status_code == 200, change
        assert client.get(history).status_code == 200, history
        assert client.get(delete).status_code == 403, delete
        assert client.post(change, {}).status_code == 403, change
        assert client.post(delete, {"post": "yes"}).status_code == 403, delete
        add = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        assert client.post(add, {}).status_code == 403, add
    for url in custom_urls(case):
        if "/act/" in url:
            assert client.post(url, {"reason": "x", "body": "x", "method": "x", "note": "x"}).status_code == 403, url
        else:
            assert client.get(url).status_code == 200, url
    assert snapshot() == before
    assert AuditEvent.objects.filter(event_type="attachment_viewed", actor=insider_auditor).count() == 1
    assert not AuditEvent.objects.filter(event_type="attachment_viewed", actor=outsider).exists()


def test_it_isolates_every_admin_url_between_tenants(client, acme, globex, alice, charlie, dave, acme_world):
    make_case(globex, "received", email="someone@globex-customer.example")
    objects = acme_objects(acme, acme_world)
    assert len(objects) >= 19  # every project model but the shared rule sets
    assert_admin_isolated(client, outsider=charlie, insider_auditor=dave, objects=objects, case=acme_world)


def test_it_refuses_models_outside_the_project_to_tenant_staff(client, acme, charlie, dave):
    for user in (charlie, dave):
        client.force_login(user)
        for model in admin.site._registry:
            if model._meta.app_label in PROJECT_APPS:
                continue
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            assert client.get(url).status_code == 403, url


def test_it_lets_staff_read_but_not_change_the_shared_rule_sets(client, charlie, superuser):
    rule_set = RuleSet.objects.get(code="gdpr")
    url = reverse("admin:tenants_ruleset_change", args=[rule_set.pk])
    client.force_login(charlie)
    assert client.get(url).status_code == 200
    assert client.post(url, {"name": "Hacked"}).status_code == 403
    rule_set.refresh_from_db()
    assert rule_set.name != "Hacked"
    client.force_login(superuser)
    page = client.get(url)
    assert page.status_code == 200 and b'name="_save"' in page.content


def test_it_shows_a_member_of_two_tenants_both_and_nothing_else(client, acme, globex, charlie, acme_world):
    Membership.objects.create(user=charlie, tenant=acme, role="auditor")
    third = Tenant.objects.create(slug="initech", name="Initech", legal_name="Initech", contact_email="p@i.example")
    other = make_case(acme, "received", email="x@acme-customer.example")
    hidden = Case.objects.create(tenant=third, reference="INI-2026-00001", rule_set=acme_world.rule_set,
                                 request_type="access", requester_name="Hidden", requester_email="hidden@example.com")
    client.force_login(charlie)
    body = client.get(reverse("admin:dsar_case_changelist")).content.decode()
    assert other.reference in body and hidden.reference not in body
    assert client.get(reverse("admin:dsar_case_change", args=[hidden.pk])).status_code == 404
    # Read-only in Acme: the Acme case page offers no action buttons.
    page = client.get(reverse("admin:dsar_case_change", args=[other.pk]))
    assert page.status_code == 200 and "/act/" not in page.content.decode()
