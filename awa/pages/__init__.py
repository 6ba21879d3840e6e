"""Dash page layout and callback wiring of AWA."""
