"""The Textual console. Talks to the engine's service API and the store's read queries only."""
