//! An error from the server, shown where the data would have been.

use leptos::prelude::*;
use pier_proto::ApiError;

#[component]
pub fn ErrorBox(error: ApiError) -> impl IntoView {
    view! {
        <div class="error-box" role="alert">
            <strong>{error.message.clone()}</strong>
            <span class="muted">" (" {error.code.as_str()} ")"</span>
        </div>
    }
}
