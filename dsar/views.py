"""Public pages (placeholder until the subject-portal work lands)."""

from django.http import HttpResponse

from tenants.scoping import get_public_tenant_or_404


def landing(request, tenant_slug):
    tenant = get_public_tenant_or_404(tenant_slug)
    return HttpResponse(tenant.name)


request_form = request_sent = status = landing


def confirm(request, tenant_slug, token):
    return landing(request, tenant_slug)


status_open = confirm
