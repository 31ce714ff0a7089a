//! Prometheus metrics at `GET /metrics`: HTTP requests and latency by route, live sockets, and
//! the job queue depth. Host, VPS and container gauges join with the monitoring work.

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms … ~4 s
    Histogram::new(exponential_buckets(0.0005, 2.0, 14))
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    pub live_connections: Gauge,
    jobs_queued: Gauge,
    /// The same requests for Pier's own history (monitoring's `pier` target).
    history: Arc<pier_core::monitoring::requests::RequestStats>,
}

impl Metrics {
    pub fn new(history: Arc<pier_core::monitoring::requests::RequestStats>) -> Self {
        let mut registry = Registry::with_prefix("pier");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram as fn() -> Histogram);
        let live_connections = Gauge::default();
        let jobs_queued = Gauge::default();
        registry.register("http_requests", "HTTP requests by method, route and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency", latency.clone());
        registry.register("live_connections", "Open live-event WebSockets", live_connections.clone());
        registry.register("jobs_queued", "Jobs waiting for a worker", jobs_queued.clone());
        Self { registry, requests, latency, live_connections, jobs_queued, history }
    }

    fn observe(&self, method: &str, route: String, status: u16, seconds: f64) {
        self.history.observe(status, seconds);
        self.requests
            .get_or_create(&RequestLabels { method: method.to_string(), route: route.clone(), status: status.to_string() })
            .inc();
        self.latency.get_or_create(&RouteLabels { method: method.to_string(), route }).observe(seconds);
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// A bounded label for a path: ids become `{id}`, static assets one route, unknown paths one
/// route, so an attacker cannot grow the metric set without limit.
pub fn route_label(path: &str, status: u16) -> String {
    if status == 404 {
        return "unmatched".into();
    }
    if path.starts_with("/pkg/") {
        return "/pkg/{file}".into();
    }
    let segments: Vec<&str> = path
        .split('/')
        .map(|s| if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) { "{id}" } else { s })
        .collect();
    let label = segments.join("/");
    if label.len() > 80 {
        "long".into()
    } else {
        label
    }
}

pub async fn track(axum::extract::State(metrics): axum::extract::State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16();
    metrics.observe(&method, route_label(&path, status), status, started.elapsed().as_secs_f64());
    res
}

/// `GET /metrics`: for a scraper on this machine (loopback) or with an administrator's API
/// token; anyone else is refused. The panel's own series, then the latest figures of the host,
/// VPSs, containers and sites from the monitoring collectors.
pub async fn scrape(Extension(metrics): Extension<Arc<Metrics>>, axum::extract::State(state): axum::extract::State<app::state::ServerState>, req: Request) -> Response {
    let loopback = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().is_some_and(|c| c.0.ip().is_loopback());
    let admin = req.extensions().get::<app::state::RequestAuth>().and_then(|a| a.actor()).is_some_and(|a| pier_core::actor::policy::may_manage_platform(&a));
    if !loopback && !admin {
        let body = pier_proto::ApiError::new(pier_proto::ErrorCode::Forbidden, "Metrics are for a scraper on this machine or an administrator's API token.");
        return (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
    }
    if let Ok(n) = state.core.jobs.queued_count().await {
        metrics.jobs_queued.set(n as i64);
    }
    let mut text = metrics.render();
    // The registry's text ends with "# EOF" (OpenMetrics); the gauges go before it.
    if let Some(at) = text.rfind("# EOF") {
        text.truncate(at);
    }
    text.push_str(&gauges(&state.core.monitoring.latest()));
    text.push_str("# EOF\n");
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
}

/// `pier_host{metric="cpu"} 12.5`, `pier_vps{vps="12",metric="cpu"} 3`, … — one gauge family
/// per kind of target, the metric name as a label.
fn gauges(latest: &[(String, i64, Vec<(String, f64)>)]) -> String {
    use std::fmt::Write;
    let label = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    let mut families: std::collections::BTreeMap<&str, String> = Default::default();
    for (target, _, values) in latest {
        let (family, id_label) = match target.split_once(':') {
            Some(("vps", id)) => ("vps", format!("vps=\"{}\",", label(id))),
            Some(("container", id)) => ("container", format!("container=\"{}\",", label(id))),
            Some(("site", name)) => ("site", format!("site=\"{}\",", label(name))),
            None if target == "host" => ("host", String::new()),
            None if target == "pier" => ("panel", String::new()),
            _ => continue,
        };
        let out = families.entry(family).or_default();
        for (metric, v) in values {
            let _ = writeln!(out, "pier_{family}{{{id_label}metric=\"{}\"}} {v}", label(metric));
        }
    }
    let mut text = String::new();
    for (family, lines) in families {
        let _ = writeln!(text, "# HELP pier_{family} Latest {family} figures from the monitoring collectors, by metric.\n# TYPE pier_{family} gauge");
        text.push_str(&lines);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_labels_are_bounded() {
        assert_eq!(route_label("/api/v1/jobs/123", 200), "/api/v1/jobs/{id}");
        assert_eq!(route_label("/pkg/pier.wasm", 200), "/pkg/{file}");
        assert_eq!(route_label("/no/such/page", 404), "unmatched");
        assert_eq!(route_label("/jobs", 200), "/jobs");
    }

    #[test]
    fn collector_figures_become_gauges() {
        let latest = vec![
            ("host".to_string(), 1, vec![("cpu".to_string(), 12.5), ("disk./.used_pct".to_string(), 40.0)]),
            ("vps:12".to_string(), 1, vec![("cpu".to_string(), 3.0)]),
            ("container:abc123".to_string(), 1, vec![("mem_used_bytes".to_string(), 1024.0)]),
        ];
        let text = gauges(&latest);
        for want in ["# TYPE pier_host gauge", "pier_host{metric=\"cpu\"} 12.5", "pier_host{metric=\"disk./.used_pct\"} 40", "pier_vps{vps=\"12\",metric=\"cpu\"} 3", "pier_container{container=\"abc123\",metric=\"mem_used_bytes\"} 1024"] {
            assert!(text.contains(want), "{want} in\n{text}");
        }
    }

    #[test]
    fn rendered_text_has_the_request_series() {
        let history = Arc::<pier_core::monitoring::requests::RequestStats>::default();
        let m = Metrics::new(history.clone());
        m.observe("GET", "/jobs".into(), 200, 0.002);
        assert!(history.take(std::time::Instant::now()).latency_p50_ms.is_some(), "counted for the history too");
        let text = m.render();
        assert!(text.contains("pier_http_requests_total{method=\"GET\",route=\"/jobs\",status=\"200\"} 1"), "{text}");
        assert!(text.contains("pier_http_request_duration_seconds_bucket"), "{text}");
    }
}
