//! The job kinds this process can run.

use super::handler::JobHandler;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Default)]
pub struct Registry {
    handlers: BTreeMap<&'static str, Arc<dyn JobHandler>>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a handler. Registering one kind twice is a programming error.
    pub fn register(&mut self, handler: Arc<dyn JobHandler>) {
        let kind = handler.kind();
        assert!(self.handlers.insert(kind, handler).is_none(), "job kind {kind} registered twice");
    }

    pub fn get(&self, kind: &str) -> Option<&Arc<dyn JobHandler>> {
        self.handlers.get(kind)
    }

    pub fn kinds(&self) -> Vec<String> {
        self.handlers.keys().map(|k| k.to_string()).collect()
    }

    /// The human title, or the kind itself for a kind this version does not know.
    pub fn title<'a>(&'a self, kind: &'a str) -> &'a str {
        self.handlers.get(kind).map_or(kind, |h| h.title())
    }
}
