"""Release rules: creating, shipping, reporting and telling customers."""
