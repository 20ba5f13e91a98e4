from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from zhiben.web.toolkit import paginate

from . import access, selectors, services

GONE = "该消息涉及的事项已不在您的查看范围内（可能已移交其他部门或已调整），无法打开。"


@login_required
def inbox(request):
    qs = selectors.inbox(request.user, unread_only=bool(request.GET.get("unread")))
    context = paginate(request, qs)
    page = list(context["page_obj"])
    visible = access.visible_targets(request.user, page)
    for n in page:
        n.openable = n.pk in visible
    return render(request, "notify/inbox.html", context)


@login_required
@require_POST
def read(request, pk: int):
    services.mark_read(user=request.user, ids=[pk])
    notification = selectors.notification_of(request.user, pk)
    if notification is None or not notification.url:
        return redirect("notify:inbox")
    if notification.pk not in access.visible_targets(request.user, [notification]):
        messages.warning(request, GONE)
        return redirect("notify:inbox")
    return redirect(notification.url)


@login_required
@require_POST
def read_all(request):
    services.mark_read(user=request.user)
    return redirect("notify:inbox")
