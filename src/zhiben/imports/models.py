"""Import jobs: one uploaded spreadsheet being checked and loaded in the
background, with its progress and, at the end, its result or every bad row.
Export jobs: one big list export written in the background, with its progress
and, at the end, the file its creator downloads (until it expires)."""

from __future__ import annotations

from django.db import models

from zhiben.core.fields import ChoiceColor, user_fk

from .choices import EXPORT_RUNNING_STATUSES, RUNNING_STATUSES, ExportStatus, ImportStatus


class ImportJobQuerySet(models.QuerySet):
    """Who sees which job: zhiben.imports.access.visible_jobs."""


class ImportJob(models.Model):
    """一次导入: the file is kept in the default storage (``stored_name``)
    until the job finishes. ``errors`` lists every bad row as
    ``{"row": 12, "column": "发现日期", "message": "…"}`` (Excel row numbers,
    header = row 1)."""

    kind = models.CharField("导入类型", max_length=32)
    status = models.CharField("状态", max_length=12, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    created_by = user_fk("导入人", blank=False, related_name="import_jobs")
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    original_name = models.CharField("文件名", max_length=255)
    stored_name = models.CharField("存储位置", max_length=255, blank=True, help_text="任务结束后文件即删除")
    total_rows = models.PositiveIntegerField("数据行数", default=0, help_text="校验完成前为估计值")
    processed_rows = models.PositiveIntegerField("已校验行数", default=0)
    written_rows = models.PositiveIntegerField("已写入行数", default=0)
    created_count = models.PositiveIntegerField("导入条数", default=0)
    errors = models.JSONField("错误", default=list, blank=True)
    message = models.TextField("结果说明", blank=True)
    # The process running the job (see services.recover_abandoned_jobs): set
    # when a worker takes the job, beaten every few seconds while it runs.
    worker_host = models.CharField("执行主机", max_length=255, blank=True)
    worker_pid = models.PositiveIntegerField("执行进程号", null=True, blank=True)
    worker_token = models.CharField("执行进程标识", max_length=32, blank=True)
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    # The background task that runs the job (core/background.py), while it is queued.
    task_id = models.CharField("后台任务标识", max_length=64, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="import_job_user_created")]

    def __str__(self) -> str:
        return f"{self.original_name}（{self.get_status_display()}）"

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES

    @property
    def kind_label(self) -> str:
        from .registry import get_importer

        try:
            return get_importer(self.kind).label
        except (LookupError, ImportError):
            return self.kind

    status_color = ChoiceColor("status", ImportStatus)

    @property
    def percent(self) -> int:
        """Progress 0–100 of the phase under way: rows checked while validating, rows written while
        importing (the page says which)."""
        if self.status == ImportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        done = self.written_rows if self.status == ImportStatus.IMPORTING else self.processed_rows
        return min(100, done * 100 // self.total_rows)


class ImportChunk(models.Model):
    """What one committed step of a job wrote (the primary keys of one model).

    A job writes in short transactions so that other users' writes are not
    held up; until the job is done these rows let a failed or abandoned job
    be undone, chunk by chunk (see services). They are deleted in the job's
    last transaction, together with marking it done."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="chunks", verbose_name="导入任务")
    model = models.CharField("数据类型", max_length=100, help_text="app_label.model_name")
    ids = models.JSONField("主键", default=list)
    created_at = models.DateTimeField("写入时间", auto_now_add=True)

    class Meta:
        verbose_name = "导入写入批次"
        verbose_name_plural = "导入写入批次"
        ordering = ["job", "pk"]

    def __str__(self) -> str:
        return f"{self.job_id}: {self.model} × {len(self.ids)}"


MAX_EXPORT_QUERY = 2000  # characters of the list's query string an export job keeps


class ExportJob(models.Model):
    """一次后台导出: a list export too big to write in the request
    (``ZHIBEN_EXPORT_INLINE_MAX``). ``query`` is the list's query string (its
    filters) as given; the worker applies it, and the creator's scope, when it
    runs. The file is written to the default storage under ``stored_name``
    (``exports/<uuid>.xlsx``; ``<name>.part`` while it is being written) and
    deleted at ``expires_at`` by ``zhiben tick`` (imports/tick.py). Only its
    creator sees the job and downloads the file (imports/access.py)."""

    kind = models.CharField("导出类型", max_length=32)
    status = models.CharField("状态", max_length=12, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    created_by = user_fk("导出人", blank=False, related_name="export_jobs")
    query = models.CharField("筛选条件", max_length=MAX_EXPORT_QUERY, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    expires_at = models.DateTimeField("文件过期时间", null=True, blank=True)
    total_rows = models.PositiveIntegerField("总行数", default=0, help_text="开始导出时按筛选条件统计")
    processed_rows = models.PositiveIntegerField("已导出行数", default=0)
    row_count = models.PositiveIntegerField("文件行数", default=0)
    stored_name = models.CharField("存储位置", max_length=255, blank=True, help_text="文件过期删除后为空")
    filename = models.CharField("下载文件名", max_length=255)
    message = models.TextField("结果说明", blank=True)
    # The background task that runs the job, and the worker (core.background.worker_id()) that took it.
    task_id = models.CharField("后台任务标识", max_length=64, blank=True)
    worker = models.CharField("执行进程", max_length=64, blank=True)

    class Meta:
        verbose_name = "导出任务"
        verbose_name_plural = "导出任务"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="export_job_user_created"),
            models.Index(fields=["expires_at"], name="export_job_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.filename}（{self.get_status_display()}）"

    @property
    def is_running(self) -> bool:
        return self.status in EXPORT_RUNNING_STATUSES

    @property
    def is_downloadable(self) -> bool:
        return self.status == ExportStatus.DONE and bool(self.stored_name)

    @property
    def kind_label(self) -> str:
        from .registry import get_exporter

        try:
            return get_exporter(self.kind).label
        except (LookupError, ImportError):
            return self.kind

    status_color = ChoiceColor("status", ExportStatus)

    @property
    def percent(self) -> int:
        """Rows written 0–100."""
        if self.status == ExportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)
