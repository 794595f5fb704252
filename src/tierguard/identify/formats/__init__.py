"""Header readers for model-artifact formats. Each reads a bounded prefix through a :class:`BoundedReader`
and never loads, unpickles or executes content."""
