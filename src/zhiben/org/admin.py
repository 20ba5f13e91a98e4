from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Membership, Organization, OrganizationAlias, User


class AliasInline(admin.TabularInline):
    model = OrganizationAlias
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "kind", "code", "parent"]
    list_filter = ["kind"]
    search_fields = ["name", "short_name", "code", "aliases__alias"]
    inlines = [AliasInline]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fk_name = "user"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "display_name", "is_active", "last_login"]
    fieldsets = (*BaseUserAdmin.fieldsets, ("治本", {"fields": ("display_name", "phone", "password_changed_at")}))
