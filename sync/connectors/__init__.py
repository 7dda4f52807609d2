"""Connectors: one small class per tracker kind, on one base (base.Connector)."""

from sync.connectors.registry import connector_class, connector_for

__all__ = ["connector_class", "connector_for"]
