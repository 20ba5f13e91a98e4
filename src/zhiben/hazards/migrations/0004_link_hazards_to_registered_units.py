"""Link hazards recorded before their unit was registered: a hazard with a
统一社会信用代码 but no unit gets the registered Unit with that code. The
snapshot fields stay as they were reported. Idempotent; nothing to undo."""

from django.db import migrations


def link_units(apps, schema_editor):
    Hazard = apps.get_model("hazards", "Hazard")
    Unit = apps.get_model("registry", "Unit")
    codes = (
        Hazard.objects.filter(unit__isnull=True).exclude(unit_uscc="").values_list("unit_uscc", flat=True).distinct()
    )
    units = dict(Unit.objects.filter(uscc__in=list(codes)).values_list("uscc", "pk"))
    for uscc, unit_id in units.items():
        Hazard.objects.filter(unit__isnull=True, unit_uscc=uscc).update(unit_id=unit_id)


class Migration(migrations.Migration):
    dependencies = [
        ("hazards", "0003_list_and_figures_indexes"),
        ("registry", "0003_units_sites_risk"),
    ]

    operations = [migrations.RunPython(link_units, migrations.RunPython.noop)]
