from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _ensure_text_index(sender, using, plan=None, **kwargs):
    """Django rebuilds an SQLite table to alter it, dropping the text index triggers: put them back."""
    from .search import ensure_text_index

    if plan:  # only after migrations actually ran (not after a flush)
        ensure_text_index(connections[using])


class HazardsConfig(AppConfig):
    name = "zhiben.hazards"
    label = "hazards"
    verbose_name = "隐患台账"

    def reference_data(self):
        from .reference import load_files

        def load() -> str:
            sectors, categories = load_files()
            return f"行业领域变更 {sectors}，隐患类别变更 {categories}"

        return [("行业领域与隐患类别", load)]

    def demo_data(self) -> str:
        from .demo import create_demo_hazards

        return f"隐患 {create_demo_hazards()} 条"

    def unit_dossier(self, request, unit):
        """一企一档: the unit's hazards the viewer may see, newest first."""
        from .models import Hazard

        rows = (
            Hazard.objects.restrict(request.user, "view")
            .filter(unit=unit)
            .select_related("category", "owner")
            .order_by("-found_on", "-id")[:100]
        )
        return "hazards/_unit_dossier.html", {"hazards": rows}

    def workspace_panel(self, request):
        from .panels import workspace_panel

        return workspace_panel(request)

    def ready(self) -> None:
        post_migrate.connect(_ensure_text_index, sender=self, dispatch_uid="hazards.ensure_text_index")

        from zhiben.imports.registry import register as register_importer
        from zhiben.imports.registry import register_exporter

        register_importer("hazards", "zhiben.hazards.tabular.HazardImporter")
        register_exporter("hazards", "zhiben.hazards.tabular.HazardExporter")

        from zhiben.web.access import is_government
        from zhiben.web.navigation import NavItem, register

        register(
            NavItem("隐患台账", "hazards:list", "exclamation-triangle", group="隐患治理", match_prefix="/hazards/"),
            before="基础",
        )
        register(
            NavItem(
                "挂牌督办",
                "hazards:listed",
                "megaphone",
                group="隐患治理",
                visible=is_government,
                match_prefix="/hazards-listed/",
            ),
            before="基础",
        )
        register(
            NavItem(
                "回头看",
                "hazards:recheck_list",
                "arrow-repeat",
                group="隐患治理",
                visible=is_government,
                match_prefix="/hazards-recheck/",
            ),
            before="基础",
        )
