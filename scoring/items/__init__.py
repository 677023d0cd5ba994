"""Item scorers, one module per family; importing this package registers them all."""
from scoring.items import objective, speaking, writing  # noqa: F401
