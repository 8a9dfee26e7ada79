"""Tests that kill mutants the mutation run (bench/mutation.py) found surviving in rules/."""
