"""The central office's history: every review round kept in DuckDB or PostgreSQL, and its queries."""
