"""The Vividly infrastructure services project package."""
