"""The job engine: store, poller, downloads, media and lineage (no textual here)."""
