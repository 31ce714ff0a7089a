//! Container logs in the browser: a page of its own (`/containers/{id}/logs`, plain JS so a
//! container writing thousands of lines a second cannot freeze the app), a WebSocket that
//! streams them in batches, and a plain-text download. Who may read: the owner and staff.

use super::auth::Signed;
use super::rest::{RestError, RestResult};
use app::state::{CspNonce, ServerState};
use axum::body::Body;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures::StreamExt;
use pier_docker::logs::{LogChunk, LogRequest, LogStream};
use pier_proto::ApiError;
use std::time::Duration;

/// Lines are sent at most this often (one message per batch, not per line).
const BATCH_EVERY: Duration = Duration::from_millis(100);
/// A batch is sent early when it grows past this.
const BATCH_BYTES: usize = 256 * 1024;

#[derive(serde::Deserialize)]
pub struct LogQuery {
    /// Last N lines first (default 500; 0 = none, only what comes next).
    tail: Option<u32>,
    #[serde(default)]
    timestamps: bool,
    /// Unix seconds: only what was written from then on ("clear").
    since: Option<i64>,
    #[serde(default = "yes")]
    follow: bool,
}

fn yes() -> bool {
    true
}

impl LogQuery {
    fn request(&self, follow: bool) -> LogRequest {
        LogRequest { follow, tail: Some(self.tail.unwrap_or(500).min(100_000)), timestamps: self.timestamps, since: self.since }
    }
}

pub async fn page(Extension(nonce): Extension<CspNonce>) -> Response {
    let html = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Logs · Pier</title><link rel="stylesheet" href="/logs.css"></head><body>
<header class="bar">
<a href="/containers" id="back">← Containers</a><strong id="title">Logs</strong><span id="status" role="status">Connecting…</span>
<label>Last <input id="tail" type="number" min="0" max="100000" value="500"> lines</label>
<label><input id="timestamps" type="checkbox"> Timestamps</label>
<button type="button" id="pause">Pause</button><button type="button" id="clear">Clear</button>
<input id="search" type="search" placeholder="Search in view" aria-label="Search in the log view">
<a id="download" href="">Download</a>
</header>
<main id="log" role="log" aria-live="off" tabindex="0"></main>
<script type="module" nonce="{nonce}" src="/logs.js"></script>
</body></html>"#,
        nonce = nonce.0
    );
    super::page::standalone(html, &nonce, false)
}

/// The wire form of a batch: `{"lines":[["o","text"],["e","text"]]}` (o = stdout, e = stderr).
fn batch_json(batch: &[LogChunk]) -> String {
    let lines: Vec<(&str, &str)> = batch.iter().map(|c| (if c.stream == LogStream::Stderr { "e" } else { "o" }, c.text.as_str())).collect();
    serde_json::json!({ "lines": lines }).to_string()
}

pub async fn stream(
    State(s): State<ServerState>,
    Signed(actor, _): Signed,
    Path(id): Path<String>,
    Query(q): Query<LogQuery>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> RestResult<Response> {
    // Who may read is decided before anything else, also for a request that is not an upgrade.
    let (engine, view) = s.core.containers.log_source(&actor, &id).await?;
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    let request = q.request(q.follow);
    Ok(ws.on_upgrade(move |socket| pump(socket, engine, view.id, request)))
}

async fn pump(mut socket: WebSocket, engine: pier_docker::Engine, id: String, request: LogRequest) {
    let logs = engine.logs(&id, request);
    tokio::pin!(logs);
    let mut batch: Vec<LogChunk> = Vec::new();
    let mut size = 0usize;
    let mut tick = tokio::time::interval(BATCH_EVERY);
    loop {
        tokio::select! {
            chunk = logs.next() => match chunk {
                Some(Ok(c)) => {
                    size += c.text.len();
                    batch.push(c);
                    if size >= BATCH_BYTES {
                        if socket.send(Message::Text(batch_json(&batch).into())).await.is_err() { return }
                        batch.clear();
                        size = 0;
                    }
                }
                Some(Err(e)) => {
                    let _ = socket.send(Message::Text(serde_json::json!({ "error": e.to_string() }).to_string().into())).await;
                    break;
                }
                None => break, // the container stopped (or not following)
            },
            _ = tick.tick() => if !batch.is_empty() {
                if socket.send(Message::Text(batch_json(&batch).into())).await.is_err() { return }
                batch.clear();
                size = 0;
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                _ => {}
            },
        }
    }
    if !batch.is_empty() {
        let _ = socket.send(Message::Text(batch_json(&batch).into())).await;
    }
    let _ = socket.send(Message::Text(serde_json::json!({ "end": true }).to_string().into())).await;
    let _ = socket.send(Message::Close(None)).await;
}

/// The whole log as a text file (stderr lines too; with `timestamps`, each line dated).
pub async fn download(State(s): State<ServerState>, Signed(actor, _): Signed, Path(id): Path<String>, Query(q): Query<LogQuery>) -> RestResult<Response> {
    let (engine, view) = s.core.containers.log_source(&actor, &id).await?;
    let mut request = q.request(false);
    request.tail = q.tail; // default: everything
    let body = Body::from_stream(engine.logs(&view.id, request).map(|c| c.map(|c| c.text).map_err(std::io::Error::other)));
    let mut res = body.into_response();
    let name = format!("{}-logs.txt", view.name);
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).map_err(|_| RestError(ApiError::invalid("id", "unusable name")))?;
    res.headers_mut().insert(header::CONTENT_DISPOSITION, disposition);
    Ok(res)
}
