//! `write [memory]` and `copy running-config startup-config`: the running-config becomes the
//! startup-config. `copy` first asks for the destination, as IOS does:
//!
//! ```text
//! R1#copy running-config startup-config
//! Destination filename [startup-config]?
//! Building configuration...
//! [OK]
//! ```

use crate::lab::router::Router;

pub const DESTINATION_PROMPT: &str = "Destination filename [startup-config]? ";

pub fn memory(router: &Router) -> Vec<String> {
    router.config.save();
    vec!["Building configuration...".to_string(), "[OK]".to_string()]
}

/// The answer to the destination question: Enter or `startup-config` saves; any other name
/// is a file the lab has no flash for.
pub fn copy_to(router: &Router, answer: &str) -> Vec<String> {
    match answer.trim() {
        "" | "startup-config" | "nvram:startup-config" => memory(router),
        other => vec![format!("%Error opening flash:{other} (No such device)")],
    }
}
