//! The in-process event bus. Services publish; the live socket (and later alerting) subscribe.
//!
//! A bounded broadcast channel: a subscriber that falls behind loses the oldest events and is told
//! so (`RecvError::Lagged`), and the socket then asks the browser to re-fetch. Publishing never
//! blocks a service.

use crate::actor::Audience;
use pier_proto::live::Topic;
use std::sync::Arc;
use tokio::sync::broadcast;

#[derive(Debug, Clone)]
pub struct Event {
    pub topic: Topic,
    pub audience: Audience,
    pub data: Arc<serde_json::Value>,
}

#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Event>,
}

impl EventBus {
    pub const CAPACITY: usize = 4096;

    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(Self::CAPACITY);
        Self { tx }
    }

    /// Publishes to every topic in `topics` (an event is usually on a list topic and on its
    /// item topic, e.g. `jobs` and `job:12`).
    pub fn publish(&self, topics: &[Topic], audience: Audience, data: serde_json::Value) {
        let data = Arc::new(data);
        for topic in topics {
            // No receivers is normal (no browser open): nothing to do.
            let _ = self.tx.send(Event { topic: topic.clone(), audience: audience.clone(), data: data.clone() });
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}
