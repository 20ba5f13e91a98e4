"""Pages of the audit log (区安委办管理员): the list with its filters, one
event, and the button that verifies the hash chain."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from zhiben.core.access import get_scoped_or_404
from zhiben.web.toolkit import paginate

from .access import can_read_audit_log
from .forms import AuditFilterSet
from .models import AuditEvent
from .services import audit_record, verify_chain


def require_admin(request: HttpRequest) -> None:
    """The audit log is the district office's (access.py); anyone else gets a 403, audited."""
    if not can_read_audit_log(request.user):
        audit_record(action="access.denied", actor=request.user, object_type="page", object_repr=request.path)
        raise PermissionDenied("仅区安委办管理员可访问")


@login_required
def audit_list(request):
    require_admin(request)
    filterset = AuditFilterSet(request.GET, queryset=AuditEvent.objects.restrict(request.user, "view"))
    return render(
        request, "audit/audit_list.html", {"filter": filterset, **paginate(request, filterset.qs.order_by("-id"))}
    )


@login_required
def audit_detail(request, pk: int):
    require_admin(request)
    event = get_scoped_or_404(AuditEvent, request.user, "view", pk=pk)
    return render(request, "audit/audit_detail.html", {"event": event})


@login_required
@require_POST
def audit_verify(request):
    require_admin(request)
    problem = next(verify_chain(), None)
    audit_record(action="audit.verify", actor=request.user, after={"ok": problem is None})
    if problem is None:
        messages.success(request, f"审计链完整：{AuditEvent.objects.count()} 条记录哈希逐条校验通过。")
    else:
        messages.error(request, f"审计链校验失败：{problem.message}")
    return redirect("audit:audit_list")
