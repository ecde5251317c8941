"""The REST API (Starlette)."""
