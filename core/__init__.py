"""Pure domain: catalogue types, ID resolution, errors. Standard library and attrs only; no I/O."""
