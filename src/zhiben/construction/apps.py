from django.apps import AppConfig

AUDIT_LABELS = {
    "construction_project.update": "修改工程信息",
    "dangerous_work.create": "登记危大工程",
    "dangerous_work.update": "修改危大工程",
    "dangerous_work.import": "批量导入危大工程",
    "dangerous_work.export": "导出危大工程",
    "crane.create": "登记起重机械",
    "crane.update": "修改起重机械",
    "crane.import": "批量导入起重机械",
    "crane.export": "导出起重机械",
    "pit_point.create": "设置深基坑监测点",
    "pit_point.update": "修改深基坑监测点",
    "pit_reading.record": "记录深基坑监测读数",
    "major_hazard.basis": "填写重大事故隐患判定依据",
    "major_hazard.export": "导出房屋市政工程重大事故隐患",
}


class ConstructionConfig(AppConfig):
    name = "zhiben.construction"
    label = "construction"
    verbose_name = "建设工程"

    def demo_data(self) -> str:
        from .demo import create_demo_construction

        return create_demo_construction()

    def ready(self) -> None:
        from zhiben.audit.labels import register_labels
        from zhiben.imports.registry import register as register_importer
        from zhiben.imports.registry import register_exporter
        from zhiben.web.access import is_government
        from zhiben.web.navigation import NavItem, register

        register_labels(AUDIT_LABELS)
        register_importer("dangerous_works", "zhiben.construction.tabular.WorkImporter")
        register_importer("cranes", "zhiben.construction.tabular.CraneImporter")
        register_exporter("dangerous_works", "zhiben.construction.tabular.WorkExporter")
        register_exporter("cranes", "zhiben.construction.tabular.CraneExporter")
        register_exporter("construction_major_hazards", "zhiben.construction.tabular.MajorHazardExporter")

        from .access import builds_projects

        def registers_visible(user) -> bool:
            # Government users; an 企业用户 only when its unit builds a construction site.
            return is_government(user) or builds_projects(user)

        group = "行业台账"
        for item in (
            NavItem(
                "建筑工地",
                "construction:project_list",
                "cone-striped",
                group=group,
                visible=registers_visible,
                match_prefix="/construction/projects/",
            ),
            NavItem(
                "危大工程",
                "construction:work_list",
                "exclamation-diamond",
                group=group,
                visible=registers_visible,
                match_prefix="/construction/works/",
            ),
            NavItem(
                "起重机械",
                "construction:crane_list",
                "truck-flatbed",
                group=group,
                visible=registers_visible,
                match_prefix="/construction/cranes/",
            ),
            NavItem(
                "重大隐患（住建）",
                "construction:major_hazards",
                "file-earmark-spreadsheet",
                group=group,
                visible=is_government,
                match_prefix="/construction/major-hazards/",
            ),
        ):
            register(item)
