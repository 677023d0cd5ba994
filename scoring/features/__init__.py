"""Text features for the written items: pure functions over a response, plus `@resource` loaders
for the models they need (embedder, nlp, spell checker, grammar linter)."""
