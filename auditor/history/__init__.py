"""The central office's history: review rounds kept in DuckDB or PostgreSQL, and their queries."""
