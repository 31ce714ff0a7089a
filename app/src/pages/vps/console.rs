//! The Console tab: the serial or graphical console embedded (the console window is a small
//! page of its own, so it can also open in a window of its own, as in Proxmox).

use super::live::LiveVps;
use leptos::prelude::*;
use pier_proto::vps::VpsState;

#[component]
pub fn ConsolePanel(id: i64, live: LiveVps) -> impl IntoView {
    let kind = RwSignal::new("serial");
    let src = move || format!("/vps/{id}/console?kind={}", kind.get());
    let running = move || matches!(live.state.get(), VpsState::Running | VpsState::Paused);
    view! {
        <section class="card console-card">
            <div class="card-head">
                <div class="tabs" role="tablist" aria-label="Console kind">
                    <button type="button" role="tab" class="tab" aria-selected=move || (kind.get() == "serial").to_string() on:click=move |_| kind.set("serial")>"Serial"</button>
                    <button type="button" role="tab" class="tab" aria-selected=move || (kind.get() == "vnc").to_string() on:click=move |_| kind.set("vnc")>"Graphical"</button>
                </div>
                <a class="button small" href=src target="_blank" rel="noopener">"Open in a new window"</a>
            </div>
            <Show when=running fallback=|| view! { <p class="muted">"Start the VPS to use its console."</p> }>
                <iframe class="console-frame" title="VPS console" src=src></iframe>
            </Show>
        </section>
    }
}
