"""Models of transport (道路运输)."""
