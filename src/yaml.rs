//! The one place that parses YAML (inventories, playbooks, lab scenarios).
//!
//! serde_yaml is deprecated upstream; keeping every call here means swapping it touches one
//! file. Errors always carry the file name and, when the parser knows it, line and column.

use serde::de::DeserializeOwned;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{}:{}: {}", self.file, l, c, self.message),
            (Some(l), None) => write!(f, "{}:{}: {}", self.file, l, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for YamlError {}

/// Deserializes `text`, read from `file` (used only to name it in errors).
pub fn from_str<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, YamlError> {
    serde_yaml::from_str(text).map_err(|e| {
        let loc = e.location();
        YamlError {
            file: file.to_string(),
            line: loc.as_ref().map(|l| l.line()),
            column: loc.as_ref().map(|l| l.column()),
            message: did_you_mean(&strip_location(&e.to_string())),
        }
    })
}

/// serde says "unknown field `comand`, expected one of `id`, `command`, …": add the closest
/// expected name, as a person would.
fn did_you_mean(msg: &str) -> String {
    // The message may start with a path (`steps[0]: unknown field …`).
    let Some(at) = msg
        .find("unknown field `")
        .or_else(|| msg.find("unknown variant `"))
    else {
        return msg.to_string();
    };
    let Some(rest) = msg[at..].split_once('`').map(|x| x.1) else {
        return msg.to_string();
    };
    let Some((typed, expected)) = rest.split_once('`') else {
        return msg.to_string();
    };
    let best = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|cand| (edit_distance(typed, cand), cand))
        .filter(|(d, cand)| *d <= 2.max(cand.len() / 3))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((_, cand)) => format!("{msg}; did you mean `{cand}`?"),
        None => msg.to_string(),
    }
}

/// Whether `typed` looks like a misspelling of `candidate`, by the measure the
/// "did you mean" of unknown keys uses.
pub fn similar(typed: &str, candidate: &str) -> bool {
    edit_distance(typed, candidate) <= 2.max(candidate.len() / 3)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Deserializes every document of a multi-document stream (`---` between them), such as a
/// Kubernetes manifest.
pub fn documents<T: DeserializeOwned>(file: &str, text: &str) -> Result<Vec<T>, YamlError> {
    serde_yaml::Deserializer::from_str(text)
        .map(|doc| {
            T::deserialize(doc).map_err(|e| {
                let loc = e.location();
                YamlError {
                    file: file.to_string(),
                    line: loc.as_ref().map(|l| l.line()),
                    column: loc.as_ref().map(|l| l.column()),
                    message: strip_location(&e.to_string()),
                }
            })
        })
        .collect()
}

/// Serializes a value as YAML (inventories the lab writes).
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, YamlError> {
    serde_yaml::to_string(value).map_err(|e| YamlError {
        file: String::from("<output>"),
        line: None,
        column: None,
        message: e.to_string(),
    })
}

/// serde_yaml appends " at line L column C" to its messages; we print the location up front.
fn strip_location(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        name: String,
        port: u16,
    }

    #[test]
    fn error_names_file_line_and_column() {
        let err = from_str::<Doc>("lab.yaml", "name: r1\nport: seventy\n").unwrap_err();
        assert_eq!(err.file, "lab.yaml");
        assert_eq!(err.line, Some(2));
        assert!(err.column.is_some());
        assert!(err.to_string().starts_with("lab.yaml:2:"), "{err}");
        assert!(!err.message.contains(" at line "));
    }

    #[test]
    fn unknown_keys_get_a_suggestion() {
        let err = from_str::<Doc>("x.yaml", "name: r1\nprot: 22\n").unwrap_err();
        assert!(err.message.contains("did you mean `port`?"), "{err}");
        assert_eq!(err.line, Some(2));
    }

    #[test]
    fn round_trips_maps() {
        let mut m = BTreeMap::new();
        m.insert("a".to_string(), 1u32);
        let text = to_string(&m).unwrap();
        let back: BTreeMap<String, u32> = from_str("x", &text).unwrap();
        assert_eq!(back, m);
    }
}
