"""Models of construction (建设工程)."""
