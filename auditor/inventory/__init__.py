"""Stage 1, inventory: the inventory file, its importers and the starter files."""
