//! A fleet: many tunnels in one process, each a copy of a scenario with hostnames of its own
//! (`t0001-r1`, `t0001-r2`, …), its own virtual wire and SA tables, on consecutive ports.
//! It is what scale tests, benchmarks and `ipsec-doctor lab --fleet N` run.
//!
//! A thousand routers must fit in a small process, so copies share what does not change:
//! each scenario's configs are parsed once and the parsed model is shared by every copy (only
//! the routing view, which faults edit, is per router), all routers read one lab clock, and
//! host keys are derived from a hash of scenario and router name instead of being generated.
//! What a copy owns is what a real router owns: its running-config text (its own `hostname`
//! line, so `show running-config` agrees with the prompt), debug flags, log bus and SAs.

use super::clock::{ClockError, LabClock};
use super::ike::net::{Net, Node};
use super::ike::{IkeModel, build_net};
use super::model::RouterModel;
use super::router::Router;
use super::scenario::{Scenario, TunnelSpec};
use super::{Lab, LabError, LabHandle, LabOptions};
use std::future::Future;
use std::sync::Arc;
use std::time::SystemTime;

/// Name of the lab as a whole; each router still carries its own scenario's name.
const FLEET_NAME: &str = "fleet";
/// Tunnel numbers are zero-padded to at least this many digits, so names sort in order.
const MIN_NUMBER_WIDTH: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("a fleet needs at least one tunnel")]
    NoTunnels,
    #[error("a fleet needs at least one scenario to copy")]
    NoScenario,
    #[error("scenario {scenario}: {source:#}")]
    Template {
        scenario: String,
        source: anyhow::Error,
    },
    #[error(transparent)]
    Clock(#[from] ClockError),
    #[error(transparent)]
    Lab(#[from] LabError),
}

/// One tunnel of a running fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetTunnel {
    /// `t0001`; the inventory's tunnel name.
    pub name: String,
    /// The scenario it is a copy of.
    pub scenario: String,
    /// The finding its diagnosis must give (the scenario's `expect`).
    pub expect: Option<String>,
    /// Its routers' names, in the scenario's order (`t0001-r1`, `t0001-r2`).
    pub routers: Vec<String>,
}

/// Entry point: `Fleet::start(...)`.
pub struct Fleet;

impl Fleet {
    /// Starts `tunnels` copies of `templates`, cycling through them (tunnel k copies template
    /// k mod len). With `options.base_port` P and two-router scenarios, tunnel k's routers
    /// listen on P+2k and P+2k+1. A router's fixed `ssh_port` in lab.yaml is ignored: every
    /// copy would want it. Stops like [`Lab::start`].
    pub async fn start(
        templates: &[Scenario],
        tunnels: usize,
        options: LabOptions,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<FleetHandle, FleetError> {
        if tunnels == 0 {
            return Err(FleetError::NoTunnels);
        }
        if templates.is_empty() {
            return Err(FleetError::NoScenario);
        }
        let clock = LabClock::new(
            options.speed,
            options.start_time.unwrap_or_else(SystemTime::now),
        )?;
        // Parsed once here; every config error surfaces before a port is bound.
        let parsed = templates
            .iter()
            .map(|s| Template::new(s, &clock))
            .collect::<Result<Vec<_>, _>>()?;
        let width = number_width(tunnels);
        let routers_per_copy: usize = (0..tunnels)
            .map(|k| parsed[k % parsed.len()].scenario.routers.len())
            .sum();
        let mut routers = Vec::with_capacity(routers_per_copy);
        let mut models: Vec<Arc<dyn RouterModel>> = Vec::with_capacity(routers_per_copy);
        let mut specs = Vec::with_capacity(tunnels);
        let mut fleet = Vec::with_capacity(tunnels);
        let mut nets = Vec::with_capacity(tunnels);
        for k in 0..tunnels {
            let template = &parsed[k % parsed.len()];
            let prefix = format!("t{:0width$}", k + 1);
            let copy = template.copy(&prefix, &clock);
            for node in 0..copy.routers.len() {
                models.push(Arc::new(IkeModel {
                    net: copy.net.clone(),
                    node,
                }));
            }
            fleet.push(FleetTunnel {
                name: prefix.clone(),
                scenario: template.scenario.name.clone(),
                expect: template.scenario.expect.clone(),
                routers: copy.routers.iter().map(|r| r.name().to_string()).collect(),
            });
            specs.extend(copy.tunnels);
            routers.extend(copy.routers);
            nets.push(copy.net);
        }
        let lab = Lab::serve(
            FLEET_NAME.to_string(),
            routers,
            models,
            specs,
            &options,
            shutdown,
        )?;
        Ok(FleetHandle {
            lab,
            tunnels: fleet,
            nets,
        })
    }
}

/// A running fleet: the lab (endpoints, inventory, known_hosts, stop) and what each tunnel is.
pub struct FleetHandle {
    lab: LabHandle,
    tunnels: Vec<FleetTunnel>,
    /// Each tunnel's wire and SA tables.
    nets: Vec<Arc<Net>>,
}

impl FleetHandle {
    pub fn lab(&self) -> &LabHandle {
        &self.lab
    }

