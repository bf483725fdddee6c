"""Session-scoped warehouse built once by a real sync (owned by the transform work)."""
