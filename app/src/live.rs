//! The browser's end of the live-events socket: ONE WebSocket per tab, shared by every component
//! that follows a topic. It reconnects with backoff and re-subscribes; when the server says the
//! tab fell behind (`resync`), followers re-fetch their state.

use leptos::prelude::*;
use pier_proto::live::Topic;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveStatus {
    Connecting,
    Open,
    Closed,
}

impl LiveStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LiveStatus::Connecting => "connecting",
            LiveStatus::Open => "open",
            LiveStatus::Closed => "closed",
        }
    }
}

#[derive(Clone, Copy)]
pub struct LiveContext {
    pub status: RwSignal<LiveStatus>,
}

/// What a follower of a topic receives.
pub enum LiveMsg {
    Data(serde_json::Value),
    /// Events were dropped: fetch the current state again.
    Resync,
}

pub fn provide_live() {
    provide_context(LiveContext { status: RwSignal::new(LiveStatus::Connecting) });
}

/// Opens the tab's socket (once; later calls do nothing). Called by the shell when signed in.
#[cfg(feature = "hydrate")]
pub fn start() {
    client::start(use_live_status());
}

pub fn use_live_status() -> RwSignal<LiveStatus> {
    expect_context::<LiveContext>().status
}

/// Calls `f` for every event on `topic` while the calling component lives (in the browser; on
/// the server this does nothing).
pub fn use_live(topic: Topic, f: impl Fn(LiveMsg) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        let id = client::subscribe(topic, std::rc::Rc::new(f));
        on_cleanup(move || client::unsubscribe(id));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (topic, f);
}

/// Runs `then` once per burst of events on `topics`: the first event starts a `window`, and the
/// rest of the burst (a create followed by its start, an alert raised with its notification…)
/// rides along, so a page re-reads once instead of once per event.
pub fn use_live_burst(topics: impl IntoIterator<Item = Topic>, window: std::time::Duration, then: Callback<()>) {
    let pending = RwSignal::new(false);
    for topic in topics {
        use_live(topic, move |_| {
            if !pending.get_untracked() {
                pending.set(true);
                // The page may be gone by then (a link was followed): try_, not run.
                set_timeout(
                    move || {
                        pending.try_set(false);
                        let _ = then.try_run(());
                    },
                    window,
                );
            }
        });
    }
}

#[cfg(feature = "hydrate")]
mod client {
    use super::{LiveMsg, LiveStatus};
    use leptos::prelude::*;
    use pier_proto::live::{ClientMsg, ServerMsg, Topic};
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::time::Duration;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{MessageEvent, WebSocket};

    type Handler = Rc<dyn Fn(LiveMsg)>;

    struct State {
        ws: Option<WebSocket>,
        subs: Vec<(u64, Topic, Handler)>,
        next_id: u64,
        status: Option<RwSignal<LiveStatus>>,
        retry_ms: u32,
    }

    thread_local! {
        static STATE: RefCell<State> =
            RefCell::new(State { ws: None, subs: Vec::new(), next_id: 1, status: None, retry_ms: 500 });
    }

    pub fn start(status: RwSignal<LiveStatus>) {
        let first = STATE.with(|s| {
            let mut s = s.borrow_mut();
            let first = s.status.is_none();
            s.status = Some(status);
            first
        });
        if first {
            connect();
        }
    }

    fn set_status(st: LiveStatus) {
        if let Some(sig) = STATE.with(|s| s.borrow().status) {
            sig.set(st);
        }
    }

    fn url() -> String {
        let loc = window().location();
        let scheme = if loc.protocol().as_deref() == Ok("https:") { "wss" } else { "ws" };
        format!("{scheme}://{}/api/v1/live", loc.host().unwrap_or_default())
    }

    fn send(ws: &WebSocket, msg: &ClientMsg) {
        if ws.ready_state() == WebSocket::OPEN {
            if let Ok(text) = serde_json::to_string(msg) {
                let _ = ws.send_with_str(&text);
            }
        }
    }

