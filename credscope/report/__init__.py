"""Reporters: each turns a scan result into a string; the CLI owns files and stdout."""
