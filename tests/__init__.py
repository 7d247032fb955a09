"""The project's own tests: spec, generation, redaction, reference server, scripts."""