    fn topics() -> Vec<Topic> {
        let mut t: Vec<Topic> = STATE.with(|s| s.borrow().subs.iter().map(|(_, t, _)| t.clone()).collect());
        t.sort();
        t.dedup();
        t
    }

    fn dispatch(topic: &Topic, make: impl Fn() -> LiveMsg) {
        // Collect first: a handler may subscribe or unsubscribe while it runs.
        let handlers: Vec<Handler> =
            STATE.with(|s| s.borrow().subs.iter().filter(|(_, t, _)| t == topic).map(|(_, _, h)| h.clone()).collect());
        for h in handlers {
            h(make());
        }
    }

    fn connect() {
        set_status(LiveStatus::Connecting);
        let ws = match WebSocket::new(&url()) {
            Ok(ws) => ws,
            Err(_) => return reconnect_later(),
        };
        let onopen = Closure::<dyn FnMut()>::new(move || {
            STATE.with(|s| s.borrow_mut().retry_ms = 500);
            set_status(LiveStatus::Open);
            if let Some(ws) = STATE.with(|s| s.borrow().ws.clone()) {
                let topics = topics();
                if !topics.is_empty() {
                    send(&ws, &ClientMsg::Subscribe { topics: topics.clone() });
                }
                // Anything that happened while we were away: followers re-fetch.
                for t in topics {
                    dispatch(&t, || LiveMsg::Resync);
                }
            }
        });
        let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(text) = e.data().as_string() else { return };
            match serde_json::from_str::<ServerMsg>(&text) {
                Ok(ServerMsg::Event { topic, data }) => {
                    dispatch(&topic, || LiveMsg::Data(data.clone()));
                }
                Ok(ServerMsg::Resync { topics }) => {
                    for t in topics {
                        dispatch(&t, || LiveMsg::Resync);
                    }
                }
                Ok(ServerMsg::Denied { topic, reason }) => {
                    leptos::logging::warn!("live topic {topic} denied: {reason}");
                }
                _ => {}
            }
        });
        let onclose = Closure::<dyn FnMut()>::new(move || {
            STATE.with(|s| s.borrow_mut().ws = None);
            set_status(LiveStatus::Closed);
            reconnect_later();
        });
        ws.set_onopen(Some(onopen.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        ws.set_onclose(Some(onclose.as_ref().unchecked_ref()));
        // The socket lives as long as the tab; its callbacks must too.
        onopen.forget();
        onmessage.forget();
        onclose.forget();
        STATE.with(|s| s.borrow_mut().ws = Some(ws));
    }

    fn reconnect_later() {
        let delay = STATE.with(|s| {
            let mut s = s.borrow_mut();
            let d = s.retry_ms;
            s.retry_ms = (s.retry_ms * 2).min(10_000);
            d
        });
        set_timeout(connect, Duration::from_millis(delay.into()));
    }

    pub fn subscribe(topic: Topic, handler: Handler) -> u64 {
        let (id, is_new, ws) = STATE.with(|s| {
            let mut s = s.borrow_mut();
            let id = s.next_id;
            s.next_id += 1;
            let is_new = !s.subs.iter().any(|(_, t, _)| *t == topic);
            s.subs.push((id, topic.clone(), handler));
            (id, is_new, s.ws.clone())
        });
        if let (true, Some(ws)) = (is_new, ws) {
            send(&ws, &ClientMsg::Subscribe { topics: vec![topic] });
        }
        id
    }

    pub fn unsubscribe(id: u64) {
        let (gone, ws) = STATE.with(|s| {
            let mut s = s.borrow_mut();
            let Some(pos) = s.subs.iter().position(|(i, _, _)| *i == id) else { return (None, None) };
            let (_, topic, _) = s.subs.remove(pos);
            let still = s.subs.iter().any(|(_, t, _)| *t == topic);
            ((!still).then_some(topic), s.ws.clone())
        });
        if let (Some(topic), Some(ws)) = (gone, ws) {
            send(&ws, &ClientMsg::Unsubscribe { topics: vec![topic] });
        }
    }
}
