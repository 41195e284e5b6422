"""Importers for the UCDP Peace Agreement Dataset and the PA-X Peace Agreements Database.

Parsing (ucdp.py, pax.py, text.py) is pure; runner.py writes through the services.
The code-to-category tables are in mapping.py.
"""
