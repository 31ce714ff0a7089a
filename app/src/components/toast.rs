//! Toasts: short outcome messages ("Job started", "Cancel failed: ...") that go away by themselves.

use leptos::prelude::*;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    Error,
    Info,
}

#[derive(Clone, Debug)]
struct Toast {
    id: u64,
    kind: ToastKind,
    text: String,
}

#[derive(Clone, Copy)]
pub struct Toasts {
    items: RwSignal<Vec<Toast>>,
    next: StoredValue<u64>,
}

impl Toasts {
    pub fn show(&self, kind: ToastKind, text: impl Into<String>) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        self.items.update(|v| v.push(Toast { id, kind, text: text.into() }));
        let items = self.items;
        // Errors stay longer: people need time to read them.
        let ms = if kind == ToastKind::Error { 9000 } else { 4000 };
        set_timeout(move || items.update(|v| v.retain(|t| t.id != id)), Duration::from_millis(ms));
    }
    pub fn success(&self, text: impl Into<String>) {
        self.show(ToastKind::Success, text)
    }
    /// Runs a button's server call: on success a toast saying `done(&result)` and then `after`;
    /// on failure the error's message as a toast. (Forms show errors under their fields instead.)
    pub fn act<T: 'static>(
        self,
        call: impl std::future::Future<Output = Result<T, pier_proto::ApiError>> + 'static,
        done: impl FnOnce(&T) -> String + 'static,
        after: Callback<()>,
    ) {
        leptos::task::spawn_local(async move {
            match call.await {
                Ok(value) => {
                    self.success(done(&value));
                    // The part of the page that asked may be gone by now (a live event re-rendered
                    // it while the answer was on its way): then there is nothing to refresh.
                    let _ = after.try_run(());
                }
                Err(e) => self.error(e.message),
            }
        });
    }

    pub fn error(&self, text: impl Into<String>) {
        self.show(ToastKind::Error, text)
    }
    fn dismiss(&self, id: u64) {
        self.items.update(|v| v.retain(|t| t.id != id));
    }
}

pub fn provide_toasts() {
    provide_context(Toasts { items: RwSignal::new(Vec::new()), next: StoredValue::new(1) });
}

pub fn use_toasts() -> Toasts {
    expect_context::<Toasts>()
}

#[component]
pub fn ToastHost() -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toasts.items.get() key=|t| t.id let:toast>
                <div class=move || format!("toast toast-{}", match toast.kind {
                    ToastKind::Success => "success", ToastKind::Error => "error", ToastKind::Info => "info" })>
                    <span class="toast-text">{toast.text.clone()}</span>
                    <button type="button" class="toast-close" aria-label="Dismiss"
                            on:click=move |_| toasts.dismiss(toast.id)>"×"</button>
                </div>
            </For>
        </div>
    }
}
