"""config.toml + profiles + `-c` overrides → one typed Config."""
