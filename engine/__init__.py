"""Rutin's pure core: procedures, rules, the state machine and the application layer.

Nothing in this package touches a database, the network, a scheduler or the wall clock; those are
adapters behind the protocols in `engine.ports`, built by the composition root in `cli.py`.
"""
