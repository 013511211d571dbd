"""Benchmark: our `lambda_function` backend against Pants' built-in and the pip/uv recipes."""
