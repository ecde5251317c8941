"""Use cases shared by every face (CLI today; REST and MCP later). They depend on ports, not adapters."""
