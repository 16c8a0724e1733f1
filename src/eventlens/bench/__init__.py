"""Benchmarks and accuracy tooling (``eventlens bench ...``): loaded only inside those commands.

The product never imports this package (a test checks); it may import the product.
"""