    pub fn tunnels(&self) -> &[FleetTunnel] {
        &self.tunnels
    }

    /// Each tunnel's network (its SA tables), in the order of [`FleetHandle::tunnels`]: tests
    /// wait on them for users' traffic to have brought tunnels up.
    pub fn nets(&self) -> &[Arc<Net>] {
        &self.nets
    }

    /// Users' traffic across every tunnel, both ways, one echo per `every` of lab time, until
    /// the fleet stops (see [`super::traffic`]).
    pub fn start_traffic(&self, every: std::time::Duration) {
        for net in &self.nets {
            let flows = super::traffic::flows(net);
            super::traffic::start(net.clone(), flows, every, self.lab.stopping());
        }
    }

    /// The lab alone, once the tunnels' descriptions are no longer needed.
    pub fn into_lab(self) -> LabHandle {
        self.lab
    }

    /// Stops accepting, disconnects every session and returns when all have ended.
    pub async fn stop(self) {
        self.lab.stop().await;
    }

    /// Waits until the fleet has stopped and every session ended.
    pub async fn wait(self) {
        self.lab.wait().await;
    }
}

/// One scenario prepared for copying: its configs parsed and its wire worked out once.
struct Template<'a> {
    scenario: &'a Scenario,
    /// Built over throwaway routers; only its nodes' configs and fault views are reused.
    net: Arc<Net>,
}

/// One copy's routers, wire and tunnel entries.
struct Copy {
    routers: Vec<Arc<Router>>,
    net: Arc<Net>,
    tunnels: Vec<TunnelSpec>,
}

