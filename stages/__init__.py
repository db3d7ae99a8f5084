"""Built-in stages. A new stage is one module here and one line in REGISTRY."""

REGISTRY: dict[str, str] = {
}
