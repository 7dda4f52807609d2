"""Code traceability rules: registering repositories, scanning them, first releases, builds, webhooks."""