impl<'a> Template<'a> {
    fn new(scenario: &'a Scenario, clock: &LabClock) -> Result<Template<'a>, FleetError> {
        let routers: Vec<Arc<Router>> = scenario
            .routers
            .iter()
            .map(|spec| Arc::new(Router::new(&scenario.name, spec.clone(), clock.clone())))
            .collect();
        let net = build_net(&routers).map_err(|source| FleetError::Template {
            scenario: scenario.name.clone(),
            source,
        })?;
        Ok(Template { scenario, net })
    }

    fn copy(&self, prefix: &str, clock: &LabClock) -> Copy {
        let rename = |name: &str| format!("{prefix}-{}", name.to_ascii_lowercase());
        let routers: Vec<Arc<Router>> = self
            .scenario
            .routers
            .iter()
            .map(|spec| {
                let mut spec = spec.clone();
                let name = rename(&spec.name);
                spec.config = with_hostname(&spec.config, &spec.name, &name);
                spec.name = name;
                spec.ssh_port = None;
                Arc::new(Router::new(&self.scenario.name, spec, clock.clone()))
            })
            .collect();
        let nodes = self
            .net
            .nodes
            .iter()
            .zip(&routers)
            .map(|(node, router)| {
                router.config.seed(node.cfg());
                Node::new(
                    router.clone(),
                    node.faults.clone(),
                    node.link_down.clone(),
                    node.withdrawn.clone(),
                )
            })
            .collect();
        let net = Arc::new(Net::new(nodes, clock.clone(), seed(prefix)));
        let single = self.scenario.tunnels.len() == 1;
        let tunnels = self
            .scenario
            .tunnels
            .iter()
            .map(|t| TunnelSpec {
                name: if single {
                    prefix.to_string()
                } else {
                    rename(&t.name)
                },
                a: rename(&t.a),
                b: rename(&t.b),
            })
            .collect();
        Copy {
            routers,
            net,
            tunnels,
        }
    }
}

/// The config with its `hostname OLD` line naming the copy instead, so `show running-config`
/// and `show version` agree with the prompt. Other lines, line endings included, are kept.
fn with_hostname(config: &str, old: &str, new: &str) -> String {
    let wanted = format!("hostname {old}");
    config
        .split_inclusive('\n')
        .map(|line| {
            let body = line.trim_end_matches(['\r', '\n']);
            if body == wanted {
                format!("hostname {new}{}", &line[body.len()..])
            } else {
                line.to_string()
            }
        })
        .collect()
}

fn number_width(tunnels: usize) -> usize {
    tunnels.to_string().len().max(MIN_NUMBER_WIDTH)
}

/// SPIs and cookies differ per tunnel, as they would between real boxes (FNV-1a of the name).
fn seed(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_hostname_line_changes() {
        let config = "!\r\nhostname R1\r\nip host R1 10.0.0.1\r\nhostname R10\r\n";
        assert_eq!(
            with_hostname(config, "R1", "t0001-r1"),
            "!\r\nhostname t0001-r1\r\nip host R1 10.0.0.1\r\nhostname R10\r\n"
        );
        assert_eq!(with_hostname("hostname R1", "R1", "x"), "hostname x");
        assert_eq!(with_hostname("", "R1", "x"), "");
    }

    #[test]
    fn numbers_are_padded_to_sort() {
        assert_eq!(number_width(5), 4);
        assert_eq!(number_width(9999), 4);
        assert_eq!(number_width(10000), 5);
    }

    #[tokio::test]
    async fn copies_cycle_through_templates_with_their_own_names_and_wires() {
        let templates = [
            Scenario::embedded("healthy").unwrap(),
            Scenario::embedded("psk-mismatch").unwrap(),
        ];
        let fleet = Fleet::start(&templates, 3, LabOptions::default(), std::future::pending())
            .await
            .unwrap();
        let scenarios: Vec<&str> = fleet
            .tunnels()
            .iter()
            .map(|t| t.scenario.as_str())
            .collect();
        assert_eq!(scenarios, ["healthy", "psk-mismatch", "healthy"]);
        assert_eq!(fleet.tunnels()[1].routers, ["t0002-r1", "t0002-r2"]);
        assert_eq!(
            fleet.tunnels()[1].expect.as_deref(),
            Some("P1_PSK_MISMATCH")
        );
        let lab = fleet.lab();
        assert_eq!(lab.routers().len(), 6);
        let names: Vec<&str> = lab.tunnels().iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["t0001", "t0002", "t0003"]);
        let r = lab.router_state("t0003-r2").unwrap();
        assert!(r.spec.config.contains("\nhostname t0003-r2"));
        assert_eq!(r.scenario, "healthy");
        // Same scenario, same original name, different copies: different keys.
        assert_ne!(
            lab.router("t0001-r1").unwrap().host_key,
            lab.router("t0003-r1").unwrap().host_key
        );
        tokio::time::timeout(std::time::Duration::from_secs(2), fleet.stop())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn an_empty_fleet_is_refused() {
        let healthy = [Scenario::embedded("healthy").unwrap()];
        let none = Fleet::start(&healthy, 0, LabOptions::default(), std::future::pending());
        assert!(matches!(none.await, Err(FleetError::NoTunnels)));
        let no_template = Fleet::start(&[], 1, LabOptions::default(), std::future::pending());
        assert!(matches!(no_template.await, Err(FleetError::NoScenario)));
    }
}
