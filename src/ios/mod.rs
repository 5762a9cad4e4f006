//! The IOS model: running-config parsed into typed crypto configuration, and IKE's decisions
//! over two configurations. Used by the lab (to simulate) and by the engine (to explain).
