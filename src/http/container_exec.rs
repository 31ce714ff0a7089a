//! The container terminal: a page of its own (`/containers/{id}/terminal`, xterm.js with a shell
//! chooser) and a WebSocket to `docker exec` with a TTY. Binary frames carry the terminal's
//! bytes both ways; a text frame `{"resize":[cols,rows]}` resizes. Owner or admin, browser
//! session only; start and end are audited.

use super::auth::Signed;
use super::rest::{RestError, RestResult};
use app::state::{CspNonce, ServerState};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures::StreamExt;
use pier_proto::containers::ContainerView;
use pier_proto::ApiError;
use tokio::io::AsyncWriteExt;

pub async fn page(Extension(nonce): Extension<CspNonce>) -> Response {
    let html = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Terminal · Pier</title>
<link rel="stylesheet" href="/vendor/xterm/xterm.css"><link rel="stylesheet" href="/console.css">
</head><body>
<header class="bar"><a href="/containers">← Containers</a><strong id="title">Terminal</strong><span id="status" role="status">Not connected</span>
<label for="shell">Shell</label><select id="shell"><option value="sh">sh</option><option value="bash">bash</option><option value="custom">Custom command…</option></select>
<input id="custom" type="text" placeholder="command and arguments, space separated" aria-label="Custom command" hidden>
<button type="button" id="open">Open</button></header>
<main id="screen"></main>
<script type="module" nonce="{nonce}" src="/exec.js"></script>
</body></html>"#,
        nonce = nonce.0
    );
    super::page::standalone(html, &nonce, true)
}

#[derive(serde::Deserialize)]
pub struct ExecQuery {
    /// The command as a JSON array of arguments (`["sh"]`, `["bash","-l"]`).
    cmd: String,
    cols: Option<u16>,
    rows: Option<u16>,
}

pub async fn upgrade(
    State(s): State<ServerState>,
    Signed(actor, ctx): Signed,
    Path(id): Path<String>,
    Query(q): Query<ExecQuery>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> RestResult<Response> {
    let command: Vec<String> = serde_json::from_str(&q.cmd).map_err(|_| RestError(ApiError::invalid("cmd", "cmd is a JSON array of arguments.")))?;
    let (engine, view) = s.core.containers.exec_target(&actor, &id, &command, &ctx).await?;
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    let size = q.cols.zip(q.rows);
    let core = s.core.clone();
    Ok(ws.protocols(["binary"]).on_upgrade(move |socket| async move {
        let code = pump(socket, &engine, &view, command, size).await;
        core.containers.exec_ended(&actor, &view, code, &ctx).await;
    }))
}

#[derive(serde::Deserialize)]
struct Control {
    resize: Option<(u16, u16)>,
}

/// Moves bytes until either side ends; returns the command's exit code when known.
async fn pump(mut socket: WebSocket, engine: &pier_docker::Engine, view: &ContainerView, command: Vec<String>, size: Option<(u16, u16)>) -> Option<i64> {
    let mut session = match engine.exec(&view.id, command, true, size).await {
        Ok(s) => s,
        Err(e) => {
            let reason: String = e.to_string().chars().take(120).collect();
            let _ = socket.send(Message::Close(Some(CloseFrame { code: 1011, reason: reason.into() }))).await;
            return None;
        }
    };
    loop {
        tokio::select! {
            out = session.output.next() => match out {
                Some(Ok(bytes)) if !bytes.is_empty() => if socket.send(Message::Binary(bytes.into())).await.is_err() { break },
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Binary(b))) => if session.input.write_all(&b).await.is_err() { break },
                Some(Ok(Message::Text(t))) => {
                    if let Ok(Control { resize: Some((cols, rows)) }) = serde_json::from_str::<Control>(&t) {
                        let _ = engine.resize_exec(&session.exec_id, cols.clamp(10, 500), rows.clamp(5, 300)).await;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                    // The person closed the tab: end the shell (EOF, then Ctrl-D for good measure).
                    let _ = session.input.write_all(b"\x04").await;
                    let _ = session.input.shutdown().await;
                    return engine.exec_exit_code(&session.exec_id).await.ok().flatten();
                }
                Some(Ok(_)) => {}
            },
        }
    }
    let code = engine.exec_exit_code(&session.exec_id).await.ok().flatten();
    let reason = match code {
        Some(c) => format!("the command ended (exit code {c})"),
        None => "the command ended".to_string(),
    };
    let _ = socket.send(Message::Close(Some(CloseFrame { code: 1000, reason: reason.into() }))).await;
    code
}
