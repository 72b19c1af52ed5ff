"""The district network (R2-R6, R8.3): registry, community-school rollout, registry report."""
