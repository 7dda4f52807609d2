"""REST endpoints for defects, teams and routing rules."""
