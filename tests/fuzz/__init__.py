"""A seeded mutation fuzzer for the inspect stage: seeds (seeds.py), mutations (mutations.py), the per-case
oracle and the run (harness.py). The CI-sized run is test_fuzz_ci.py; big runs: bench/inspect/fuzz.py."""
