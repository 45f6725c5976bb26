"""The catalog layer: the schema, TOML spec files to typed records (every problem with file and field),
lookup by id with suggestions, lint rules, and what-if overrides. Imports only core."""
