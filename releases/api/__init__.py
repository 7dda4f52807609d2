"""REST endpoints for releases (read-only)."""
