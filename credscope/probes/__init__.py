"""Live, read-only scope queries (`--verify`): one guarded client, one small probe module per provider."""
