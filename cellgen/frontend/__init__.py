"""Front end: spec text -> tokens -> syntax tree -> checked cell."""
