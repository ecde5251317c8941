"""The use cases: what the service does, in terms of ports only (no adapters, no faces)."""
