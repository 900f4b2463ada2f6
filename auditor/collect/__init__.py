"""Stage 2, collect: scan hosts over SSH and hypervisor APIs, probe web services."""
