"""Rules of the Chinese language the assistant relies on (pure functions, no I/O)."""
