"""Generators for formats that need code (a checksum, an encoding), one module per provider or family.

Each module defines ``GENERATORS: dict[str, Generator]`` (credscope.testing.generate.Generator); `generate.py`
finds every module here, so adding a provider never edits a shared file.
"""
