"""The example inventory, its facility answers and evidence, and the CSV templates, as data."""
