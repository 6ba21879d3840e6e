"""Plotly figure builders of AWA: pure functions from query results to figures (no Dash)."""
