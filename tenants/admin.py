"""Organisations, their staff, inventories and calendars in the admin, scoped to the user's tenants.

Owners configure their organisation; superusers create organisations and edit the shared rule-set presets.
"""

from django.contrib import admin

from dsar.admin import NotFoundIsNotFound, ScopedAdmin
from tenants.scoping import TenantScopedInlineMixin

from .models import DataCategory, HolidayOverride, IdentityField, Membership, RuleSet, Tenant


class ConfigureInline(TenantScopedInlineMixin, admin.TabularInline):
    change_capability = "configure"
    delete_capability = "configure"
    extra = 0


class DataCategoryInline(ConfigureInline):
    model = DataCategory
    fields = ("order", "name", "name_ar", "systems", "legal_basis", "retention_period", "retention_reason",
              "held_as_processor")


class IdentityFieldInline(ConfigureInline):
    model = IdentityField
    fields = ("order", "key", "label", "label_ar", "required", "secret")


class HolidayOverrideInline(ConfigureInline):
    model = HolidayOverride
    fields = ("date", "kind", "name")


class MembershipInline(ConfigureInline):
    model = Membership
    fields = ("user", "role")
    autocomplete_fields = ()


@admin.register(Tenant)
class TenantAdmin(ScopedAdmin):
    tenant_path = ""
    change_capability = "configure"
    list_display = ("name", "slug", "role", "contact_email", "time_zone")
    search_fields = ("name", "slug")
    filter_horizontal = ("rule_sets",)
    inlines = [MembershipInline, DataCategoryInline, IdentityFieldInline, HolidayOverrideInline]

    def get_readonly_fields(self, request, obj=None):
        # The slug is in every public URL and reference: only a superuser changes it.
        return () if request.user.is_superuser else ("slug",)

    def has_add_permission(self, request, *args):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


class ConfigureAdmin(ScopedAdmin):
    change_capability = "configure"
    list_select_related = ("tenant",)


@admin.register(Membership)
class MembershipAdmin(ConfigureAdmin):
    list_display = ("user", "tenant", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "user__email")


@admin.register(DataCategory)
class DataCategoryAdmin(ConfigureAdmin):
    list_display = ("name", "tenant", "systems", "legal_basis", "retention_period")
    search_fields = ("name",)


@admin.register(IdentityField)
class IdentityFieldAdmin(ConfigureAdmin):
    list_display = ("label", "tenant", "key", "required", "secret")


@admin.register(HolidayOverride)
class HolidayOverrideAdmin(ConfigureAdmin):
    list_display = ("date", "tenant", "kind", "name")


@admin.register(RuleSet)
class RuleSetAdmin(NotFoundIsNotFound, admin.ModelAdmin):
    """Jurisdiction presets are shared by every tenant: staff read them, superusers change them."""

    list_display = ("code", "name", "country", "period", "unit", "clock_starts", "max_extensions")
    search_fields = ("code", "name")

    def _staff(self, request):
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request):
        return self._staff(request)

    def has_view_permission(self, request, obj=None):
        return self._staff(request)

    def has_add_permission(self, request):
        return self._staff(request) and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return self._staff(request) and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return self._staff(request) and request.user.is_superuser
