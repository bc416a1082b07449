"""Detection: the catalogue's rules run over documents and yield candidates, false positives filtered out."""
