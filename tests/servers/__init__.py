"""Real and fake servers the probe tests talk to, all on 127.0.0.1, each stopped when its fixture ends."""
