"""The roles an account can have, in order of trust.

A module of its own, with no imports, so that the command line can name the roles in ``--help`` without
loading the database layer that ``users.service`` needs.
"""

ROLES = ("moderator", "lead", "admin", "service")
