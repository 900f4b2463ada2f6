"""The command line: the only place that speaks click; it maps core errors to exit codes."""
