//! Simulated Cisco IOS routers reachable over SSH.
