//! Rules: the facts of one router (debug state, show outputs, configuration) to findings, and
//! the two routers' configurations compared.

pub mod config;
mod config_v2;
pub mod debug;
pub mod ikev2;
pub mod show;
pub mod show_v2;
