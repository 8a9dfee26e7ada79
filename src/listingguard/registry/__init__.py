"""The model registry: immutable versions of models, rule sets and policies, bundles of the three, and aliases."""
