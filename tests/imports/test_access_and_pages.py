"""imports.access (who sees and starts which job) and the generic upload and
template pages, called for the demo kind through a URLconf of the test's own."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.urls import include, path

from zhiben.imports import views
from zhiben.imports.access import can_start, can_view, visible_jobs
from zhiben.imports.models import ImportJob

urlpatterns = [
    path("demo/import/", views.import_upload, {"kind": "demo"}, name="demo_import"),
    path("demo/template/", views.template_download, {"kind": "demo"}, name="demo_template"),
    path("", include("zhiben.config.urls")),
]


def test_visible_jobs_and_starting(demo_importer, users):
    mine = ImportJob.objects.create(kind="demo", created_by=users["officer"], original_name="a.xlsx")
    theirs = ImportJob.objects.create(kind="demo", created_by=users["leader"], original_name="b.xlsx")
    assert list(visible_jobs(users["officer"])) == [mine]
    assert set(visible_jobs(users["admin"])) == {mine, theirs}
    assert not visible_jobs(AnonymousUser()).exists()
    assert can_view(users["officer"], mine) and not can_view(users["officer"], theirs)
    assert can_view(users["admin"], theirs)
    assert can_start(users["officer"], "demo") and not can_start(users["readonly"], "demo")
    assert not can_start(AnonymousUser(), "demo")


def test_upload_page_of_a_kind_and_its_refusal(demo_importer, users, login, kit, monkeypatch, settings):
    settings.ROOT_URLCONF = __name__
    monkeypatch.setattr(demo_importer, "title", "批量导入示例", raising=False)
    monkeypatch.setattr(demo_importer, "sheet", "示例表", raising=False)
    monkeypatch.setattr(demo_importer, "list_url", "imports:list", raising=False)
    monkeypatch.setattr(demo_importer, "list_label", "返回导入列表", raising=False)
    monkeypatch.setattr(demo_importer, "template_url", "imports:list", raising=False)
    monkeypatch.setattr(demo_importer, "template_filename", "示例模板.xlsx", raising=False)
    monkeypatch.setattr(demo_importer, "denied_message", "不能导入示例", raising=False)
    monkeypatch.setattr(demo_importer, "page_notes", ("第三步：等待",), raising=False)
    monkeypatch.setattr(demo_importer, "template", classmethod(lambda cls: b"PK-template"), raising=False)

    client = login(users["officer"])
    page = client.get("/demo/import/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "批量导入示例" in html and "工作表“示例表”" in html and "第三步：等待" in html and "返回导入列表" in html

    response = client.post("/demo/import/", {"file": kit.upload(kit.sheet_bytes(["甲"]))})
    job = ImportJob.objects.get(kind="demo")
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"

    bad = client.post("/demo/import/", {"file": kit.upload(b"not a workbook")})
    assert bad.status_code == 422 and "文件不是有效的 Excel" in bad.content.decode()

    template = client.get("/demo/template/")
    assert template.content == b"PK-template" and "attachment" in template["Content-Disposition"]

    refused = login(users["readonly"]).get("/demo/import/")
    assert refused.status_code == 403
