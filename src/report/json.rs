//! JSON: one object for one report, an array for several (one per tunnel).

use super::Report;

pub fn render(reports: &[Report]) -> String {
    let value = match reports {
        [one] => serde_json::to_value(one),
        many => serde_json::to_value(many),
    };
    // Every field is a plain string, number or enum: serialization cannot fail.
    match value.and_then(|v| serde_json::to_string_pretty(&v)) {
        Ok(s) => s + "\n",
        Err(e) => format!("{{\"error\": \"{e}\"}}\n"),
    }
}
