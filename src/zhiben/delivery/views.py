"""Pages of delivery: the user's own channel choices, and the webhook
subscriptions of 区安委办管理员 (list, create, edit, detail with the delivery
log, 发送测试事件, 重新启用, 更换密钥). Rights: access.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from zhiben.audit.services import audit_record
from zhiben.core.errors import ServiceError
from zhiben.web.toolkit import apply_service_error, paginate

from . import selectors, services
from .access import can_manage_subscriptions
from .choices import EventType, MessageGroup
from .forms import PreferencesForm, SubscriptionForm

SECRET_KEY = "delivery_new_secret"


@login_required
def preferences(request):
    user = request.user
    form = PreferencesForm(request.POST or None, initial_modes=selectors.preferences_of(user))
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.set_preferences(actor=user, user=user, choices=form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "消息接收设置已保存。" if changed else "设置未变化。")
            return redirect("delivery:preferences")
    groups = [(form[g.value], g) for g in MessageGroup]
    return render(request, "delivery/preferences.html", {"form": form, "groups": groups, "email": user.email})


def _require_admin(request) -> None:
    if not can_manage_subscriptions(request.user):
        audit_record(action="access.denied", actor=request.user, object_type="page", object_repr=request.path)
        raise PermissionDenied("仅区安委办管理员可管理事件订阅")


@login_required
def subscriptions(request):
    _require_admin(request)
    return render(request, "delivery/subscriptions.html", {"subscriptions": selectors.subscriptions_for(request.user)})


@login_required
def subscription_create(request):
    _require_admin(request)
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sub, secret = services.create_subscription(actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            request.session[SECRET_KEY] = {"pk": sub.pk, "secret": secret}
            messages.success(request, "事件订阅已创建。请立即复制签名密钥：它只显示这一次。")
            return redirect("delivery:subscription_detail", pk=sub.pk)
    return render(request, "delivery/subscription_form.html", {"form": form, "subscription": None})


@login_required
def subscription_edit(request, pk: int):
    _require_admin(request)
    sub = selectors.subscription_for(request.user, pk)
    initial = {"name": sub.name, "url": sub.url, "event_types": sub.event_types, "is_active": sub.is_active}
    form = SubscriptionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_subscription(actor=request.user, subscription=sub, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "事件订阅已保存。")
            return redirect("delivery:subscription_detail", pk=sub.pk)
    return render(request, "delivery/subscription_form.html", {"form": form, "subscription": sub})


@login_required
def subscription_detail(request, pk: int):
    _require_admin(request)
    sub = selectors.subscription_for(request.user, pk)
    shown = request.session.get(SECRET_KEY)
    new_secret = None
    if shown and shown.get("pk") == sub.pk:
        new_secret = shown["secret"]
        del request.session[SECRET_KEY]  # once
    labels = dict(EventType.choices)
    context = {
        "subscription": sub,
        "new_secret": new_secret,
        "event_labels": [labels.get(t, t) for t in sub.event_types],
        **paginate(request, selectors.deliveries_of(sub)),
    }
    return render(request, "delivery/subscription_detail.html", context)


@login_required
@require_POST
def subscription_test(request, pk: int):
    _require_admin(request)
    sub = selectors.subscription_for(request.user, pk)
    delivery = services.send_test(actor=request.user, subscription=sub)
    if delivery.status == "delivered":
        messages.success(request, f"测试事件已送达（HTTP {delivery.last_status_code}）。")
    else:
        messages.error(request, f"测试事件发送失败：{delivery.last_error or '未知错误'}")
    return redirect("delivery:subscription_detail", pk=sub.pk)


@login_required
@require_POST
def subscription_enable(request, pk: int):
    _require_admin(request)
    sub = selectors.subscription_for(request.user, pk)
    services.enable_subscription(actor=request.user, subscription=sub)
    messages.success(request, "订阅已重新启用，待发送的事件将在下次投递时重试。")
    return redirect("delivery:subscription_detail", pk=sub.pk)


@login_required
@require_POST
def subscription_rotate(request, pk: int):
    _require_admin(request)
    sub = selectors.subscription_for(request.user, pk)
    secret = services.rotate_secret(actor=request.user, subscription=sub)
    request.session[SECRET_KEY] = {"pk": sub.pk, "secret": secret}
    messages.success(request, "已更换签名密钥。请立即复制新密钥并更新接收方：它只显示这一次。")
    return redirect("delivery:subscription_detail", pk=sub.pk)
