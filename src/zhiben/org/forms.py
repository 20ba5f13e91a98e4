"""Forms of the organization and user-administration pages."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q

from zhiben.web.toolkit import StyledForm, style_form

from .access import subtree_q
from .choices import OrgKind, Role
from .models import Membership, Organization, User


def _units():
    """registry.Unit, reached through the foreign key (org sits below registry and
    does not import it); the apps are loaded before a form module is imported."""
    return Membership._meta.get_field("unit").related_model.objects.all()


class OrganizationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organization) -> str:
        return "　" * max(obj.depth, 0) + obj.display_name


class AdminForm(StyledForm):
    """The administration pages' styling: text inputs show their label as placeholder."""

    text_placeholders = True


class UserCreateForm(AdminForm, forms.Form):
    username = forms.CharField(label="登录账号", max_length=150)
    display_name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(label="联系电话", max_length=30, required=False)
    email = forms.EmailField(label="电子邮箱", required=False)
    organization = OrganizationChoiceField(label="所属组织", queryset=Organization.objects.filter(is_active=True))
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    unit = forms.ModelChoiceField(label="绑定单位（企业用户）", queryset=_units(), required=False)
    title = forms.CharField(label="职务", max_length=50, required=False)
    password = forms.CharField(
        label="初始密码",
        strip=False,
        widget=forms.PasswordInput,
        help_text="至少10位，包含大写字母、小写字母、数字、特殊符号中的至少3类，且不含账号。",
    )


class MembershipForm(AdminForm, forms.Form):
    organization = OrganizationChoiceField(label="组织", queryset=Organization.objects.filter(is_active=True))
    role = forms.ChoiceField(label="角色", choices=Role.choices)
    unit = forms.ModelChoiceField(label="绑定单位（企业用户）", queryset=_units(), required=False)
    title = forms.CharField(label="职务", max_length=50, required=False)


class UserProfileForm(AdminForm, forms.Form):
    display_name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(label="联系电话", max_length=30, required=False)
    email = forms.EmailField(label="电子邮箱", required=False)


class ReasonForm(AdminForm, forms.Form):
    reason = forms.CharField(label="原因", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class PasswordResetForm(AdminForm, forms.Form):
    new_password = forms.CharField(label="新密码", strip=False, widget=forms.PasswordInput)


class UserFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label="账号/姓名", method="filter_q")
    organization = django_filters.ModelChoiceFilter(
        label="组织", queryset=Organization.objects.all(), method="filter_organization", empty_label="全部组织"
    )
    role = django_filters.ChoiceFilter(label="角色", choices=Role.choices, method="filter_role", empty_label="全部角色")
    is_active = django_filters.BooleanFilter(
        label="状态", widget=forms.Select(choices=[("", "全部"), ("true", "启用"), ("false", "停用")])
    )

    class Meta:
        model = User
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self.form, placeholders=True)

    def filter_q(self, qs, name, value):
        return qs.filter(Q(username__icontains=value) | Q(display_name__icontains=value))

    def filter_organization(self, qs, name, value):
        return qs.filter(subtree_q("memberships__organization", value), memberships__is_active=True).distinct()

    def filter_role(self, qs, name, value):
        return qs.filter(memberships__role=value, memberships__is_active=True).distinct()


class OrganizationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label="名称/别名", method="filter_q")
    kind = django_filters.ChoiceFilter(label="类型", choices=OrgKind.choices, empty_label="全部类型")

    class Meta:
        model = Organization
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self.form, placeholders=True)

    def filter_q(self, qs, name, value):
        return qs.filter(
            Q(name__icontains=value) | Q(short_name__icontains=value) | Q(aliases__alias__icontains=value)
        ).distinct()
