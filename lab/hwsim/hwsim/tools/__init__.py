"""Simulated tools; each module has a main(ctx) -> exit status."""
