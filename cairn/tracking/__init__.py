"""Tracking domain rules: experiments, runs, their lifecycle, and what may be logged to them.

Every caller (the embedded SDK's LocalBackend and the server's routes) goes through these
functions, so a rule such as "params are immutable" or "a rejected batch writes nothing" holds the
same in both modes. They validate, then call ``store/`` inside one transaction.
"""
