"""Sub-commands beyond `scan`, one module each; cli.py registers them."""
