"""Pages of import jobs: the job page polls its progress partial every
second (htmx) until the job is done or failed. A job whose worker is gone is
recovered (marked failed, its writes undone) when its page or the list is
shown, so the page says what happened."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from zhiben.audit.services import audit_record

from .models import ImportJob
from .registry import get_importer
from .services import recover_abandoned_jobs, recover_job


def get_job_or_404(user, pk: int) -> ImportJob:
    """The user's own job (any job for 区安委办管理员); otherwise 404, and the
    attempt is audited."""
    job = ImportJob.objects.visible_to(user).select_related("created_by").filter(pk=pk).first()
    if job is None:
        existing = ImportJob.objects.filter(pk=pk).first()
        if existing is not None:
            audit_record(action="access.denied", actor=user, obj=existing, after={"attempted": "view"})
        raise Http404("导入任务不存在或您无权查看")
    if job.is_running and recover_job(job):
        job.refresh_from_db()
    return job


def _context(request, job: ImportJob) -> dict:
    result_url, result_label, upload_url = "", "", ""
    try:
        importer = get_importer(job.kind)(job=job, actor=request.user)
    except (LookupError, ImportError):
        importer = None
    if importer is not None:
        result_url, result_label, upload_url = importer.result_url(), importer.result_label(), importer.upload_url()
    return {"job": job, "result_url": result_url, "result_label": result_label, "upload_url": upload_url}


@login_required
@require_GET
def job_list(request):
    recover_abandoned_jobs(throttle=True)
    jobs = ImportJob.objects.visible_to(request.user).select_related("created_by")[:100]
    return render(request, "imports/list.html", {"jobs": jobs})


@login_required
@require_GET
def job_detail(request, pk: int):
    job = get_job_or_404(request.user, pk)
    return render(request, "imports/detail.html", _context(request, job))


@login_required
@require_GET
def job_progress(request, pk: int):
    job = get_job_or_404(request.user, pk)
    return render(request, "imports/_progress.html", _context(request, job))
