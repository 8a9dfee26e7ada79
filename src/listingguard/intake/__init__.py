"""A listing's arrival: store it, screen it with every serving bundle, record what each found, open review tasks.

The orchestration across ``listings``, ``screening`` and ``review``, shared by the HTTP API (with group
commit) and the command line. It sits above those three so that none of them needs another's services.
"""
