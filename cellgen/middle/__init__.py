"""Middle: checked cell -> SymPy step graph -> derived adjoints -> kernel plan."""
