//! The error page for unknown addresses (answers 404).

use crate::components::empty::EmptyState;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(axum::http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Not found"/>
        <EmptyState icon="close" title="Page not found" text="There is nothing at this address. It may have been deleted, or the link is wrong.">
            <A href="/" attr:class="button primary">"Back to the overview"</A>
        </EmptyState>
    }
}
