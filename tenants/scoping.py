"""Tenant scoping in one place: who may see and do what, for querysets, views and the admin.

"Not yours" must look exactly like "does not exist": every lookup goes through a scoped queryset,
so an object of another tenant simply is not found (404).
"""

from django.db.models import Model, QuerySet
from django.http import Http404

from .models import Membership, Tenant

R = Membership.Role

# What each role may do; superusers may do everything.
CAPABILITIES = {
    "view": {R.OWNER, R.OFFICER, R.ANALYST, R.AUDITOR},
    "work": {R.OWNER, R.OFFICER, R.ANALYST},  # tasks, internal notes, decisions, messages
    "decide": {R.OWNER, R.OFFICER},  # legally meaningful actions: verify, extend, complete, deny…
    "configure": {R.OWNER},  # the organisation's settings, inventory, templates, members
}


def _roles(user) -> dict[int, str]:
    """{tenant_id: role} for a user, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return {}
    cached = getattr(user, "_tenant_roles", None)
    if cached is None:
        cached = dict(Membership.objects.filter(user=user).values_list("tenant_id", "role"))
        user._tenant_roles = cached
    return cached


def tenant_ids(user, capability: str = "view"):
    """Tenant ids where the user has the capability; None means every tenant (superuser)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return None
    allowed = CAPABILITIES[capability]
    return {tid for tid, role in _roles(user).items() if role in allowed}


def can(user, tenant_or_id, capability: str = "view") -> bool:
    ids = tenant_ids(user, capability)
    tenant_id = tenant_or_id.pk if isinstance(tenant_or_id, Tenant) else tenant_or_id
    return ids is None or tenant_id in ids


def scope(queryset: QuerySet, user, tenant_path: str = "tenant", capability: str = "view") -> QuerySet:
    ids = tenant_ids(user, capability)
    if ids is None:
        return queryset
    if tenant_path == "":
        return queryset.filter(pk__in=ids)
    return queryset.filter(**{f"{tenant_path}__in": ids})


def get_scoped_or_404(queryset: QuerySet, user, tenant_path: str = "tenant", **lookup) -> Model:
    try:
        return scope(queryset, user, tenant_path).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404


def get_public_tenant_or_404(slug: str) -> Tenant:
    try:
        return Tenant.objects.get(slug=slug)
    except Tenant.DoesNotExist:
        raise Http404


def tenant_path_of(model) -> str | None:
    """Lookup path from a model to its tenant, by convention (tenant or case__tenant)."""
    if model is Tenant:
        return ""
    names = {f.name for f in model._meta.get_fields()}
    if "tenant" in names:
        return "tenant"
    if "case" in names:
        return "case__tenant"
    return None


class TenantScopedAdminMixin:
    """Queryset, foreign-key choices and permissions limited to the user's tenants, by role.

    tenant_path says how to reach the tenant ("tenant", "case__tenant", "" for Tenant itself).
    change_capability is what a role needs to add/change/delete this model.
    """

    tenant_path = "tenant"
    change_capability = "decide"
    delete_capability = "configure"

    def get_queryset(self, request):
        return scope(super().get_queryset(request), request.user, self.tenant_path)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        self._limit_choices(db_field, request, field)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        self._limit_choices(db_field, request, field)
        return field

    def _limit_choices(self, db_field, request, field):
        if field is None or not hasattr(field, "queryset"):
            return
        related = db_field.remote_field.model
        path = tenant_path_of(related)
        if path is not None:
            field.queryset = scope(field.queryset, request.user, path, self.change_capability)
        elif related._meta.label == "auth.User" and not request.user.is_superuser:
            ids = tenant_ids(request.user)
            field.queryset = field.queryset.filter(memberships__tenant_id__in=ids).distinct()

    def _has_any(self, request, capability):
        ids = tenant_ids(request.user, capability)
        return ids is None or bool(ids)

    def _obj_tenant_id(self, obj):
        if self.tenant_path == "":
            return obj.pk
        target = obj
        for part in self.tenant_path.split("__")[:-1]:
            target = getattr(target, part)
        return target.tenant_id

    def _has(self, request, obj, capability):
        if not request.user.is_active or not request.user.is_staff:
            return False
        if obj is None:
            return self._has_any(request, capability)
        return can(request.user, self._obj_tenant_id(obj), capability)

    def has_module_permission(self, request):
        return self._has(request, None, "view")

    def has_view_permission(self, request, obj=None):
        return self._has(request, obj, "view")

    def has_add_permission(self, request, *args):
        return self._has(request, None, self.change_capability)

    def has_change_permission(self, request, obj=None):
        return self._has(request, obj, self.change_capability)

    def has_delete_permission(self, request, obj=None):
        return self._has(request, obj, self.delete_capability)


class TenantScopedInlineMixin(TenantScopedAdminMixin):
    """Inlines: permissions follow the parent object's tenant."""

    def has_add_permission(self, request, obj=None):
        return self._parent_has(request, obj, self.change_capability)

    def has_change_permission(self, request, obj=None):
        return self._parent_has(request, obj, self.change_capability)

    def has_delete_permission(self, request, obj=None):
        return self._parent_has(request, obj, self.delete_capability)

    def has_view_permission(self, request, obj=None):
        return self._parent_has(request, obj, "view")

    def _parent_has(self, request, obj, capability):
        if not request.user.is_staff:
            return False
        if obj is None:
            return self._has_any(request, capability)
        return can(request.user, _tenant_id(obj), capability)


def _tenant_id(obj):
    if isinstance(obj, Tenant):
        return obj.pk
    if hasattr(obj, "tenant_id"):
        return obj.tenant_id
    return obj.case.tenant_id

