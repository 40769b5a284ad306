"""The agent/supervisor console: its own Sanic app and process (see docs/CONSOLE.md)."""
