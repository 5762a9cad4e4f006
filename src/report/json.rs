//! JSON: one object for one report, an array for several (one per tunnel). Fields keep the
//! order of the structs, which is the order DESIGN.md documents.

use super::Report;

pub fn render(reports: &[Report]) -> String {
    let text = match reports {
        [one] => serde_json::to_string_pretty(one),
        many => serde_json::to_string_pretty(many),
    };
    match text {
        Ok(s) => s + "\n",
        // Every field is a string, number, enum or list of those: this cannot happen, but a
        // report must never panic, so say it in JSON.
        Err(e) => format!("{{\"error\": \"{e}\"}}\n"),
    }
}
