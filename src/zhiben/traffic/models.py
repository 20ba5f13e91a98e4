"""Models of traffic (道路交通)."""
