"""Tests of the tooling: release, spec drift, workflows, bench, mutation runs, README, false alarms."""
