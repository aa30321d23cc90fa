"""Console tests: Pilot tests and SVG snapshots with scripted hosts."""
