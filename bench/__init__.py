"""Benchmarks and their recorded results (RESULTS.md). They print figures; they assert nothing."""
