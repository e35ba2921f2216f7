"""The typed Agents API layer: schema, client and errors (no textual here)."""
