//! `GET /api/v1/live`: the live-events WebSocket. One per browser tab; the client subscribes to
//! topics and receives only events on those topics that its actor may see (`policy`).

use app::state::ServerState;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use pier_core::actor::{policy, Actor};
use pier_core::events::EventBus;
use pier_proto::live::{ClientMsg, ServerMsg, Topic};
use std::collections::BTreeSet;
use tokio::sync::broadcast::error::RecvError;

/// Topics one socket may follow at once.
const MAX_TOPICS: usize = 256;
/// Client messages are small commands.
const MAX_MESSAGE: usize = 64 * 1024;

pub async fn upgrade(
    ws: WebSocketUpgrade,
    State(s): State<ServerState>,
    super::auth::Signed(actor, _): super::auth::Signed,
    axum::Extension(metrics): axum::Extension<std::sync::Arc<super::Metrics>>,
) -> Response {
    // Signed: only a signed-in actor gets a socket; guard::same_origin refuses cross-site upgrades.
    let bus = s.core.bus.clone();
    ws.max_message_size(MAX_MESSAGE).on_upgrade(move |socket| async move {
        metrics.live_connections.inc();
        session(socket, bus, actor).await;
        metrics.live_connections.dec();
    })
}

async fn send(socket: &mut WebSocket, msg: &ServerMsg) -> bool {
    match serde_json::to_string(msg) {
        Ok(text) => socket.send(Message::Text(text.into())).await.is_ok(),
        Err(_) => true,
    }
}

async fn session(mut socket: WebSocket, bus: EventBus, actor: Actor) {
    // Subscribe to the bus before saying hello, so no event between the two is missed.
    let mut events = bus.subscribe();
    let mut topics: BTreeSet<Topic> = BTreeSet::new();
    if !send(&mut socket, &ServerMsg::Hello { actor: actor.display() }).await {
        return;
    }
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue, // ping/pong handled by axum; binary ignored
                };
                let reply = handle(&actor, &mut topics, &text);
                for msg in reply {
                    if !send(&mut socket, &msg).await {
                        return;
                    }
                }
            }
            event = events.recv() => match event {
                Ok(ev) => {
                    if topics.contains(&ev.topic) && policy::may_see(&actor, &ev.audience) {
                        let msg = ServerMsg::Event { topic: ev.topic, data: (*ev.data).clone() };
                        if !send(&mut socket, &msg).await {
                            return;
                        }
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "live socket fell behind; asking the client to resync");
                    let msg = ServerMsg::Resync { topics: topics.iter().cloned().collect() };
                    if !send(&mut socket, &msg).await {
                        return;
                    }
                }
                Err(RecvError::Closed) => break,
            }
        }
    }
}

/// Applies one client message to the subscription set and returns the replies.
fn handle(actor: &Actor, topics: &mut BTreeSet<Topic>, text: &str) -> Vec<ServerMsg> {
    let msg = match serde_json::from_str::<ClientMsg>(text) {
        Ok(m) => m,
        Err(e) => return vec![ServerMsg::Error { message: format!("unreadable message: {e}") }],
    };
    match msg {
        ClientMsg::Ping => vec![ServerMsg::Pong],
        ClientMsg::Unsubscribe { topics: gone } => {
            for t in &gone {
                topics.remove(t);
            }
            Vec::new()
        }
        ClientMsg::Subscribe { topics: wanted } => {
            let mut replies = Vec::new();
            let mut accepted = Vec::new();
            for topic in wanted {
                if topics.len() >= MAX_TOPICS && !topics.contains(&topic) {
                    replies.push(ServerMsg::Denied { topic, reason: format!("at most {MAX_TOPICS} topics per connection") });
                    continue;
                }
                match policy::may_subscribe(actor, &topic) {
                    Ok(()) => {
                        topics.insert(topic.clone());
                        accepted.push(topic);
                    }
                    Err(reason) => replies.push(ServerMsg::Denied { topic, reason }),
                }
            }
            replies.insert(0, ServerMsg::Subscribed { topics: accepted });
            replies
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pier_core::actor::Role;

    #[test]
    fn subscriptions_are_filtered_by_policy() {
        let user = Actor::Person { user_id: 5, username: "u".into(), role: Role::User };
        let mut topics = BTreeSet::new();
        let replies = handle(&user, &mut topics, r#"{"op":"subscribe","topics":["jobs","host:1"]}"#);
        assert_eq!(replies[0], ServerMsg::Subscribed { topics: vec![Topic::jobs()] });
        assert!(matches!(&replies[1], ServerMsg::Denied { topic, .. } if topic.as_str() == "host:1"));
        assert!(topics.contains(&Topic::jobs()));
        handle(&user, &mut topics, r#"{"op":"unsubscribe","topics":["jobs"]}"#);
        assert!(topics.is_empty());
        assert!(matches!(handle(&user, &mut topics, "not json")[0], ServerMsg::Error { .. }));
    }
}
