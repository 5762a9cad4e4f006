//! Which routers a step or a command is for: `applies: {ike: v2}`, `applies: {style: vti}`.
//! A router speaks one IKE version toward its peer and protects the traffic one way (a crypto
//! map or a tunnel interface); IKEv2 has its own debug and show commands, and a route-based
//! tunnel its own interface, so a playbook says which of its commands fit which routers and the
//! runner picks them per router from what the configuration says.
//!
//! A list entry is either a plain command (for every router) or `{command: …, applies: …}`.

use crate::ios::tunnel::IkeVersion;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::fmt;

/// The IKE version a step is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ike {
    V1,
    V2,
}

impl Ike {
    pub fn of(v: IkeVersion) -> Ike {
        match v {
            IkeVersion::V1 => Ike::V1,
            IkeVersion::V2 => Ike::V2,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Ike::V1 => "IKEv1",
            Ike::V2 => "IKEv2",
        }
    }
}

/// How a router protects the tunnel's traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Style {
    /// A crypto map entry on the outside interface (policy-based).
    CryptoMap,
    /// A tunnel interface with `tunnel protection ipsec profile` (route-based).
    Vti,
}

impl Style {
    pub fn as_str(self) -> &'static str {
        match self {
            Style::CryptoMap => "crypto map",
            Style::Vti => "VTI",
        }
    }
}

/// The routers a step or command is for; an absent field does not constrain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Applies {
    pub ike: Option<Ike>,
    pub style: Option<Style>,
}

impl Applies {
    pub fn any(&self) -> bool {
        self.ike.is_none() && self.style.is_none()
    }

    /// Whether a router speaking `ike` with `style` toward its peer gets it.
    pub fn holds(&self, ike: Ike, style: Style) -> bool {
        self.ike.is_none_or(|i| i == ike) && self.style.is_none_or(|s| s == style)
    }

    /// `IKEv2 routers`, `VTI routers`, `IKEv2 VTI routers`.
    pub fn describe(&self) -> String {
        let words: Vec<&str> = [self.ike.map(Ike::as_str), self.style.map(Style::as_str)]
            .into_iter()
            .flatten()
            .collect();
        if words.is_empty() {
            "every router".into()
        } else {
            format!("{} routers", words.join(" "))
        }
    }
}

/// One command of a list, with the routers it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scoped {
    pub command: String,
    pub applies: Applies,
}

impl Scoped {
    pub fn plain(command: &str) -> Scoped {
        Scoped {
            command: command.to_string(),
            applies: Applies::default(),
        }
    }
}

/// A list entry as written: `show udp`, or `{command: debug crypto ikev2, applies: {ike: v2}}`.
/// Written by hand so that a mistake is named (`comand`, a missing `command`) rather than
/// "did not match any variant".
impl<'de> Deserialize<'de> for Scoped {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scoped, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scoped;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a command, or `command:` with `applies:`")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scoped, E> {
                Ok(Scoped::plain(v))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scoped, A::Error> {
                let mut command = None;
                let mut applies = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "command" => command = Some(map.next_value::<String>()?),
                        "applies" => applies = Some(map.next_value::<Applies>()?),
                        other => {
                            return Err(de::Error::unknown_field(other, &["command", "applies"]));
                        }
                    }
                }
                Ok(Scoped {
                    command: command.ok_or_else(|| de::Error::missing_field("command"))?,
                    applies: applies.unwrap_or_default(),
                })
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_constrains_only_what_it_names() {
        let v2 = Applies {
            ike: Some(Ike::V2),
            style: None,
        };
        assert!(v2.holds(Ike::V2, Style::Vti));
        assert!(v2.holds(Ike::V2, Style::CryptoMap));
        assert!(!v2.holds(Ike::V1, Style::Vti));
        let vti = Applies {
            ike: None,
            style: Some(Style::Vti),
        };
        assert!(vti.holds(Ike::V1, Style::Vti));
        assert!(!vti.holds(Ike::V2, Style::CryptoMap));
        assert!(Applies::default().holds(Ike::V1, Style::CryptoMap));
        assert_eq!(vti.describe(), "VTI routers");
    }
}
