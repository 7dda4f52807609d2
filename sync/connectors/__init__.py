"""Connectors: one small class per tracker kind, on one base (base.Connector)."""

from sync.connectors.registry import connector_for, connector_class

__all__ = ["connector_class", "connector_for"]
