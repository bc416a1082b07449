"""Organisation scans: every repository of an organisation, scanned by the single-repository engine on Dask.

A layer above `credscope.api.run`: enumerate → mirror → schedule → store → report. Nothing below it knows
that it exists; secrets never leave the worker that found them (see `wire.py`).
"""
