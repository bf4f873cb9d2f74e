"""The engine's MCP client: listing and calling hosted MCP tools over streamable HTTP."""
