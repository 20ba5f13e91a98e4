from django.apps import AppConfig

AUDIT_LABELS = {
    "black_spot.create": "挂牌登记事故多发点段",
    "black_spot.update": "修改事故多发点段挂牌信息",
    "black_spot.transition": "办理事故多发点段整治操作",
    "black_spot.start": "启动事故多发点段整治",
    "black_spot.complete": "完成事故多发点段整治",
    "black_spot.accept": "验收事故多发点段整治",
    "black_spot.reopen": "事故多发点段整治验收退回",
    "black_spot.rectification_update": "修改事故多发点段整治措施",
    "black_spot.import": "导入事故多发点段",
    "black_spot.export": "导出事故多发点段",
    "school_plan.create": "编制一校一方案",
    "school_plan.update": "修改一校一方案",
    "school_plan.import": "导入一校一方案",
    "school_plan.export": "导出一校一方案",
}


class TrafficConfig(AppConfig):
    name = "zhiben.traffic"
    label = "traffic"
    verbose_name = "道路交通"

    def demo_data(self) -> str:
        from .demo import create_demo_traffic

        return create_demo_traffic()

    def ready(self) -> None:
        from zhiben.audit.labels import register_labels
        from zhiben.imports.registry import register as register_importer
        from zhiben.imports.registry import register_exporter
        from zhiben.plans.indicator_rules import register_rule
        from zhiben.web.access import is_government
        from zhiben.web.navigation import NavItem, register

        from .indicators import RULE

        register_labels(AUDIT_LABELS)
        register_rule(RULE)
        register_importer("black_spots", "zhiben.traffic.tabular.ListingImporter")
        register_importer("school_plans", "zhiben.traffic.tabular.PlanImporter")
        register_exporter("black_spots", "zhiben.traffic.tabular.ListingExporter")
        register_exporter("school_plans", "zhiben.traffic.tabular.PlanExporter")

        group = "行业台账"
        for item in (
            NavItem(
                "事故多发点段",
                "traffic:listing_list",
                "sign-stop",
                group=group,
                visible=is_government,
                match_prefix="/traffic/black-spots/",
            ),
            NavItem(
                "一校一方案",
                "traffic:plan_list",
                "mortarboard",
                group=group,
                visible=is_government,
                match_prefix="/traffic/school-plans/",
            ),
        ):
            register(item)
