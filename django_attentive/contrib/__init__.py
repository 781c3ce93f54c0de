"""Adapters for e-commerce frameworks; each is opt-in and imports its framework lazily."""
