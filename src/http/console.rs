//! Consoles: the console window (`GET /vps/{id}/console?kind=serial|vnc`, a small static page
//! that loads xterm.js or noVNC) and the socket it opens (`GET /api/v1/console?ticket=`), which
//! redeems a single-use ticket and carries bytes between the browser and the VPS: the libvirt
//! serial console stream, or the VNC server on the host's 127.0.0.1.

use app::state::{CspNonce, ServerState};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use pier_core::compute::console::{ConsoleKind, ConsoleTarget};
use pier_core::compute::Compute;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Keystrokes and pastes are small; a paste of a long script is still well under this.
const MAX_INPUT: usize = 256 * 1024;

/// The console window. Static except for the script nonce; the ticket request it makes is
/// where authorization happens. Its policy allows inline styles (xterm.js writes its own) and
/// framing by the panel itself.
pub async fn page(Extension(nonce): Extension<CspNonce>) -> Response {
    let html = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Console · Pier</title>
<link rel="stylesheet" href="/vendor/xterm/xterm.css"><link rel="stylesheet" href="/console.css">
</head><body>
<header class="bar"><strong id="title">Console</strong><span id="status" role="status">Connecting…</span>
<button type="button" id="type">Type text…</button><button type="button" id="cad" hidden>Ctrl+Alt+Del</button>
<button type="button" id="reconnect">Reconnect</button></header>
<main id="screen"></main>
<dialog id="type-dialog"><form id="type-form" method="dialog">
<label for="type-text">Text to type into the console (from your clipboard when the browser allows)</label>
<textarea id="type-text" spellcheck="false"></textarea>
<menu><button value="cancel">Cancel</button><button value="send" id="type-send">Type it</button></menu>
</form></dialog>
<script type="module" nonce="{nonce}">
// A browser on the hypervisor itself sees every new VM's network interface as a "network change"
// and drops loads in flight (net::ERR_NETWORK_CHANGED). A failed module load cannot be retried
// in the same document, so reload the page a few times before giving up in words.
import('/console.js').catch((e) => {{
  const url = new URL(location.href);
  const tries = Number(url.searchParams.get('tries') || 0);
  const status = document.getElementById('status');
  if (tries < 3) {{
    status.textContent = 'Loading the console again…';
    url.searchParams.set('tries', String(tries + 1));
    setTimeout(() => location.replace(url), 500 * (tries + 1));
  }} else {{
    status.textContent = `The console could not load (${{e.message}}). Reload the page.`;
    status.dataset.state = 'error';
  }}
}});
</script>
</body></html>"#,
        nonce = nonce.0
    );
    super::page::standalone(html, &nonce, true)
}

#[derive(serde::Deserialize)]
pub struct TicketQuery {
    ticket: String,
}

pub async fn upgrade(
    ws: WebSocketUpgrade,
    State(s): State<ServerState>,
    super::auth::Signed(actor, _): super::auth::Signed,
    Query(q): Query<TicketQuery>,
) -> Response {
    let Some(target) = s.core.compute.redeem_console_ticket(&actor, &q.ticket) else {
        return (StatusCode::FORBIDDEN, "This console ticket is unknown, used or expired; open the console again.").into_response();
    };
    let compute = s.core.compute.clone();
    ws.protocols(["binary"]).max_message_size(MAX_INPUT).on_upgrade(move |socket| async move {
        match target.kind {
            ConsoleKind::Serial => serial(socket, compute, target).await,
            ConsoleKind::Vnc => vnc(socket, compute, target).await,
        }
    })
}

async fn close(mut socket: WebSocket, reason: String) {
    // Close reasons are limited to 123 bytes.
    let reason: String = reason.chars().take(120).collect();
    let _ = socket.send(Message::Close(Some(CloseFrame { code: 1000, reason: reason.into() }))).await;
}

/// The serial console: a blocking libvirt stream pump on its own thread, bytes both ways.
async fn serial(mut socket: WebSocket, compute: Compute, target: ConsoleTarget) {
    let (in_tx, in_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let (out_tx, mut out_rx) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
    let pump = {
        let (compute, target) = (compute.clone(), target.clone());
        tokio::task::spawn_blocking(move || compute.pump_serial(&target, in_rx, move |bytes| out_tx.send(bytes).is_ok()))
    };
    loop {
        tokio::select! {
            out = out_rx.recv() => match out {
                Some(bytes) => if socket.send(Message::Binary(bytes.into())).await.is_err() { break },
                None => break, // the pump ended
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Binary(b))) => { let _ = in_tx.send(b.to_vec()); }
                Some(Ok(Message::Text(t))) => { let _ = in_tx.send(t.as_bytes().to_vec()); }
                Some(Ok(_)) => {}
                _ => break,
            },
        }
    }
    drop(in_tx); // tells the pump to hang up
    let why = match pump.await {
        Ok(Ok(pier_core::compute::console::ConsoleEnd::Closed)) => "the VPS's console closed (it stopped?)".to_string(),
        Ok(Ok(pier_core::compute::console::ConsoleEnd::Failed(m))) => format!("console stream failed: {m}"),
        Ok(Ok(pier_core::compute::console::ConsoleEnd::HungUp)) => "closed".to_string(),
        Ok(Err(e)) => e.to_string(),
        Err(e) => format!("console crashed: {e}"),
    };
    tracing::info!(vps = target.vps_id, why = %why, "serial console ended");
    close(socket, why).await;
}

/// The graphical console: the RFB stream of QEMU's VNC server on its host's loopback (through
/// an ssh tunnel for a remote host).
async fn vnc(mut socket: WebSocket, compute: Compute, target: ConsoleTarget) {
    let mut display = match compute.open_display(&target).await {
        Ok(d) => d,
        Err(e) => return close(socket, pier_proto::ApiError::from(e).message).await,
    };
    let mut buf = vec![0u8; 64 * 1024];
    let mut seen = false;
    loop {
        tokio::select! {
            n = display.reader.read(&mut buf) => match n {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    seen = true;
                    if socket.send(Message::Binary(buf[..n].to_vec().into())).await.is_err() { break }
                }
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Binary(b))) => if display.writer.write_all(&b).await.is_err() { break },
                Some(Ok(_)) => {}
                _ => break,
            },
        }
    }
    let why = match display.close().await {
        // A tunnel that never carried a byte failed to open: ssh says why.
        Some(ssh) if !seen => format!("the tunnel to the VPS's host failed: {ssh}"),
        _ => "the display closed".to_string(),
    };
    tracing::info!(vps = target.vps_id, why = %why, "graphical console ended");
    close(socket, why).await;
}
