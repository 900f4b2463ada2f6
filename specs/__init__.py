"""The national specification, the offering catalogue and JSON Schemas, shipped as data."""
