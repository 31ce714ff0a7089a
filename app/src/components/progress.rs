//! The progress bar every job shows.

use leptos::prelude::*;
use pier_proto::jobs::JobState;

#[component]
pub fn ProgressBar(
    /// 0–100.
    #[prop(into)]
    value: Signal<u8>,
    #[prop(into)] state: Signal<JobState>,
    /// What the bar is for, read by screen readers.
    #[prop(into)]
    label: String,
) -> impl IntoView {
    view! {
        <div class=move || format!("progress progress-{}", state.get().as_str())
             role="progressbar" aria-label=label aria-valuemin="0" aria-valuemax="100"
             aria-valuenow=move || value.get().to_string()>
            <div class="progress-fill" style=move || format!("width: {}%", value.get().min(100))></div>
        </div>
    }
}
