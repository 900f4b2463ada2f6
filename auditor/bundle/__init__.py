"""The audit bundle on disk: its folder, safe readers and writers, schemas, signatures."""
