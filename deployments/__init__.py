"""Deployments, the command line, and the local Prefect server."""
