"""Policy stage: packs, contexts, waivers, evaluation."""
