"""The reference server's tests: behaviour, faults, the proxy, staging-like conditions, transient failures."""
