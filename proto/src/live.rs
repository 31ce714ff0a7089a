//! The live-events socket protocol (`GET /api/v1/live`, one WebSocket per browser tab).
//!
//! The client subscribes to topics; the server delivers an event only when the topic is
//! subscribed AND the actor may see that particular event (decided server-side).

use serde::{Deserialize, Serialize};

/// A topic name: `jobs`, or `job:<id>`. Later capabilities add `vps:<id>`, `container:<id>`,
/// `host:<id>`, `alerts`, ... A topic is a short ASCII word, optionally `:` and an id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Topic(String);

impl Topic {
    pub const MAX_LEN: usize = 64;

    pub fn new(s: impl Into<String>) -> Result<Self, String> {
        let s = s.into();
        let (family, id) = match s.split_once(':') {
            Some((f, i)) => (f, Some(i)),
            None => (s.as_str(), None),
        };
        let family_ok = !family.is_empty() && family.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        let id_ok = id.is_none_or(|i| !i.is_empty() && i.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        if s.len() <= Self::MAX_LEN && family_ok && id_ok {
            Ok(Topic(s))
        } else {
            Err(format!("invalid topic {s:?}"))
        }
    }

    pub fn jobs() -> Self {
        Topic("jobs".into())
    }

    pub fn job(id: i64) -> Self {
        Topic(format!("job:{id}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `job` for `job:12`.
    pub fn family(&self) -> &str {
        self.0.split_once(':').map_or(self.0.as_str(), |(f, _)| f)
    }

    pub fn id(&self) -> Option<&str> {
        self.0.split_once(':').map(|(_, i)| i)
    }
}

impl TryFrom<String> for Topic {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Topic::new(s)
    }
}

impl From<Topic> for String {
    fn from(t: Topic) -> String {
        t.0
    }
}

impl std::fmt::Display for Topic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Browser → server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum ClientMsg {
    Subscribe { topics: Vec<Topic> },
    Unsubscribe { topics: Vec<Topic> },
    Ping,
}

/// Server → browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// Sent once after the socket opens.
    Hello { actor: String },
    Subscribed { topics: Vec<Topic> },
    /// A topic the actor may not read; nothing will be delivered for it.
    Denied { topic: Topic, reason: String },
    Event { topic: Topic, data: serde_json::Value },
    /// The server dropped events for this client (it fell behind): re-fetch the topics' state.
    Resync { topics: Vec<Topic> },
    Pong,
    Error { message: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_validated() {
        assert_eq!(Topic::new("jobs").unwrap().family(), "jobs");
        let t = Topic::new("job:42").unwrap();
        assert_eq!((t.family(), t.id()), ("job", Some("42")));
        for bad in ["", "Jobs", "job:", "job:4 2", ":1", "a:b:c", &"x".repeat(65)] {
            assert!(Topic::new(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn client_messages_have_a_stable_shape() {
        let m: ClientMsg = serde_json::from_str(r#"{"op":"subscribe","topics":["jobs","job:1"]}"#).unwrap();
        assert_eq!(m, ClientMsg::Subscribe { topics: vec![Topic::jobs(), Topic::job(1)] });
        assert!(serde_json::from_str::<ClientMsg>(r#"{"op":"subscribe","topics":["Bad Topic"]}"#).is_err());
        let s = serde_json::to_value(ServerMsg::Event { topic: Topic::jobs(), data: serde_json::json!(1) }).unwrap();
        assert_eq!(s, serde_json::json!({"type":"event","topic":"jobs","data":1}));
    }
}
