"""Moved to :mod:`zhiben.hazards.tabular` and :mod:`zhiben.org.tabular`
(issue 10). Only what registry/xlsx.py still imports from here is left; this
module goes once registry uses zhiben.org.tabular."""

from zhiben.org.tabular import org_label, owner_options

__all__ = ["org_label", "owner_options"]
