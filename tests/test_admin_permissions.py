"""The permission matrix per role: owner configures, officer decides, analyst works, auditor reads."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from dsar.models import AuditEvent, Case, EmailTemplate, Status
from tenants.models import DataCategory, Membership, RuleSet, Tenant
from tests.conftest import make_case

# model: (may add, may change, may delete) for owner, officer, analyst, auditor
MATRIX = {
    Case: {"owner": (1, 0, 0), "officer": (1, 0, 0), "analyst": (0, 0, 0), "auditor": (0, 0, 0)},
    AuditEvent: {"owner": (0, 0, 0), "officer": (0, 0, 0), "analyst": (0, 0, 0), "auditor": (0, 0, 0)},
    EmailTemplate: {"owner": (1, 1, 1), "officer": (0, 0, 0), "analyst": (0, 0, 0), "auditor": (0, 0, 0)},
    DataCategory: {"owner": (1, 1, 1), "officer": (0, 0, 0), "analyst": (0, 0, 0), "auditor": (0, 0, 0)},
    Membership: {"owner": (1, 1, 1), "officer": (0, 0, 0), "analyst": (0, 0, 0), "auditor": (0, 0, 0)},
    Tenant: {"owner": (0, 1, 0), "officer": (0, 0, 0), "analyst": (0, 0, 0), "auditor": (0, 0, 0)},
    RuleSet: {"owner": (0, 0, 0), "officer": (0, 0, 0), "analyst": (0, 0, 0), "auditor": (0, 0, 0)},
}
ROLES = ("owner", "officer", "analyst", "auditor")


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _sample(model, acme, case):
    if model is Case:
        return case
    if model is AuditEvent:
        return case.events.first()
    if model is Tenant:
        return acme
    if model is RuleSet:
        return case.rule_set
    if model is EmailTemplate:
        return EmailTemplate.objects.create(tenant=acme, kind="message:x", name="x", subject="s", body="b")
    return model.objects.filter(tenant=acme).first()


@pytest.fixture
def staff(acme, alice, bob, dave, olivia):
    return {"owner": olivia, "officer": alice, "analyst": bob, "auditor": dave}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", list(MATRIX), ids=lambda m: m.__name__)
def test_it_maps_roles_to_admin_permissions(acme, staff, model, role):
    case = make_case(acme, "received")
    obj = _sample(model, acme, case)
    model_admin = admin.site._registry[model]
    request = _request(staff[role])
    add, change, delete = MATRIX[model][role]
    assert model_admin.has_view_permission(request, obj)
    assert model_admin.has_add_permission(request) == bool(add)
    assert model_admin.has_change_permission(request, obj) == bool(change)
    assert model_admin.has_delete_permission(request, obj) == bool(delete)


def test_it_never_lets_anyone_edit_or_delete_audit_events(acme, superuser, client):
    case = make_case(acme, "received")
    event = case.events.first()
    model_admin = admin.site._registry[AuditEvent]
    request = _request(superuser)
    assert model_admin.has_view_permission(request, event)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    client.force_login(superuser)
    assert client.post(reverse("admin:dsar_auditevent_change", args=[event.pk]), {"event_type": "x"}).status_code == 403
    assert client.post(reverse("admin:dsar_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert client.post(reverse("admin:dsar_auditevent_add"), {}).status_code == 403
    event.refresh_from_db()
    assert event.event_type == "logged"


def test_it_lets_a_superuser_change_rule_sets_and_create_tenants(superuser):
    request = _request(superuser)
    assert admin.site._registry[RuleSet].has_change_permission(request, RuleSet.objects.first())
    assert admin.site._registry[Tenant].has_add_permission(request)


@pytest.mark.parametrize("role, decide, work", [("owner", True, True), ("officer", True, True),
                                                 ("analyst", False, True), ("auditor", False, False)])
def test_it_offers_buttons_by_capability(client, acme, staff, role, decide, work):
    case = make_case(acme, "in_progress")
    client.force_login(staff[role])
    page = client.get(reverse("admin:dsar_case_change", args=[case.pk]))
    offered = {button["name"] for button in page.context["buttons"]}
    assert ("complete" in offered) == decide and ("deny" in offered) == decide and ("extend" in offered) == decide
    assert ("create_tasks" in offered) == work and ("send_message" in offered) == work


@pytest.mark.parametrize("role, allowed", [("owner", True), ("officer", True), ("analyst", False), ("auditor", False)])
def test_it_refuses_a_decision_to_roles_without_it(client, acme, staff, role, allowed):
    case = make_case(acme, "in_progress")
    client.force_login(staff[role])
    response = client.post(reverse("admin:dsar_case_action", args=[case.pk, "extend"]), {"reason": "Complex"})
    case.refresh_from_db()
    if allowed:
        assert response.status_code == 302 and case.extensions == 1
    else:
        assert response.status_code == 403 and case.extensions == 0


@pytest.mark.parametrize("role, allowed", [("analyst", True), ("auditor", False)])
def test_it_lets_analysts_but_not_auditors_work(client, acme, staff, role, allowed):
    case = make_case(acme, "in_progress")
    client.force_login(staff[role])
    response = client.post(reverse("admin:dsar_case_action", args=[case.pk, "create_tasks"]))
    assert (response.status_code == 302) == allowed
    assert case.tasks.exists() == allowed


def test_it_logs_a_request_received_by_letter_with_its_receipt_date(client, acme, alice):
    client.force_login(alice)
    rule_set = acme.rule_sets.first()
    response = client.post(reverse("admin:dsar_case_add"), {
        "tenant": acme.pk, "channel": "letter", "received_on": "2026-01-30", "received_time": "",
        "rule_set": rule_set.pk, "request_type": "access", "language": "en", "description": "Posted letter",
        "requester_name": "Nora Letter", "requester_email": "nora@example.com", "requester_phone": "",
        "relationship": "self", "subject_name": "",
    })
    case = Case.objects.get(requester_email="nora@example.com")
    assert response.status_code == 302 and response["Location"].endswith(f"/{case.pk}/change/")
    assert (case.status, case.channel, case.assignee) == (Status.RECEIVED, "letter", alice)
    assert case.received_at.date().isoformat() == "2026-01-30"
    assert case.due_date.isoformat() == "2026-03-02"  # GDPR: 28 Feb 2026 is a Saturday, next working day 2 Mar
    assert case.events.filter(event_type="logged", actor=alice).exists()


def test_it_refuses_to_log_requests_for_a_tenant_not_yours_or_from_the_future(client, acme, globex, alice):
    client.force_login(alice)
    base = {"channel": "phone", "received_time": "", "rule_set": acme.rule_sets.first().pk, "request_type": "access",
            "language": "en", "description": "", "requester_name": "X", "requester_email": "x@example.com",
            "requester_phone": "", "relationship": "self", "subject_name": ""}
    response = client.post(reverse("admin:dsar_case_add"), {**base, "tenant": globex.pk, "received_on": "2026-01-30"})
    assert response.status_code == 200 and "tenant" in response.context["adminform"].form.errors
    response = client.post(reverse("admin:dsar_case_add"), {**base, "tenant": acme.pk, "received_on": "2999-01-01"})
    assert "received_on" in response.context["adminform"].form.errors
    response = client.post(reverse("admin:dsar_case_add"), {**base, "tenant": acme.pk, "received_on": "2026-01-30",
                                                              "channel": "web"})
    assert "channel" in response.context["adminform"].form.errors
    assert not Case.objects.filter(requester_email="x@example.com").exists()


def test_it_limits_foreign_key_choices_and_inlines_to_the_users_tenants(client, acme, globex, olivia, charlie):
    client.force_login(olivia)
    form = client.get(reverse("admin:dsar_emailtemplate_add")).context["adminform"].form
    assert list(form.fields["tenant"].queryset) == [acme]
    form = client.get(reverse("admin:tenants_datacategory_add")).context["adminform"].form
    assert list(form.fields["tenant"].queryset) == [acme]
    page = client.get(reverse("admin:tenants_tenant_change", args=[acme.pk]))
    membership_formset = next(f for f in page.context["inline_admin_formsets"] if f.opts.model is Membership)
    users = membership_formset.formset.forms[0].fields["user"].queryset
    assert charlie not in users and olivia in users
    assert client.get(reverse("admin:tenants_tenant_change", args=[globex.pk])).status_code == 404
    response = client.post(reverse("admin:dsar_emailtemplate_add"), {
        "tenant": globex.pk, "kind": "message:x", "language": "en", "name": "x", "subject": "x", "body": "x"})
    assert response.status_code == 200 and "tenant" in response.context["adminform"].form.errors
    assert not EmailTemplate.objects.filter(tenant=globex).exists()
