//! `--serve ADDR`: the latest cycle's metrics over HTTP, for Prometheus to scrape.
//!
//! - `GET /metrics`: OpenMetrics when the scraper asks for it (Prometheus does), else the
//!   Prometheus text format 0.0.4; 503 until the first cycle has finished.
//! - `GET /`: a liveness answer saying when the last cycle ran.
//!
//! The exporter only serves text rendered elsewhere (`crate::report::health`), so each scrape
//! costs a copy, never a router login: cycles run on their own schedule.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;
use tokio::net::TcpListener;

pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// One cycle's metrics in both formats.
#[derive(Debug, Clone)]
pub struct Exposition {
    pub cycle: u64,
    pub finished: SystemTime,
    pub openmetrics: String,
    pub text: String,
}

/// What the server hands out; the scheduler replaces it after each cycle.
#[derive(Debug, Clone, Default)]
pub struct Latest(Arc<RwLock<Option<Arc<Exposition>>>>);

impl Latest {
    pub fn publish(&self, e: Exposition) {
        if let Ok(mut slot) = self.0.write() {
            *slot = Some(Arc::new(e));
        }
    }

    fn get(&self) -> Option<Arc<Exposition>> {
        self.0.read().ok().and_then(|s| s.clone())
    }
}

/// `0.0.0.0:9742`, `127.0.0.1:9742`, or `:9742` for every address.
pub fn parse_addr(s: &str) -> Result<SocketAddr, String> {
    let full = if s.starts_with(':') {
        format!("0.0.0.0{s}")
    } else {
        s.to_string()
    };
    full.parse()
        .map_err(|_| format!("--serve {s:?}: expected ADDRESS:PORT or :PORT, e.g. :9742"))
}

/// Binds `addr` now, so a taken port fails before the first cycle runs.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| format!("--serve {addr}: cannot listen: {e}"))
}

/// Serves until `stop` resolves.
pub async fn serve(
    listener: TcpListener,
    latest: Latest,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/", get(root))
        .with_state(latest);
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
}

async fn metrics(State(latest): State<Latest>, headers: HeaderMap) -> Response {
    let Some(e) = latest.get() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the first health cycle has not finished yet\n",
        )
            .into_response();
    };
    let wants_openmetrics = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/openmetrics-text"));
    let (body, kind) = if wants_openmetrics {
        (e.openmetrics.clone(), OPENMETRICS_CONTENT_TYPE)
    } else {
        (e.text.clone(), TEXT_CONTENT_TYPE)
    };
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(kind))],
        body,
    )
        .into_response()
}

async fn root(State(latest): State<Latest>) -> Response {
    let last = match latest.get() {
        Some(e) => {
            let age = SystemTime::now()
                .duration_since(e.finished)
                .map_or(0.0, |d| d.as_secs_f64());
            format!(
                "last cycle: {} finished {} ({age:.0} s ago)\n",
                e.cycle,
                super::rfc3339(e.finished)
            )
        }
        None => "no cycle finished yet\n".to_string(),
    };
    (
        StatusCode::OK,
        format!("ipsec-doctor health exporter\n{last}metrics: /metrics\n"),
    )
        .into_response()
}
