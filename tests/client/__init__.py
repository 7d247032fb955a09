"""Tests of the generated client and its distribution, from outside, as a user would call it."""
