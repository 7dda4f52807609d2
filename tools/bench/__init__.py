"""`manage.py bench`: the portal under load on a seeded PostgreSQL, measured from outside."""
