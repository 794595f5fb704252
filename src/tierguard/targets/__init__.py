"""Targets stage: resolvers over directories, archives, environments and in-memory fixtures."""
