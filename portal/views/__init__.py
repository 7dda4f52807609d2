"""The portal's pages (contacts) and the few staff actions that concern it."""
