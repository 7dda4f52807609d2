"""Seeding a large help desk and measuring the portal against it."""
