from django.apps import AppConfig

LABELS = {
    "transport.vehicle_create": "登记车辆",
    "transport.vehicle_update": "修改车辆",
    "transport.vehicle_import": "批量导入车辆",
    "transport.vehicle_export": "导出车辆台账",
    "transport.driver_create": "登记驾驶员",
    "transport.driver_update": "修改驾驶员",
    "transport.driver_import": "批量导入驾驶员",
    "transport.driver_export": "导出驾驶员台账",
    "transport.violation_create": "记录交通违法",
    "transport.violation_update": "修改交通违法记录",
    "transport.violation_import": "批量导入交通违法记录",
    "transport.violation_export": "导出交通违法记录",
    "transport.rider_import": "导入骑手交通违法名单",
    "transport.report_export": "导出道路运输月度报表",
    "transport.rider_add": "录入骑手交通违法",
}


class TransportConfig(AppConfig):
    name = "zhiben.transport"
    label = "transport"
    verbose_name = "道路运输"

    def demo_data(self) -> str:
        from .demo import create_demo_transport

        return create_demo_transport()

    def ready(self) -> None:
        from zhiben.audit.labels import register_labels
        from zhiben.imports.registry import register as register_importer
        from zhiben.imports.registry import register_exporter
        from zhiben.web.access import is_government
        from zhiben.web.navigation import NavItem, register

        from .access import sees_fleet

        register_labels(LABELS)
        for kind, name in (
            ("transport_vehicles", "Vehicle"),
            ("transport_drivers", "Driver"),
            ("transport_violations", "Violation"),
        ):
            register_importer(kind, f"zhiben.transport.tabular.{name}Importer")
            register_exporter(kind, f"zhiben.transport.tabular.{name}Exporter")
        register_importer("transport_riders", "zhiben.transport.tabular.RiderImporter")

        group = "行业台账"
        for item in (
            NavItem(
                "运输车辆",
                "transport:vehicle_list",
                "truck",
                group=group,
                visible=sees_fleet,
                match_prefix="/transport/vehicles/",
            ),
            NavItem(
                "驾驶员",
                "transport:driver_list",
                "person-badge",
                group=group,
                visible=sees_fleet,
                match_prefix="/transport/drivers/",
            ),
            NavItem(
                "交通违法",
                "transport:violation_list",
                "sign-stop",
                group=group,
                visible=sees_fleet,
                match_prefix="/transport/violations/",
            ),
            NavItem(
                "运输高风险清单",
                "transport:high_risk",
                "exclamation-octagon",
                group=group,
                visible=sees_fleet,
                match_prefix="/transport/high-risk/",
            ),
            NavItem(
                "骑手违法红黑榜",
                "transport:rider_ranking",
                "bicycle",
                group=group,
                visible=is_government,
                match_prefix="/transport/riders/",
            ),
        ):
            register(item)
