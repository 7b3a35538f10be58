"""Pure domain code: values, parsing and ports. Standard library only, no I/O."""
