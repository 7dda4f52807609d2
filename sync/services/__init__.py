"""The sync engine's rules: pushing the outbox, pulling tracker changes, connections."""
