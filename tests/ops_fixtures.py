"""Ops DB fixtures (owned by the publish work)."""
