"""Loading the registry's reference data: data/site_types.yaml,
data/ownership.yaml and the default unit tags."""

from __future__ import annotations

from pathlib import Path

import yaml
from django.conf import settings

from .choices import DEFAULT_TAGS


def read_yaml(path: Path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_files(data_dir: Path | None = None) -> dict[str, int]:
    """Sectors (the registry owns them; the hazards app loads them too, which
    is then a no-op), tags, site types and their owners."""
    from .services import registry_reference_load, sectors_load

    data_dir = data_dir or settings.DATA_DIR
    sectors = sectors_load(rows=read_yaml(data_dir / "sectors.yaml") or [])
    result = registry_reference_load(
        tags=DEFAULT_TAGS,
        site_types=read_yaml(data_dir / "site_types.yaml") or [],
        ownership=read_yaml(data_dir / "ownership.yaml") or {},
    )
    return {"sectors": sectors, **result}
