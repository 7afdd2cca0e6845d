"""Rich drawings of the documents ``views`` build: one module per command group, plus ``format``
(how a value is written in a cell), ``layout`` (the shared table and section shapes) and
``sparklines``.

Every drawing takes the dict ``--json`` would print and a Console; nothing here reads the store,
so what a person sees and what a script parses cannot drift apart. Rich, because it measures the
terminal and folds tables to fit it.
"""
