from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from zhiben.web.views import paginate

from . import services
from .models import Notification


@login_required
def inbox(request):
    qs = Notification.objects.filter(recipient=request.user)
    if request.GET.get("unread"):
        qs = qs.filter(read_at__isnull=True)
    return render(request, "notify/inbox.html", paginate(request, qs))


@login_required
@require_POST
def read(request, pk: int):
    services.mark_read(user=request.user, ids=[pk])
    target = Notification.objects.filter(pk=pk, recipient=request.user).values_list("url", flat=True).first()
    return redirect(target or "notify:inbox")


@login_required
@require_POST
def read_all(request):
    services.mark_read(user=request.user)
    return redirect("notify:inbox")
