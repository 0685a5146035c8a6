"""The operations people perform. Pages, API and CLI call these; nothing else writes."""
