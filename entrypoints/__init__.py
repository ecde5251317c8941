"""Driving adapters (CLI; later REST and MCP) and the composition root that wires everything."""
