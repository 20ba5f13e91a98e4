"""Models of civildefence (人防工程)."""
